import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin

RECOVERY_CODE_COUNT = 10
# Crockford-style alphabet: no 0/O or 1/I/L to confuse when read from paper.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LOOKUP_LENGTH = 4
SECRET_LENGTH = 12  # 12 × log2(31) ≈ 59 bits, stored with a salted slow hash (never in clear)


def normalise_recovery_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


class RecoveryCodeDevice(ThrottlingMixin, Device):
    """A set of single-use recovery codes, one per person, used when the authenticator is out of reach.

    Each code is ``LLLL-SSSS-SSSS-SSSS``: a lookup part that finds the row without hashing all ten, and a secret
    part stored only as a salted password hash. Codes are shown once, when generated; generating a new set deletes
    the old one.
    """

    class Meta(Device.Meta):
        verbose_name = _("recovery code set")
        verbose_name_plural = _("recovery code sets")

    def get_throttle_factor(self):
        return 1

    @property
    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()

    def regenerate(self) -> list[str]:
        """Replace every code by a new set and return the new codes (the only time they exist in clear)."""
        codes = []
        rows = []
        lookups = set()
        while len(codes) < RECOVERY_CODE_COUNT:
            lookup = "".join(secrets.choice(ALPHABET) for _ in range(LOOKUP_LENGTH))
            if lookup in lookups:
                continue
            lookups.add(lookup)
            secret = "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH))
            rows.append(RecoveryCode(device=self, lookup=lookup, code_hash=make_password(secret)))
            full = lookup + secret
            codes.append("-".join(full[i : i + 4] for i in range(0, len(full), 4)))
        with transaction.atomic():
            self.codes.all().delete()
            RecoveryCode.objects.bulk_create(rows)
        return codes

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        code = normalise_recovery_code(str(token))
        verified = False
        if len(code) == LOOKUP_LENGTH + SECRET_LENGTH:
            candidate = self.codes.filter(lookup=code[:LOOKUP_LENGTH], used_at__isnull=True).first()
            if candidate is not None and check_password(code[LOOKUP_LENGTH:], candidate.code_hash):
                # Conditional update: of two requests racing with the same code, exactly one wins.
                verified = (
                    RecoveryCode.objects.filter(pk=candidate.pk, used_at__isnull=True).update(used_at=timezone.now())
                    == 1
                )
        if verified:
            self.throttle_reset()
        else:
            self.throttle_increment()
        return verified


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    lookup = models.CharField(max_length=LOOKUP_LENGTH)
    code_hash = models.CharField(max_length=200)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "lookup"], name="recovery_code_lookup_unique")]

    def __str__(self):
        return f"{self.lookup}-…"
