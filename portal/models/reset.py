from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PasswordResetRequest(models.Model):
    """One "I forgot my password" form sent, whoever it names: an account, nobody, a disabled one.

    The page only stores this row and queues its task, so every answer costs the same (R18, R19); the worker finds
    the account, applies the per-account limit and mails the link (portal.identity.reset). ``notify`` and
    ``notified_at`` are the outbox fields of portal.web.outbox: a task lost with the broker is sent by the sweep.
    What was typed is kept a day for the helpdesk ("I asked for a link at 9:02 and got nothing"), then purged.
    """

    submitted = models.CharField(_("identifier or address typed"), max_length=254)
    ip = models.GenericIPAddressField(_("address"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    notify = models.BooleanField(default=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    # What the worker did, for the helpdesk only (never shown to the requester): "sent", "unknown", "limited",
    # "stale".
    outcome = models.CharField(_("outcome"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("password reset request")
        verbose_name_plural = _("password reset requests")
        indexes = [models.Index(fields=["notified_at", "created_at"])]

    def __str__(self):
        return f"{self.submitted} {self.created_at:%Y-%m-%d %H:%M}"


class PasswordResetToken(models.Model):
    """A reset link: only a SHA-256 digest of its random secret is kept, with the fingerprint of the account's state
    when it was issued (portal.identity.reset). One live link per account: issuing one deletes the others."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reset_tokens")
    digest = models.CharField(max_length=64, unique=True)
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("password reset link")
        verbose_name_plural = _("password reset links")
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"
