"""A person's second factors: enrolling an authenticator app, recovery codes (R13, R16); removing one is
``portal.identity.services.factor_remove``.

Every change here is a credential change. It is recorded as a security event the person is e-mailed about, and it
signs out the person's other sessions while the current one carries on.
"""

from base64 import b32encode
from datetime import datetime

import django_otp
import qrcode
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from qrcode.image.svg import SvgPathImage

from portal.identity import session_registry
from portal.identity.events import record_event
from portal.identity.session_state import mark_reauthenticated
from portal.models import AuthenticatorApp, EventKind, RecoveryCodeDevice, SecurityKey

# Device names are shown to the person and to agents; these two are set by the portal, not typed by the person.
ENROLMENT_DEVICE_NAME = "Ajout en cours"
RECOVERY_DEVICE_NAME = "Codes de secours"


class CodeRefused(Exception):
    """The code typed to confirm an enrolment was wrong, or came too soon after wrong ones (``retry_at`` is set)."""

    def __init__(self, *, retry_at: datetime | None = None):
        super().__init__()
        self.retry_at = retry_at


def confirmed_totp_devices(user):
    return AuthenticatorApp.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def recovery_codes_remaining(user) -> int | None:
    """How many unused recovery codes the person has, or None when they never generated any."""
    device = RecoveryCodeDevice.objects.filter(user=user).first()
    return None if device is None else device.remaining


def must_keep_last_factor(user, devices) -> bool:
    """Agents and admins always need a second factor, so their last authenticator app cannot be removed, unless a
    security key stands in for it (``portal.identity.webauthn.must_keep_security_key`` guards the keys)."""
    return user.is_agent and len(devices) <= 1 and not SecurityKey.objects.filter(user=user, confirmed=True).exists()


def totp_enrolment_device(*, user) -> AuthenticatorApp:
    """The person's enrolment in progress: reused, so reloading the page does not invalidate a QR code just scanned.

    An unconfirmed device never signs anybody in (sign-in only considers confirmed devices), so an abandoned
    enrolment is harmless.
    """
    device = AuthenticatorApp.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = AuthenticatorApp.objects.create(
            user=user, name=ENROLMENT_DEVICE_NAME, confirmed=False, tolerance=settings.OTP_TOTP_TOLERANCE
        )
    return device


def totp_secret(device: AuthenticatorApp) -> str:
    """The key as authenticator apps expect it typed (base32), in groups of four so it can be read and checked."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(device: AuthenticatorApp, *, label: str) -> SafeString:
    """The otpauth:// URI as an inline SVG QR code, drawn here so the secret never goes to a third-party service."""
    image = qrcode.make(device.config_url, image_factory=SvgPathImage)
    svg = image.get_image()
    # The style sheet sizes the picture; screen readers announce the label instead of thousands of path commands.
    svg.attrib.pop("width", None)
    svg.attrib.pop("height", None)
    svg.set("class", "qr-code")
    svg.set("role", "img")
    svg.set("aria-label", str(label))
    # Built from our own data by ElementTree, which escapes every attribute value.
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308


def totp_enrol(*, request: HttpRequest, device: AuthenticatorApp, name: str, code: str) -> AuthenticatorApp:
    """Confirm the enrolment with the first code the app shows; raise ``CodeRefused`` when the code is not right.

    On success the device signs in from now on, the current session counts as verified with it and as freshly
    re-authenticated, and the person's other sessions end.
    """
    with transaction.atomic():
        # Locked, so two tabs submitting the same code cannot both confirm (django-otp also refuses reused codes).
        device = AuthenticatorApp.objects.select_for_update().get(pk=device.pk, user=request.user)
        allowed, details = device.verify_is_allowed()
        verified = allowed and device.verify_token(code)
        if verified:
            device.name = name
            device.confirmed = True
            device.save(update_fields=["name", "confirmed"])
            record_event(
                EventKind.MFA_DEVICE_ADD, request=request, user=request.user, data={"device": name}, notify=True
            )
            session_registry.end_all(user=request.user, request=request, keep=session_registry.current_id(request))
    # Raised outside the transaction so the throttling counter that verify_token() increments is kept.
    if not verified:
        raise CodeRefused(retry_at=None if allowed else (details or {}).get("locked_until"))
    django_otp.login(request, device)
    mark_reauthenticated(request)
    return device


def recovery_codes_regenerate(*, request: HttpRequest) -> list[str]:
    """Replace the person's recovery codes by a new set and return it: the only time the codes exist in clear.

    The caller shows them in its response and keeps them nowhere else (no session, message, URL or log).
    """
    with transaction.atomic():
        device = RecoveryCodeDevice.objects.filter(user=request.user).first()
        if device is None:
            device = RecoveryCodeDevice.objects.create(user=request.user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        codes = device.regenerate()
        record_event(
            EventKind.RECOVERY_CODES_REGENERATED,
            request=request,
            user=request.user,
            data={"count": len(codes)},
            notify=True,
        )
    return codes
