"""The two sign-in steps as services: the password (with lockout), then the second factor (with its own limits)."""

import enum
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django_otp import devices_for_user, verify_token
from django_otp import login as otp_login

from portal.identity import credentials, key_policy, known_device, lockout, passwords, session_registry, session_state
from portal.identity.events import record_event
from portal.models import EventKind, RecoveryCodeDevice, SecurityKey, User
from portal.web.network import client_ip


class PasswordResult(enum.Enum):
    OK = "ok"
    REFUSED = "refused"  # wrong password, unknown identifier, inactive, locked: one answer for all (R2, R3)
    SOURCE_BLOCKED = "source_blocked"  # too many failures from this address (R4)


@dataclass
class PasswordOutcome:
    result: PasswordResult
    user: User | None = None
    weak_password: str | None = None  # why the password must be changed (portal.identity.passwords.WEAK_*), if it must


def check_password_step(request: HttpRequest, identifier: str, password: str) -> PasswordOutcome:
    ip = client_ip(request)
    if lockout.source_blocked(ip):
        lockout.spend_equivalent_time(password)
        return PasswordOutcome(PasswordResult.SOURCE_BLOCKED)

    # Looked up for every attempt, existing or not, so both paths run the same queries.
    account = User.objects.filter(username=identifier.strip().casefold()[:150]).first()
    key = lockout.identifier_key(identifier, known_device.device_id_for(request, account))

    if not lockout.claim_attempt(key):
        lockout.spend_equivalent_time(password)
        _record_failure_event(request, account, identifier, reason="locked")
        return PasswordOutcome(PasswordResult.REFUSED)

    user = authenticate(request, username=identifier, password=password)
    if user is None:
        lock = lockout.record_failure(key)
        _record_failure_event(request, account, identifier, reason="credentials")
        if lock is not None:
            record_event(
                EventKind.LOGIN_LOCK,
                request=request,
                user=account,
                identifier=identifier,
                data={"minutes": lock.minutes, "reset_required": lock.reset_required},
                notify=True,
            )
        return PasswordOutcome(PasswordResult.REFUSED)

    lockout.record_success(key)
    if user.password_reset_required:
        # The password may be known to someone else (20 failures, or 10 wrong codes after it): only a reset helps.
        _record_failure_event(request, user, identifier, reason="reset_required")
        return PasswordOutcome(PasswordResult.REFUSED)
    return PasswordOutcome(PasswordResult.OK, user, weak_password=passwords.weakness(password, user))


def _record_failure_event(request, account, identifier, *, reason: str) -> None:
    record_event(EventKind.LOGIN_FAIL, request=request, user=account, identifier=identifier, data={"reason": reason})
    if lockout.record_source_failure(client_ip(request)):
        record_event(EventKind.SOURCE_THROTTLED, request=request, identifier=identifier)


