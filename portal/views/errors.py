"""Error pages (portal.urls' handler404 and handler500): an HTML page for people, JSON for the API."""

from django.http import JsonResponse
from django.utils.translation import gettext
from django.views import defaults

from portal.api_errors import api_not_found
from portal.middleware import is_api_request


def not_found(request, exception=None):
    if is_api_request(request):
        return api_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api_request(request):
        detail = gettext("Something went wrong on our side. Nothing was saved by this request: try again later.")
        return JsonResponse({"detail": detail}, status=500)
    return defaults.server_error(request)
