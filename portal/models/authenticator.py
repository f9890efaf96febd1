import os
import time
from base64 import b32encode
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from portal.web import sealing

SEED_BYTES = 20  # 160 bits, the size RFC 4226 recommends for HMAC-SHA1


class AuthenticatorApp(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app (TOTP, RFC 6238) whose seed is stored sealed, never in clear (R13).

    Verification follows RFC 6238 with django-otp's ``TOTP``: the current code and one step either side are accepted
    (R11), and a code is accepted only at a later step than the last accepted one, decided by a conditional update so
    two requests racing with the same code cannot both pass.
    """

    sealed_seed = models.TextField(editable=False)
    step = models.PositiveSmallIntegerField(default=30)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    last_t = models.BigIntegerField(default=-1)
    t0 = 0  # steps count from the Unix epoch, as every authenticator app assumes

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    @classmethod
    def _context(cls, user_id) -> str:
        return f"totp-seed:user:{user_id}"

    def set_seed(self, seed: bytes | None = None) -> None:
        self.sealed_seed = sealing.seal(seed or os.urandom(SEED_BYTES), context=self._context(self.user_id))

    @property
    def bin_key(self) -> bytes:
        return sealing.unseal(self.sealed_seed, context=self._context(self.user_id))

    def save(self, *args, **kwargs):
        if not self.sealed_seed:
            self.set_seed()
        super().save(*args, **kwargs)

    def get_throttle_factor(self):
        return 1

    def verify_token(self, token) -> bool:
        allowed, _details = self.verify_is_allowed()
        if not allowed:
            return False
        token = str(token)
        verified = False
        if token.isdigit() and len(token) == self.digits:
            totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
            totp.time = time.time()
            if totp.verify(int(token), self.tolerance, self.last_t + 1):
                # Replay guard that holds under concurrency: only one request moves last_t past this step.
                verified = (
                    type(self).objects.filter(pk=self.pk, last_t__lt=totp.t()).update(last_t=totp.t(), drift=totp.drift)
                    == 1
                )
                if verified:
                    self.last_t, self.drift = totp.t(), totp.drift
        if verified:
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save(update_fields=["throttling_failure_count", "throttling_failure_timestamp", "last_used_at"])
        else:
            self.throttle_increment(commit=True)
        return verified

    @property
    def config_url(self) -> str:
        """The otpauth:// URI that authenticator apps read from the QR code."""
        issuer = settings.OTP_TOTP_ISSUER.replace(":", "")
        label = quote(f"{issuer}:{self.user.get_username()}")
        params = urlencode(
            {
                "secret": b32encode(self.bin_key).decode().rstrip("="),
                "algorithm": "SHA1",
                "digits": self.digits,
                "period": self.step,
            }
        )
        return f"otpauth://totp/{label}?{params}&issuer={quote(issuer)}"
