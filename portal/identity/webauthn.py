"""Security keys and passkeys (WebAuthn / FIDO2): adding one and proving one (R14); removing one is
``portal.identity.services.factor_remove``, as for authenticator apps.

A ceremony has two halves. The portal first hands the browser *options* holding a fresh random challenge, which it
keeps in the person's session; the browser asks the authenticator, which signs the challenge together with the
origin it was asked from, and the portal then *verifies* the answer with py_webauthn. The challenge is bound to the
session, to the person and to the purpose (add a key, sign in, confirm it is you), lasts five minutes and is used
once: a copied answer replayed later, or relayed from a look-alike site, fails (the origin and the relying-party ID
are checked against ``GUICHET_WEBAUTHN_ORIGINS`` and ``GUICHET_WEBAUTHN_RP_ID``).

Adding or removing a key is a credential change like adding an authenticator app (``portal/identity/mfa.py``): an
event the person is e-mailed about, and their other sessions end. A failed proof counts toward the limit of wrong second
factors across all the person's devices (R9) and throttles the key itself, like a wrong code.
"""

import enum
import hashlib
import json
import logging
import secrets
from datetime import datetime

import django_otp
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, parse_registration_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from portal.identity import key_policy, session_registry
from portal.identity.events import record_event
from portal.identity.session_state import mark_reauthenticated, now_stamp
from portal.identity.signin import CodeOutcome, CodeResult, count_wrong_second_factor
from portal.models import AuthenticatorApp, EventKind, SecurityKey, User

log = logging.getLogger(__name__)

# The ceremony in progress, in the session: {"purpose", "user", "challenge" (base64url), "at" (ISO time)}.
CEREMONY = "guichet_webauthn_ceremony"
CHALLENGE_BYTES = 32


class Purpose(enum.StrEnum):
    REGISTER = "register"
    SIGN_IN = "sign_in"
    REAUTH = "reauth"
    RESET = "reset"  # proving the factor before a new password is accepted (portal.identity.views.reset)


class RegistrationRefused(Exception):
    """The browser's answer did not add a key; ``reason`` says why, in words the person can act on."""

    EXPIRED = "expired"  # no ceremony in progress, or started more than five minutes ago, or already used
    INVALID = "invalid"  # the answer does not verify (wrong origin, challenge, malformed…)
    ALREADY_REGISTERED = "already_registered"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def security_keys(user):
    return SecurityKey.objects.for_user(user)


def user_handle(user: User) -> bytes:
    """The opaque account id an authenticator stores with a passkey: stable, and neither the identifier nor the pk."""
    return salted_hmac("portal.identity.webauthn.user-handle", str(user.pk), algorithm="sha256").digest()


def _timeout_ms() -> int:
    return int(settings.GUICHET_WEBAUTHN_CHALLENGE_MAX_AGE.total_seconds() * 1000)


def _descriptors(keys) -> list[PublicKeyCredentialDescriptor]:
    descriptors = []
    for key in keys:
        transports = []
        for name in key.transports or []:
            try:
                transports.append(AuthenticatorTransport(name))
            except ValueError:
                continue  # a transport this version of the library does not know: the browser finds the key anyway
        descriptors.append(
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(key.credential_id), transports=transports or None)
        )
    return descriptors


def _issue_challenge(request: HttpRequest, user: User, purpose: Purpose) -> bytes:
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    request.session[CEREMONY] = {
        "purpose": str(purpose),
        "user": user.pk,
        "challenge": bytes_to_base64url(challenge),
        "at": now_stamp(),
    }
    return challenge


def _take_challenge(request: HttpRequest, user: User, purpose: Purpose) -> bytes | None:
    """The challenge of the ceremony in progress, removed from the session; None when there is no valid one."""
    state = request.session.pop(CEREMONY, None)
    if not isinstance(state, dict) or state.get("purpose") != str(purpose) or state.get("user") != user.pk:
        return None
    try:
        issued_at = datetime.fromisoformat(state["at"])
        challenge = base64url_to_bytes(state["challenge"])
    except (KeyError, TypeError, ValueError):
        return None
    if timezone.now() - issued_at > settings.GUICHET_WEBAUTHN_CHALLENGE_MAX_AGE:
        return None
    # Popping it from the session is not enough when two requests of one session race with the same answer: the
    # first to claim it in the shared cache wins, the other is refused.
    claim = f"webauthn-challenge-used:{hashlib.sha256(challenge).hexdigest()}"
    if not cache.add(claim, 1, timeout=int(settings.GUICHET_WEBAUTHN_CHALLENGE_MAX_AGE.total_seconds()) + 60):
        return None
    return challenge


# --- Adding and removing a key -------------------------------------------------------------------------------------


def registration_options(request: HttpRequest) -> str:
    """Options (JSON) for ``navigator.credentials.create()`` to add a key to the signed-in person's account.

    Keys already on the account are excluded, so the same authenticator is not added twice. User verification (PIN,
    fingerprint) and a discoverable credential (a passkey) are preferred, not required, so plain USB keys work too.
    No attestation is asked for: the portal does not restrict authenticator models.
    """
    user = request.user
    options = generate_registration_options(
        rp_id=settings.GUICHET_WEBAUTHN_RP_ID,
        rp_name=settings.GUICHET_WEBAUTHN_RP_NAME,
        user_id=user_handle(user),
        user_name=user.get_username(),
        user_display_name=user.get_full_name(),
        challenge=_issue_challenge(request, user, Purpose.REGISTER),
        timeout=_timeout_ms(),
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(security_keys(user)),
    )
    return options_to_json(options)


