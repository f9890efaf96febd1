"""The API's refusals in one shape and in the request's language (REST_FRAMEWORK["EXCEPTION_HANDLER"]; the error
views of portal.site.views.errors answer JSON in the same shape for what happens before or outside a view).

Apart from portal.web.api because DRF imports that module while rest_framework.views is still loading.
"""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.views import exception_handler

from portal.web.ratelimit import wait_message

NOT_FOUND = _("Nothing was found at this address. Check the address and the reference or identifier in it.")


def api_exception_handler(exc, context):
    """DRF's handler, with our wording for "not found" and for throttling."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, exceptions.Throttled):
        wait = max(1, int(exc.wait or 1))
        exc = exceptions.Throttled(wait=wait)
        # Our sentence says the wait already: not DRF's "Expected available in…" after it.
        exc.detail = exceptions.ErrorDetail(wait_message(wait), code="throttled")
    return exception_handler(exc, context)
