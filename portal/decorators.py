"""Access checks for views. Each returns a redirect a person can follow, never a bare 403 page, on the web side."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse

from portal.session_state import reauthenticated_recently


def _redirect_with_next(request, url_name: str):
    return redirect(f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}")


def verified_required(view):
    """Signed in *and* second factor checked in this session; without a factor yet, go and enrol one."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_verified():
            from django_otp import devices_for_user

            if any(True for _ in devices_for_user(request.user, confirmed=True)):
                return _redirect_with_next(request, "portal:reauth")
            return _redirect_with_next(request, "portal:mfa_totp_add")
        return view(request, *args, **kwargs)

    return wrapper


def agent_required(view):
    """Helpdesk agents and admins, always with a verified second factor (no grace period, no fallback)."""

    @verified_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_agent:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def recent_verification_required(view):
    """For changes to credentials: the person must have proved every factor they have in the last few minutes."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not reauthenticated_recently(request):
            return _redirect_with_next(request, "portal:reauth")
        return view(request, *args, **kwargs)

    return wrapper