def security_key_register(*, request: HttpRequest, name: str, credential: str) -> SecurityKey:
    """Verify the browser's answer to ``registration_options`` and store the key; raise ``RegistrationRefused``.

    On success the key signs in from now on, the current session counts as verified with it and as freshly
    re-authenticated, and the person's other sessions end.
    """
    user = request.user
    challenge = _take_challenge(request, user, Purpose.REGISTER)
    if challenge is None:
        raise RegistrationRefused(RegistrationRefused.EXPIRED)
    try:
        parsed = parse_registration_credential_json(credential)
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=settings.GUICHET_WEBAUTHN_RP_ID,
            expected_origin=settings.GUICHET_WEBAUTHN_ORIGINS,
        )
    except (WebAuthnException, ValueError, TypeError) as exc:
        log.info("security key registration refused for user=%s: %s", user.pk, exc)
        raise RegistrationRefused(RegistrationRefused.INVALID) from None
    transports = [transport.value for transport in parsed.response.transports or []]
    try:
        with transaction.atomic():
            key = SecurityKey.objects.create(
                user=user,
                name=name,
                confirmed=True,
                credential_id=bytes_to_base64url(verified.credential_id),
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=transports,
                aaguid=verified.aaguid,
            )
            record_event(
                EventKind.MFA_DEVICE_ADD,
                request=request,
                user=user,
                data={"device": name, "factor": "security_key"},
                notify=True,
            )
            session_registry.end_all(user=user, request=request, keep=session_registry.current_id(request))
    except IntegrityError:
        # The credential id is unique: this authenticator's credential is already on an account.
        raise RegistrationRefused(RegistrationRefused.ALREADY_REGISTERED) from None
    django_otp.login(request, key)
    mark_reauthenticated(request)
    return key


def must_keep_security_key(user: User, keys) -> bool:
    """Whether the person may not remove one of ``keys`` (their confirmed keys, locked by the caller).

    Under the policy, agents and admins keep at least one key. Without it, they keep at least one second factor of
    any kind, as for authenticator apps (``portal.identity.mfa.must_keep_last_factor``).
    """
    if not user.is_agent or len(keys) > 1:
        return False
    if key_policy.applies(user):
        return True
    return not AuthenticatorApp.objects.filter(user=user, confirmed=True).exists()


# --- Proving a key -------------------------------------------------------------------------------------------------


def authentication_options(request: HttpRequest, user: User, *, purpose: Purpose) -> str | None:
    """Options (JSON) for ``navigator.credentials.get()``, limited to the person's keys; None if they have none.

    ``user`` is the half-signed-in person at sign-in (``Purpose.SIGN_IN``), the signed-in one when confirming it
    is them (``Purpose.REAUTH``).
    """
    keys = list(security_keys(user))
    if not keys:
        return None
    options = generate_authentication_options(
        rp_id=settings.GUICHET_WEBAUTHN_RP_ID,
        challenge=_issue_challenge(request, user, purpose),
        timeout=_timeout_ms(),
        allow_credentials=_descriptors(keys),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options)


def _credential_id(credential: str) -> str | None:
    try:
        value = json.loads(credential).get("id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and 0 < len(value) <= 1400 else None


def _wait_seconds(details) -> int:
    locked_until = (details or {}).get("locked_until")
    if locked_until is None:
        return 1
    return max(1, int((locked_until - timezone.now()).total_seconds()) + 1)


def security_key_check(request: HttpRequest, *, user: User, credential: str, purpose: Purpose) -> CodeOutcome:
    """Verify the browser's answer to ``authentication_options``: the same outcomes as a typed code.

    Refused: no ceremony in progress for this person and purpose, or older than five minutes, or already answered
    (a replay); a key that is not one of the person's; a signature that does not verify; a signature counter that did
    not move forward (a cloned key). Each refusal is a wrong second factor (R9).
    """
    if user.otp_blocked_until and user.otp_blocked_until > timezone.now():
        return CodeOutcome(CodeResult.BLOCKED)
    credential_id = _credential_id(credential)
    key = security_keys(user).filter(credential_id=credential_id).first() if credential_id else None
    if key is not None:
        allowed, details = key.verify_is_allowed()
        if not allowed:
            return CodeOutcome(CodeResult.THROTTLED, wait_seconds=_wait_seconds(details))
    challenge = _take_challenge(request, user, purpose)
    if key is None or challenge is None:
        log.info("security key refused for user=%s: %s", user.pk, "unknown key" if key is None else "no challenge")
        return _refused(request, user, key)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.GUICHET_WEBAUTHN_RP_ID,
            expected_origin=settings.GUICHET_WEBAUTHN_ORIGINS,
            credential_public_key=bytes(key.public_key),
            credential_current_sign_count=key.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError) as exc:
        log.info("security key refused for user=%s: %s", user.pk, exc)
        return _refused(request, user, key)
    # Conditional update: of two answers racing with the same counter value, only one moves it forward.
    moved = SecurityKey.objects.filter(pk=key.pk, sign_count=key.sign_count).update(
        sign_count=verified.new_sign_count,
        throttling_failure_count=0,
        throttling_failure_timestamp=None,
        last_used_at=timezone.now(),
    )
    if moved != 1:
        return _refused(request, user, key)
    User.objects.filter(pk=user.pk).update(otp_failures=0)
    key.refresh_from_db()
    return CodeOutcome(CodeResult.OK, device=key)


def _refused(request: HttpRequest, user: User, key: SecurityKey | None) -> CodeOutcome:
    if key is not None:
        key.throttle_increment(commit=False)
        key.save(update_fields=["throttling_failure_count", "throttling_failure_timestamp"])
    return count_wrong_second_factor(request, user)
