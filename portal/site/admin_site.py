from functools import wraps

from django_otp.admin import OTPAdminSite

from portal.identity import helpdesk_reset, key_policy


class GuichetAdminSite(OTPAdminSite):
    """The Django admin, open only to agents and admins whose session passed the second factor (R8)."""

    site_header = "Guichet"
    site_title = "Guichet"
    login_template = None

    def has_permission(self, request):
        # Under the security-key policy, a session verified with a code is not enough (R14).
        return super().has_permission(request) and request.user.is_agent and key_policy.session_satisfies(request.user)

    def admin_view(self, view, cacheable=False):
        """Every admin page a permitted agent opens also counts as entering the agents' workspace: soon after a
        helpdesk reset of the account's second factor, the security team is alerted (R41)."""
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.user.is_authenticated and self.has_permission(request):
                helpdesk_reset.agent_area_entered(request)
            return inner(request, *args, **kwargs)

        wrapper.admin_site = self
        return wrapper

    def login(self, request, extra_context=None):
        # One sign-in page for everybody: the portal's, with its lockout and second step.
        from django.shortcuts import redirect
        from django.urls import reverse

        return redirect(f"{reverse('portal:login')}?next={request.get_full_path()}")
