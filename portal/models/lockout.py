from django.db import models
from django.utils.translation import gettext_lazy as _


class AccountLockout(models.Model):
    """Sign-in failures for one submitted identifier, whether or not an account has it.

    Keyed on what was typed (case-folded), so guessing at a non-existent identifier is throttled exactly like a
    real one and the lock state reveals nothing. A request carrying a valid known-device cookie for the account is
    counted under its own key (``<identifier>|device:<id>``), so an attacker locking the identifier does not lock
    out the owner on the browser they already use.
    """

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    reset_required = models.BooleanField(default=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in lockout")
        verbose_name_plural = _("sign-in lockouts")

    def __str__(self):
        return self.key


class SourceThrottle(models.Model):
    """Failed sign-ins from one client address over a sliding window, against password spraying."""

    ip = models.GenericIPAddressField(unique=True)
    window_started_at = models.DateTimeField()
    failures = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("source throttle")
        verbose_name_plural = _("source throttles")

    def __str__(self):
        return self.ip
