"""Access checks for views. Each returns a redirect a person can follow, never a bare 403 page, on the web side."""

from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import user_has_device

from portal.identity import key_policy
from portal.identity.session_state import reauthenticated_recently


def redirect_with_next(request: HttpRequest, url_name: str) -> HttpResponse:
    return redirect(f"{reverse(url_name)}?{urlencode({'next': next_url(request)}, safe='/')}")


def local_path(candidate: str, request: HttpRequest) -> str | None:
    """``candidate`` when it is a path on this site ("/incidents/?page=2"), else None.

    A bare word ("foo") passes Django's own check but ``redirect()`` takes it for a URL name and fails, after the
    password and the code were already accepted; "//host" and "/\\host" lead elsewhere in browsers."""
    if not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return None
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=False):
        return None
    return candidate


def next_url(request: HttpRequest) -> str:
    """Where to come back to: the page itself, or for a form submission the page the form was on.

    A POST cannot be replayed after signing in, and its target often answers GET with 405.
    """
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        parts = urlsplit(referer)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path
    return reverse("home")


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
