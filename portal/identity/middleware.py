"""The session rules every request passes once signed in: idle and absolute limits by role (R32), the second-factor
deadline (R8), security keys where required (R14), a forced password change, and the narrow session of a helpdesk
temporary access pass (R40). Before them, django-otp's middleware with a cheaper read of the session's device."""

from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.messages.storage import default_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.translation import gettext
from django_otp import user_has_device
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from portal.identity import key_policy, passwords, session_registry
from portal.identity.session_state import ACCESS_PASS, PASSWORD_MUST_CHANGE, SEEN_AT, SIGNED_IN_AT, read_time
from portal.web.middleware import is_api_request
from portal.web.next_page import redirect_with_next
from portal.web.statements import instance


class SecondFactorMiddleware(OTPMiddleware):
    """django-otp's middleware (``request.user.is_verified()``, ``request.user.otp_device``), reading the session's
    device by a statement written once (portal.web.statements) rather than a query built for every request."""

    def _device_from_persistent_id(self, persistent_id: str):
        try:
            label, device_id = self._normalize_persistent_id(persistent_id).rsplit("/", 1)
            model = apps.get_model(label)
            if not issubclass(model, Device):
                return None
            return instance(model, int(device_id))
        except (LookupError, ValueError):
            return None  # as django-otp's: an id that names no device verifies nothing


