"""What every API view shares: who may call it, how it is authenticated and rate-limited, how refusals read.

Permission (R8, R42): a session that passed the second factor, unless a view says otherwise. The API has no
credential endpoint of its own: it is reached with the session of a full sign-in (password and second factor), so it
shares every sign-in protection of the web flow. Staff still inside their enrolment grace period, who have no second
factor to check yet, are the one exception, as on the web pages; agents and admins never are.

Refusals have one shape: ``{"detail": "…"}`` (401, 403, 404, 429…), or field errors ``{"field": ["…"]}`` for a 400,
always JSON and in the request's language (portal.web.middleware.ApiLanguageMiddleware: ``?lang=``, else
Accept-Language), including the CSRF refusal, an unknown address under /api/ and a malformed query parameter.
"""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp import user_has_device
from rest_framework import authentication, exceptions, pagination, parsers, serializers, throttling
from rest_framework.permissions import BasePermission

from portal.identity import key_policy
from portal.identity.api_tokens import TOKEN_PREFIX, TokenRefused, api_token_check
from portal.models import ApiToken, Scope
from portal.web.ratelimit import limited


class IsVerified(BasePermission):
    """A session that passed the second factor, or a personal token (issued only to such a session) whose scopes
    cover the request: "read" for reading, "file" for writing, and "agent" for any token of an agent or admin,
    whose every answer carries the helpdesk's rights."""

    message = _("Sign in with your second factor to use the API.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if isinstance(getattr(request, "auth", None), ApiToken):
            return self._token_allows(request, request.auth)
        if user.is_verified():
            return key_policy.session_satisfies(user)  # agents and admins, under the policy: with a key (R14)
        return not user.is_agent and timezone.now() <= user.mfa_deadline and not user_has_device(user, confirmed=True)

    def _token_allows(self, request, token: ApiToken) -> bool:
        needed = Scope.READ if request.method in ("GET", "HEAD", "OPTIONS") else Scope.FILE
        if token.user.is_agent and not token.allows(Scope.AGENT):
            self.message = _("This token has no agent scope: an agent's account needs one to use the API.")
            return False
        if not token.allows(needed):
            self.message = _("This token does not have the “%(scope)s” scope this request needs.") % {"scope": needed}
            return False
        return True


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer gch_…``: a personal token (portal.identity.api_tokens). Any other scheme or none is
    left to session authentication; a wrong token is refused, never treated as no token. Refusals stay 403 (no
    WWW-Authenticate challenge), as for a session without its second factor."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _space, value = header.partition(" ")
        if scheme != self.keyword or not value.startswith(f"{TOKEN_PREFIX}_"):
            return None
        try:
            token = api_token_check(request, value.strip())
        except TokenRefused as refused:
            if refused.source_blocked:
                raise exceptions.Throttled(wait=int(settings.GUICHET_SOURCE_WINDOW.total_seconds())) from None
            raise exceptions.AuthenticationFailed(_("This token is not valid, or no longer is.")) from None
        return token.user, token


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, whose CSRF refusal says what to do in the request's language instead of
    quoting Django's English reason ("CSRF token missing")."""

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise exceptions.PermissionDenied(
                _(
                    "The security token (CSRF) of this request is missing or out of date. Send the csrftoken "
                    "cookie's value in the X-CSRFToken header, or reload the page and try again."
                ),
                code="csrf_failed",
            ) from None


class ScopedThrottle(throttling.BaseThrottle):
    """portal.web.ratelimit's counters for the API: ``scope`` names the limit, ``methods`` (all when None) the requests
    it counts. The default throttle of every view is "api"; views add the scopes of what they do."""

    scope = "api"
    methods: tuple[str, ...] | None = None

    def allow_request(self, request, view):
        if self.methods is not None and request.method not in self.methods:
            return True
        self.waiting = limited(request, self.scope)
        return self.waiting is None

    def wait(self):
        return self.waiting


class SearchThrottle(ScopedThrottle):
    """Search and suggestions are called while typing: a bucket of their own, so they never starve the rest."""

    scope = "search"


class AffectedThrottle(ScopedThrottle):
    scope = "affected"
    methods = ("POST",)


def query_parameters(request, serializer_class) -> dict:
    """The request's query parameters validated by ``serializer_class``: a 400 with a message per bad parameter,
    never a silent default."""
    # A plain dict, not the QueryDict: DRF reads an empty value in form input as "not given", so ``?limit=`` would
    # silently mean the default instead of being refused like any other value that is not a number.
    query = serializer_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query.validated_data


class LanguageField(serializers.ChoiceField):
    """``lang``: the language of the answer. Checked by ApiLanguageMiddleware for every API address; declared in
    the query serializers that document it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Language of the answer: fr or en (default: Accept-Language, else fr).")
        super().__init__(choices=[code for code, _name in settings.LANGUAGES], required=False, **kwargs)


class PageNumberPagination(pagination.PageNumberPagination):
    """DRF's page numbers, where a ``page`` that is not a whole number from 1 is a 400 that says so (a page past the
    end stays a 404: that page does not exist)."""

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        # Checked without int(): Python refuses to convert more than 4,300 digits.
        if (
            raw is not None
            and raw not in self.last_page_strings
            and not (raw.isascii() and raw.isdigit() and raw.strip("0"))
        ):
            raise exceptions.ValidationError({self.page_query_param: [gettext("Give a page number: 1, 2, 3…")]})
        return super().paginate_queryset(queryset, request, view)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, which lets Python's RecursionError escape on a document nested thousands deep."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("This JSON document is nested too deeply to be read.")) from None
