"""What every API view shares: how it is rate-limited and paginated, how it reads parameters and JSON, how refusals
read. Who may call it is identity's part (portal.identity.api_auth).

Refusals have one shape: ``{"detail": "…"}`` (401, 403, 404, 429…), or field errors ``{"field": ["…"]}`` for a 400,
always JSON and in the request's language (portal.web.middleware.ApiLanguageMiddleware: ``?lang=``, else
Accept-Language), including the CSRF refusal, an unknown address under /api/ and a malformed query parameter.
"""

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination, parsers, serializers, throttling

from portal.web.ratelimit import limited


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
