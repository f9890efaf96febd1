from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, DeviceManager, ThrottlingMixin, TimestampMixin

# Credential ids are at most 1023 bytes (WebAuthn §5.8.3); stored in base64url, as browsers send them.
CREDENTIAL_ID_MAX_LENGTH = 1400


class SecurityKeyManager(DeviceManager):
    def for_user(self, user):
        return self.filter(user=user, confirmed=True).order_by("created_at", "pk")


class SecurityKey(TimestampMixin, ThrottlingMixin, Device):
    """A security key or passkey (WebAuthn / FIDO2), the phishing-resistant second factor (R14).

    Nothing here is secret: the private key never leaves the authenticator, the portal keeps the public key and the
    last signature counter. It is verified only through the WebAuthn ceremony (``portal.identity.webauthn``), never
    by a typed code, so ``verify_token`` always refuses; it is a django-otp device so that a session verified with it is
    ``is_verified()`` like any other, and so that ``otp_device`` tells which kind of factor the session proved.
    """

    credential_id = models.CharField(_("credential id"), max_length=CREDENTIAL_ID_MAX_LENGTH, unique=True)
    public_key = models.BinaryField(_("public key (COSE)"))
    sign_count = models.PositiveBigIntegerField(_("signature counter"), default=0)
    transports = models.JSONField(_("transports"), default=list, blank=True)
    aaguid = models.CharField(_("authenticator model (AAGUID)"), max_length=36, blank=True)

    objects = SecurityKeyManager()

    class Meta(Device.Meta):
        verbose_name = _("security key")
        verbose_name_plural = _("security keys")

    def get_throttle_factor(self):
        return 1

    def verify_token(self, token) -> bool:
        return False