class SessionPolicyMiddleware:
    """Idle and absolute session limits by role (R32), and the second-factor deadline (R8).

    Runs after SecondFactorMiddleware, so ``request.user.is_verified()`` tells whether this session checked a second
    factor.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            if ACCESS_PASS in request.session:
                # A session opened with a helpdesk access pass follows its own, narrower rules only (R40).
                refusal = _enforce_session_limits(request) or _enforce_access_pass(request)
                if refusal is not None:
                    return refusal
                return self.get_response(request)
            refusal = (
                _enforce_session_limits(request)
                or _enforce_second_factor(request)
                or _enforce_security_key(request)
                or _enforce_password_change(request)
            )
            if refusal is not None:
                return refusal
        elif SESSION_KEY in request.session:
            # Signed in to an account that has since been deactivated or deleted (Django then sees nobody but
            # keeps the session): end it for good, so that reactivating the account does not revive it (R33).
            request.session.flush()
        return self.get_response(request)


# SEEN_AT is rewritten at most this often, so that a busy person does not cost a session write per request. The
# idle limit may therefore end a session up to this much early, never late.
SEEN_AT_RESOLUTION = timedelta(minutes=1)
# What a person without a second factor may still open once their deadline has passed: enough to enrol one, or to
# leave. Everything else sends them to enrolment.
OPEN_WITHOUT_SECOND_FACTOR = {
    "portal:mfa_totp_add",
    "portal:mfa_key_add",
    "portal:mfa_key_options",
    "portal:reauth",
    "portal:reauth_key_options",
    "portal:logout",
    "portal:login",
    "portal:login_code",
    "portal:login_key",
    "portal:login_key_options",
    "health",
}
# Under the security-key policy (R14), what an agent or admin whose session did not prove a key may still open:
# adding a key, confirming it is them with one, the overview of their factors, or leaving.
OPEN_WITHOUT_SECURITY_KEY = (OPEN_WITHOUT_SECOND_FACTOR - {"portal:mfa_totp_add"}) | {"portal:mfa", "static"}


def _enforce_session_limits(request: HttpRequest) -> HttpResponse | None:
    limits = settings.GUICHET_SESSION_LIMITS[request.user.role]
    now = timezone.now()
    try:
        signed_in_at = read_time(request, SIGNED_IN_AT)
        seen_at = read_time(request, SEEN_AT)
    except (TypeError, ValueError):
        return _end_session(request)  # only the server writes these; if they are unreadable, fail closed
    if signed_in_at is None:
        # A session signed in by a path that did not stamp it: its clock starts now rather than never.
        request.session[SIGNED_IN_AT] = now.isoformat()
        signed_in_at = now
    idle = now - seen_at if seen_at is not None else timedelta(0)
    if idle > limits["idle"] or now - signed_in_at > limits["absolute"]:
        return _end_session(request)
    touch = seen_at is None or now - seen_at >= SEEN_AT_RESOLUTION
    if not session_registry.check(request, touch=touch):
        return _end_session(request)  # signed out from another browser, or by an administrator (R33)
    if touch:
        request.session[SEEN_AT] = now.isoformat()
    return None


def _enforce_second_factor(request: HttpRequest) -> HttpResponse | None:
    """Past their deadline (at once for agents and admins), people without a second factor must enrol one; agents
    and admins whose session has not checked their second factor must check it before anything else (R8)."""
    user = request.user
    if user.is_verified() or timezone.now() <= user.mfa_deadline or _open_without_second_factor(request):
        return None
    has_device = user_has_device(user, confirmed=True)
    if has_device and not user.is_agent:
        return None  # staff: the sign-in and the verified_required views ask for it
    if is_api_request(request):
        detail = (
            gettext("Sign in with your second factor before using the API.")
            if has_device
            else gettext("Set up a second factor before using the API.")
        )
        return JsonResponse({"detail": detail}, status=403)
    enrol = "portal:mfa_key_add" if key_policy.applies(user) else "portal:mfa_totp_add"
    return redirect_with_next(request, "portal:reauth" if has_device else enrol)


def _enforce_security_key(request: HttpRequest) -> HttpResponse | None:
    """Under the policy, agents and admins whose session was not verified with a security key reach only the pages
    to add one, or to prove the one they have (R14)."""
    user = request.user
    if key_policy.session_satisfies(user) or _view_name(request) in OPEN_WITHOUT_SECURITY_KEY:
        return None
    has_key = key_policy.has_key(user)
    if is_api_request(request):
        detail = (
            gettext("Confirm it is you with your security key before using the API.")
            if has_key
            else gettext("Add a security key before using the API: your role requires one.")
        )
        return JsonResponse({"detail": detail}, status=403)
    return redirect_with_next(request, "portal:reauth" if has_key else "portal:mfa_key_add")


# What a person whose password is on the breached list may open: the change itself and what it needs.
OPEN_WITH_PASSWORD_TO_CHANGE = OPEN_WITHOUT_SECOND_FACTOR | {"portal:password_change", "portal:mfa", "static"}


def _enforce_password_change(request: HttpRequest) -> HttpResponse | None:
    if not request.session.get(PASSWORD_MUST_CHANGE) or _view_name(request) in OPEN_WITH_PASSWORD_TO_CHANGE:
        return None
    if is_api_request(request):
        return JsonResponse({"detail": gettext("Change your password before using the API.")}, status=403)
    response = redirect("portal:password_change")
    storage = default_storage(request)
    storage.add(messages.WARNING, _password_change_reason(request.session[PASSWORD_MUST_CHANGE]))
    storage.update(response)
    return response


def _password_change_reason(reason) -> str:
    if reason == passwords.WEAK_ORGANISATION:
        return gettext(
            "Your password contains the name of the organisation or of this service, one of the first words "
            "attackers try. Choose a new one to continue."
        )
    if reason == passwords.WEAK_PERSONAL:
        return gettext(
            "Your password contains your identifier or your name, which attackers try first. Choose a new one to "
            "continue."
        )
    return gettext("Your password appears in lists of passwords known to attackers. Choose a new one to continue.")


# All a session opened with a temporary access pass may open: its steps page, adding a second factor (an app or a
# security key, and recovery codes after an app), the new password, and leaving. Everything else is 403, the API
# included, and the session ends with the pass's hour.
OPEN_WITH_ACCESS_PASS = {
    "portal:access_pass_steps",
    "portal:access_pass_password",
    "portal:mfa_totp_add",
    "portal:mfa_key_add",
    "portal:mfa_key_options",
    "portal:mfa_recovery_codes",
    "portal:logout",
    "health",
    "static",
}


def _enforce_access_pass(request: HttpRequest) -> HttpResponse | None:
    state = request.session.get(ACCESS_PASS)
    try:
        until = datetime.fromisoformat(state["until"])
    except (KeyError, TypeError, ValueError):
        return _end_session(request)  # only the server writes it; unreadable, fail closed
    if timezone.now() >= until:
        return _end_session(request)
    if _view_name(request) in OPEN_WITH_ACCESS_PASS:
        return None
    message = gettext(
        "You signed in with a temporary access pass: it only lets you add a second factor and choose a new "
        "password. Do both, then sign in again as usual."
    )
    if is_api_request(request):
        return JsonResponse({"detail": message}, status=403)
    return render(request, "portal/access_pass/restricted.html", {"detail": message}, status=403)


def _end_session(request: HttpRequest) -> HttpResponse:
    logout(request)
    message = gettext("Your session expired. Please sign in again.")
    if is_api_request(request):
        return JsonResponse({"detail": message}, status=401)
    response = redirect_with_next(request, "portal:login")
    # MessageMiddleware comes after this one and never sees this response: store the message here.
    storage = default_storage(request)
    storage.add(messages.INFO, message)
    storage.update(response)
    return response


def _view_name(request: HttpRequest) -> str | None:
    if request.path_info.startswith(settings.STATIC_URL):
        return "static"
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return None


def _open_without_second_factor(request: HttpRequest) -> bool:
    name = _view_name(request)
    return name == "static" or name in OPEN_WITHOUT_SECOND_FACTOR