class CurrentPassword(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


def check_current_password(request: HttpRequest, user: User, password: str) -> CurrentPassword:
    """A signed-in person retyping their password (re-authentication, password change): same lockout as sign-in,
    so a stolen session cannot be used to guess the password (R29)."""
    key = lockout.identifier_key(user.username, known_device.device_id_for(request, user))
    if not lockout.claim_attempt(key):
        lockout.spend_equivalent_time(password)
        return CurrentPassword.THROTTLED
    if credentials.store().check(user, password):
        lockout.record_success(key)
        return CurrentPassword.OK
    lock = lockout.record_failure(key)
    record_event(EventKind.LOGIN_FAIL, request=request, user=user, identifier=user.username, data={"reason": "reauth"})
    if lock is not None:
        record_event(
            EventKind.LOGIN_LOCK,
            request=request,
            user=user,
            identifier=user.username,
            data={"minutes": lock.minutes, "reset_required": lock.reset_required},
            notify=True,
        )
    return CurrentPassword.WRONG


def start_second_step(request: HttpRequest, user: User) -> None:
    """The password was right: remember who is half signed-in, in a fresh session key (R12, R31)."""
    request.session.cycle_key()
    request.session[session_state.PENDING_USER] = user.pk
    request.session[session_state.PENDING_STAMP] = str(user.security_stamp)
    request.session[session_state.PENDING_AT] = session_state.now_stamp()


def pending_user(request: HttpRequest) -> User | None:
    """The half-signed-in person, if the password step is less than 10 minutes old and nothing changed since."""
    started = session_state.read_time(request, session_state.PENDING_AT)
    if started is None or timezone.now() - started > settings.GUICHET_LOGIN_STEP_TIMEOUT:
        return None
    user = User.objects.filter(pk=request.session.get(session_state.PENDING_USER), is_active=True).first()
    if user is None or str(user.security_stamp) != request.session.get(session_state.PENDING_STAMP):
        return None
    return user


def clear_pending(request: HttpRequest) -> None:
    for key in (session_state.PENDING_USER, session_state.PENDING_STAMP, session_state.PENDING_AT):
        request.session.pop(key, None)


class CodeResult(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"  # the device asks to wait a few seconds before the next try
    BLOCKED = "blocked"  # too many wrong codes across all devices: the second factor is closed for an hour
    KEY_REQUIRED = "key_required"  # the person's role signs in with a security key only (R14); nothing was counted


@dataclass
class CodeOutcome:
    result: CodeResult
    device: object = None
    wait_seconds: int = 0


def _candidate_devices(user: User, code: str):
    # A 6-digit code is for the authenticator app, anything else for a recovery code: trying a code only on the
    # devices it can belong to keeps one device's failures from throttling the other (R10).
    is_totp = code.isdigit() and len(code) == 6
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, SecurityKey):
            continue  # never verified by a typed code (portal/identity/webauthn.py)
        if isinstance(device, RecoveryCodeDevice) != is_totp:
            yield device


def has_code_device(user: User) -> bool:
    """The person has a factor that is proved by typing a code (authenticator app or recovery codes)."""
    return any(not isinstance(device, SecurityKey) for device in devices_for_user(user, confirmed=True))


def check_code(request: HttpRequest, user: User, code: str) -> CodeOutcome:
    if user.otp_blocked_until and user.otp_blocked_until > timezone.now():
        return CodeOutcome(CodeResult.BLOCKED)
    if key_policy.codes_refused(user):
        # Refused before any device looks at it: not a wrong code, and a valid one is not used up.
        return CodeOutcome(CodeResult.KEY_REQUIRED)
    devices = list(_candidate_devices(user, code))
    for device in devices:
        allowed, details = device.verify_is_allowed()
        if not allowed and details and details.get("locked_until"):
            wait = max(1, int((details["locked_until"] - timezone.now()).total_seconds()) + 1)
            return CodeOutcome(CodeResult.THROTTLED, wait_seconds=wait)
    for device in devices:
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            User.objects.filter(pk=user.pk).update(otp_failures=0)
            return CodeOutcome(CodeResult.OK, device=verified)
    return count_wrong_second_factor(request, user)


def count_wrong_second_factor(request: HttpRequest, user: User) -> CodeOutcome:
    """One more wrong second factor (code or security key) toward the limit across all the person's devices (R9)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(otp_failures=F("otp_failures") + 1)
        user.refresh_from_db(fields=["otp_failures"])
        record_event(EventKind.MFA_FAIL, request=request, user=user)
        if user.otp_failures < settings.GUICHET_OTP_FAILURE_LIMIT:
            return CodeOutcome(CodeResult.WRONG)
        # Someone has the password and is guessing codes (R9): close the second factor, require a new password.
        user.otp_blocked_until = timezone.now() + settings.GUICHET_OTP_BLOCK
        user.password_reset_required = True
        user.otp_failures = 0
        user.save(update_fields=["otp_blocked_until", "password_reset_required", "otp_failures"])
        record_event(EventKind.MFA_FAIL_MAX, request=request, user=user, notify=True)
    return CodeOutcome(CodeResult.BLOCKED)


def used_recovery_code(device) -> bool:
    return isinstance(device, RecoveryCodeDevice)


def complete_sign_in(request: HttpRequest, user: User, device=None) -> None:
    """Fully sign in: new session key and CSRF token (Django's login), verified device, session clock started."""
    clear_pending(request)
    auth_login(request, user, backend=credentials.BACKEND)
    session_registry.register(request)
    if device is not None:
        otp_login(request, device)
    stamp = session_state.now_stamp()
    request.session[session_state.SIGNED_IN_AT] = stamp
    request.session[session_state.SEEN_AT] = stamp
    session_state.mark_reauthenticated(request)
    record_event(
        EventKind.LOGIN_SUCCESS,
        request=request,
        user=user,
        identifier=user.username,
        data={"factor": type(device).__name__ if device is not None else "password"},
    )
    if used_recovery_code(device):
        record_event(
            EventKind.RECOVERY_CODE_USED,
            request=request,
            user=user,
            data={"remaining": device.remaining},
            notify=True,
        )
