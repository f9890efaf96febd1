"""The API's interactive documentation: Swagger UI and Redoc, from drf-spectacular-sidecar's static files (no CDN),
in our own templates (no web fonts, no inline script)."""

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from portal.middleware import content_security_policy


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI; its start-up script is served apart (``?script``), so the page keeps the site's policy."""

    url_name = "api-schema"
    template_name = "portal/api/swagger_ui.html"


class RedocView(SpectacularRedocView):
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
