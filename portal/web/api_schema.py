"""What the OpenAPI schema says of every operation, once: the ``lang`` parameter and the refusals any of them may
give (drf-spectacular post-processing hook, SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]), and how the session
authentication of portal.web.api reads in it. Imported by portal.apps so that the extension registers.

The refusals' shapes are portal.web.api's: ``Error`` (``{"detail": "…"}``) and ``FieldErrors`` (a list of messages per
bad field or query parameter). An operation that documents a status itself keeps its own description.
"""

from django.conf import settings
from drf_spectacular.authentication import SessionScheme as SpectacularSessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class SessionScheme(SpectacularSessionScheme):
    """portal.identity.api_auth.SessionAuthentication is DRF's with our CSRF wording: the same cookie scheme."""

    target_class = "portal.identity.api_auth.SessionAuthentication"


class TokenScheme(OpenApiAuthenticationExtension):
    """Personal API tokens (portal.identity.api_tokens), created on the account's security page."""

    target_class = "portal.identity.api_auth.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token (gch_…) from the security page of your account, with its scopes.",
        }


ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string", "description": "What went wrong, in the request's language."}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "One list of messages per bad field or query parameter (non_field_errors for the whole input); "
    "or a detail when the body could not be read at all.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
REFUSALS = {
    "400": ("FieldErrors", "Invalid input: a body field or a query parameter (lang, limit, page…) was refused."),
    "401": ("Error", "The session expired (idle or absolute limit): sign in again."),
    "403": ("Error", "Not signed in with a second factor, security token (CSRF) missing, or not allowed."),
    "404": ("Error", "Nothing at this address, or nothing the requester may read there."),
    "429": ("Error", "Too many requests: wait the number of seconds given in Retry-After, then try again."),
}
# Only for operations that read a body: one whose Content-Type no parser reads (or unreadable) is refused before
# the view runs.
UNSUPPORTED_BODY = ("Error", "The body's Content-Type is not one of those documented for this operation.")
LANG = {
    "in": "query",
    "name": "lang",
    "required": False,
    "schema": {"type": "string", "enum": [code for code, _name in settings.LANGUAGES]},
    "description": "Language of the answer and of its messages (default: Accept-Language, else fr).",
}


def document_shared_answers(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("FieldErrors", FIELD_ERRORS)
    for methods in result.get("paths", {}).values():
        for operation in methods.values():
            parameters = operation.setdefault("parameters", [])
            if not any(parameter["name"] == "lang" and parameter["in"] == "query" for parameter in parameters):
                parameters.append(LANG)
            responses = operation.setdefault("responses", {})
            refusals = dict(REFUSALS)
            if "requestBody" in operation:
                refusals["415"] = UNSUPPORTED_BODY
            for status, (component, description) in refusals.items():
                answer = {
                    "description": description,
                    "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
                }
                if status == "429":
                    answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "required": True}}
                responses.setdefault(status, answer)
    return result
