"""The API's interactive documentation: Swagger UI and Redoc, from drf-spectacular-sidecar's static files (no CDN),
in our own templates (no web fonts, no inline script)."""

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from portal.web.middleware import content_security_policy


class PublicPage:
    """The documentation pages are the same for everyone: no authentication, so rendering one (a 405 page among
    them) never runs the session's CSRF check, which raised while the template asked who the user was."""

    authentication_classes = []
    permission_classes = [AllowAny]


class SwaggerView(PublicPage, SpectacularSwaggerSplitView):
    """Swagger UI; its start-up script is served apart (``?script``), so the page keeps the site's policy. "Try it"
    still sends the browser's own session cookie and CSRF token."""

    url_name = "api-schema"
    template_name = "portal/api/swagger_ui.html"


class RedocView(PublicPage, SpectacularRedocView):
    """Redoc styles its page with generated <style> elements: this page alone allows inline styles (never inline
    scripts)."""

    url_name = "api-schema"
    template_name = "portal/api/redoc.html"

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = content_security_policy(
            style_src="'self' 'unsafe-inline'", extra=("worker-src 'self' blob:",)
        )
        return response
