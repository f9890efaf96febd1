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
        permissions = [("lift_lockout", _("Can lift sign-in blocks"))]
        # The locks in force, for the job that lifts them at their end (lockout.expired_locks_lift) every minute.
        indexes = [
            models.Index(
                fields=["locked_until"], condition=models.Q(locked_until__isnull=False), name="lockout_locked_until"
            )
        ]

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


class ChallengeMode(models.Model):
    """A period during which sign-ins from a network (or from everywhere, when ``network`` is empty) must first
    solve the bot challenge. Switched on by the detection job when it sees password spraying (R7, R36)."""

    GLOBAL = ""

    network = models.CharField(_("network"), max_length=64, blank=True, db_index=True)
    reason = models.CharField(_("reason"), max_length=200)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    active_until = models.DateTimeField(_("active until"), db_index=True)

    class Meta:
        ordering = ["-active_until"]
        verbose_name = _("bot-challenge period")
        verbose_name_plural = _("bot-challenge periods")

    def __str__(self):
        return self.network or "*"
