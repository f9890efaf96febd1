import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _public_id() -> str:
    return secrets.token_urlsafe(16)


class SignedInSession(models.Model):
    """One browser signed in to an account, as the person sees it on their security page (R33).

    The session itself lives in Django's session store; this row is its entry in the person's list. The session
    carries the row's ``public_id`` and the session middleware ends any session whose row is gone, so deleting the
    row signs that browser out on its next request, whatever the session backend. The row holds no session key.
    """

    public_id = models.CharField(max_length=32, unique=True, default=_public_id, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions")
    started_at = models.DateTimeField(_("signed in"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last activity"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")
        indexes = [models.Index(fields=["user", "-last_seen_at"])]

    def __str__(self):
        return f"{self.user_id} {self.started_at:%Y-%m-%d %H:%M}"
