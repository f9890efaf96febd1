"""A dependency that does not answer gives a clear "try again" page (503), never a 500 or a hang.

For now the directory (``DirectoryUnavailable``, raised within ``GUICHET_LDAP_TIMEOUT``): the sign-in, the
password change and the reset pages need it. Nothing was counted or written for the request: a sign-in that met a
silent directory is not a failed attempt.
"""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext

from portal.identity.credentials import DirectoryUnavailable
from portal.web.middleware import is_api_request

RETRY_AFTER_SECONDS = 60


class DependencyUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DirectoryUnavailable):
            return None
        detail = gettext(
            "The organisation's directory, which checks passwords, is not answering. Nothing was changed: "
            "try again in a few minutes."
        )
        if is_api_request(request):
            response = JsonResponse({"detail": detail}, status=503)
        else:
            title = gettext("Directory unavailable")
            response = render(request, "503.html", {"title": title, "detail": detail}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
