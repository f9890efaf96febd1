"""Access checks for views. Each returns a redirect a person can follow, never a bare 403 page, on the web side."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django_otp import user_has_device

from portal.identity import helpdesk_reset, key_policy
from portal.identity.session_state import reauthenticated_recently
from portal.web.next_page import redirect_with_next


def verified_required(view):
    """Signed in *and* second factor checked in this session; without a factor yet, go and enrol one."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_verified():
            if user_has_device(request.user, confirmed=True):
                return redirect_with_next(request, "portal:reauth")
            enrol = "portal:mfa_key_add" if key_policy.applies(request.user) else "portal:mfa_totp_add"
            return redirect_with_next(request, enrol)
        return view(request, *args, **kwargs)

    return wrapper


def agent_required(view):
    """Helpdesk agents and admins, always with a verified second factor (no grace period, no fallback); under the
    security-key policy, verified with a key (R14)."""

    @verified_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_agent:
            raise PermissionDenied
        if not key_policy.session_satisfies(request.user):
            return redirect_with_next(request, "portal:mfa")
        helpdesk_reset.agent_area_entered(request)  # alerts the team after a recent second-factor reset (R41)
        return view(request, *args, **kwargs)

    return wrapper


def recent_verification_required(view):
    """For changes to credentials: the person must have proved every factor they have in the last few minutes."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not reauthenticated_recently(request):
            return redirect_with_next(request, "portal:reauth")
        return view(request, *args, **kwargs)

    return wrapper
