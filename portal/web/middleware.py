"""What every answer gets, signed in or not: security headers and the cache rule (R34), the request-size limit
(before any body is read), the API's language."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext


def content_security_policy(*, style_src: str = "'self'", extra: tuple[str, ...] = ()) -> str:
    """Pages load only the portal's own scripts, styles and images; nothing may frame them, no plugin runs, forms
    post only back to the portal. Django 5.2 has no CSP setting of its own, so the header is set here. A page with
    a different need (the API reference, portal.site.views.api_docs) asks for its own styles or directives."""
    directives = [
        "default-src 'self'",
        "script-src 'self'",
        f"style-src {style_src}",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        *extra,
    ]
    if getattr(settings, "GUICHET_CSP_REPORT_URI", ""):
        directives.append(f"report-uri {settings.GUICHET_CSP_REPORT_URI}")
    return "; ".join(directives)


PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    """Adds the headers Django's SecurityMiddleware does not: Content-Security-Policy and Permissions-Policy."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = content_security_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if _never_stored(request.path_info):
            # API answers and account pages (second factor, codes, tokens, sessions) stay out of every cache.
            patch_cache_control(response, no_store=True, private=True)
        return response


def _never_stored(path: str) -> bool:
    return path.startswith(("/api/", "/compte/", "/en/compte/"))


class RequestSizeMiddleware:
    """Refuses, with 413, a request whose declared body is larger than GUICHET_MAX_REQUEST_BYTES, before anything
    reads it: otherwise the CSRF check would parse it, spooling a multipart body of any size to disk, before any
    permission or size check ran. Django reads no more than the declared length, so the declaration is the limit.
    Placed before every middleware that could touch the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads nothing of a body whose length it cannot read
        if declared > settings.GUICHET_MAX_REQUEST_BYTES:
            return _too_large(request)
        return self.get_response(request)


def _too_large(request: HttpRequest) -> HttpResponse:
    from django.template.defaultfilters import filesizeformat

    # LocaleMiddleware has not run yet: the language comes from the path or the browser, as it would decide.
    with translation.override(translation.get_language_from_request(request, check_path=True)):
        message = gettext(
            "This request is larger than %(max)s, the most the portal accepts: send fewer or smaller files."
        ) % {"max": filesizeformat(settings.GUICHET_MAX_REQUEST_BYTES)}
    if is_api_request(request):
        return JsonResponse({"detail": message}, status=413)
    return HttpResponse(message, content_type="text/plain; charset=utf-8", status=413)


class ApiLanguageMiddleware:
    """The API lives outside the language-prefixed URLs, where LocaleMiddleware can only pick the default language
    (French). For /api/ the client chooses: ``?lang=fr|en``, else Accept-Language. Placed right after
    LocaleMiddleware, so refusals written before any view runs (session policy, permissions) speak it too.

    Any other ``lang`` is refused with a 400 (in the Accept-Language language), on every API address: a client
    that asked for a language gets it or is told, never silently another one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api_request(request):
            languages = {code for code, _name in settings.LANGUAGES}
            requested = request.GET.get("lang")
            translation.activate(
                requested
                if requested in languages
                else translation.get_language_from_request(request, check_path=False)
            )
            request.LANGUAGE_CODE = translation.get_language()
            if requested is not None and requested not in languages:
                message = gettext("Choose one of these languages: %(languages)s.") % {
                    "languages": ", ".join(sorted(languages))
                }
                return JsonResponse({"lang": [message]}, status=400)
        return self.get_response(request)


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")
