"""Error pages (portal.urls' handler400, 403, 404 and 500, which answers 503 for a lost database): an HTML page for
people, JSON for the API.

Unlike Django's own, these views do not run the CSRF check again (``requires_csrf_token``): a body that could not
be decoded (a form declaring charset=utf-16) made that second check raise inside the 400 handler, and the 500
handler after it, so the person got a traceback page instead of "this request could not be read".
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext

from portal.web.api_errors import NOT_FOUND
from portal.web.middleware import is_api_request


def _answer(request, status: int, template: str, detail: str) -> HttpResponse:
    if is_api_request(request):
        return JsonResponse({"detail": detail}, status=status)
    try:
        body = loader.render_to_string(template, {"detail": detail}, request=request)
    except Exception:  # never let the error page itself fail: say it in one line
        return HttpResponse(detail, content_type="text/plain; charset=utf-8", status=status)
    return HttpResponse(body, status=status)


def bad_request(request, exception=None):
    return _answer(request, 400, "400.html", gettext("This request could not be read. Reload the page and try again."))


def permission_denied(request, exception=None):
    return _answer(request, 403, "403.html", gettext("You are not allowed to do this here."))


def not_found(request, exception=None):
    return _answer(request, 404, "404.html", str(NOT_FOUND))


def server_error(request):
    """500; or 503 with Retry-After when the database connection broke under the request (PostgreSQL restarted, a
    failover). Its writes were in a transaction that did not commit. Django drops the broken connection when the
    request ends and CONN_HEALTH_CHECKS opens a new one for the next, so the web processes need no restart."""
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        response = _answer(
            request,
            503,
            "503_database.html",
            gettext("The portal's database is not answering. Nothing was saved: try again."),
        )
        response["Retry-After"] = "30"
        return response
    return _answer(
        request,
        500,
        "500.html",
        gettext("Something went wrong on our side. Nothing was saved by this request: try again later."),
    )
