"""The helpdesk-assisted second-factor reset (R38–R41): the person's request from the lost-phone page, the reset an
agent starts and a second agent approves, and the temporary access pass it ends with.

The workflows are in portal.identity.helpdesk_reset and portal.identity.access_pass; these rows are what they
leave behind for the helpdesk, the security team and the tests.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# How long a started reset waits for its approvals (R39), how long an access pass lives (R40), how long high-risk
# changes are held back after a reset (R41).
APPROVAL_WINDOW = timedelta(minutes=30)
ACCESS_PASS_LIFETIME = timedelta(hours=1)
COOLING_OFF = timedelta(hours=24)


class IdentityCheck(models.TextChoices):
    """How the agent made sure the caller is the account's owner: the ways strong enough to replace a second
    factor (R38). Personal details the caller can recite (name, employee number, date of birth, manager's name)
    are not among them."""

    IN_PERSON = "in_person", _("In person, against the badge or an official photo ID")
    VIDEO_ID = "video_id", _("Video call, with a photo ID matched to the HR record")
    DOCUMENT_LIVENESS = "document_liveness", _("Document and liveness check by the identity verification service")
    CALLBACK_MANAGER = (
        "callback_manager",
        _("Call back on the number of the HR record, and approval by the line manager in the portal"),
    )


class MfaResetState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    EXECUTED = "executed", _("Done")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class MfaResetRequestQuerySet(models.QuerySet):
    def pending(self):
        """Started, not decided, still inside the approval window."""
        return self.filter(state=MfaResetState.PENDING, expires_at__gt=timezone.now())


class MfaResetRequest(models.Model):
    """One second-factor reset: started by an agent who checked the person's identity (``method`` and
    ``evidence``), approved by a second agent within 30 minutes, and, for a call-back, by the line manager too.
    Executed in the approval's transaction (portal.identity.helpdesk_reset.mfa_reset_approve)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mfa_resets", verbose_name=_("account")
    )
    # The helpdesk case the reset belongs to (INC-…); every step is also an event on it.
    case_reference = models.CharField(_("case"), max_length=20, blank=True)
    method = models.CharField(_("identity check"), max_length=24, choices=IdentityCheck.choices)
    evidence = models.TextField(
        _("evidence"),
        max_length=1000,
        help_text=_("What shows the check was done: the verification transaction, the badge or ID number seen…"),
    )
    initiated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("started by")
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    expires_at = models.DateTimeField(_("approval possible until"))
    state = models.CharField(_("state"), max_length=16, choices=MfaResetState.choices, default=MfaResetState.PENDING)
    manager_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by the line manager"),
    )
    manager_approved_at = models.DateTimeField(_("line manager's approval"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    executed_at = models.DateTimeField(_("executed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("refused or cancelled by"),
    )
    closed_at = models.DateTimeField(_("refused or cancelled"), null=True, blank=True)
    close_reason = models.CharField(_("reason"), max_length=300, blank=True)

    objects = MfaResetRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("second-factor reset")
        verbose_name_plural = _("second-factor resets")
        indexes = [
            models.Index(fields=["user", "state", "-executed_at"], name="portal_mfa_reset_user_state"),
            models.Index(fields=["state", "-created_at"], name="portal_mfa_reset_state"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M} {self.state}"

    def save(self, *args, **kwargs):
        if self.expires_at is None:
            self.expires_at = (self.created_at or timezone.now()) + APPROVAL_WINDOW
        super().save(*args, **kwargs)

    @property
    def needs_manager(self) -> bool:
        return self.method == IdentityCheck.CALLBACK_MANAGER

    @property
    def is_expired(self) -> bool:
        return self.state == MfaResetState.EXPIRED or (
            self.state == MfaResetState.PENDING and timezone.now() >= self.expires_at
        )

    @property
    def is_pending(self) -> bool:
        return self.state == MfaResetState.PENDING and not self.is_expired


class TemporaryAccessPass(models.Model):
    """A short secret the approving agent reads out to the verified person: it signs them in once, within an hour,
    to a session that can only add a second factor and choose a new password (R40). Only its SHA-256 is kept (it
    is ~80 random bits, nothing a slow hash would protect better). Not a django-otp device: it proves nothing
    at sign-in but "the helpdesk just checked this person"."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_passes", verbose_name=_("account")
    )
    reset = models.ForeignKey(
        MfaResetRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="access_passes"
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    created_at = models.DateTimeField(_("issued"), default=timezone.now)
    expires_at = models.DateTimeField(_("valid until"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("temporary access pass")
        verbose_name_plural = _("temporary access passes")
        indexes = [models.Index(fields=["user", "-created_at"], name="portal_access_pass_user")]

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.used_at is None and timezone.now() < self.expires_at


class RecoveryRequest(models.Model):
    """One "reset my second factor" form from the lost-phone page, whoever it names: an account, nobody, a closed
    one. The page stores this row and queues its task, so every answer costs the same; the worker finds the
    account and opens the helpdesk case (portal.identity.helpdesk_reset.recovery_request_handle). ``notify`` and
    ``notified_at`` are the claim of portal.web.outbox, as for password reset requests. Kept 30 days."""

    submitted = models.CharField(_("identifier or address typed"), max_length=254)
    message = models.TextField(_("message"), max_length=2000, blank=True)
    contact = models.CharField(_("how to reach them"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    notify = models.BooleanField(default=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    # What the worker did, for the helpdesk only: "case", "unknown", "limited".
    outcome = models.CharField(_("outcome"), max_length=16, blank=True)
    case_reference = models.CharField(_("case"), max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("second-factor reset request")
        verbose_name_plural = _("second-factor reset requests")
        indexes = [models.Index(fields=["notified_at", "created_at"], name="portal_recovery_request_outbox")]

    def __str__(self):
        return f"{self.submitted} {self.created_at:%Y-%m-%d %H:%M}"
