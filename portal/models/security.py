from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models.event_base import EventBase


class EventKind(models.TextChoices):
    # Names follow the OWASP logging vocabulary where it has one.
    LOGIN_SUCCESS = "authn_login_success", _("Signed in")
    LOGIN_FAIL = "authn_login_fail", _("Failed sign-in")
    LOGIN_LOCK = "authn_login_lock", _("Sign-in suspended after repeated failures")
    LOGIN_UNLOCK = "authn_login_unlock", _("Sign-in suspension lifted")
    SOURCE_THROTTLED = "excess_rate_limit_exceeded", _("Too many failures from one network address")
    SPRAY_DETECTED = "authn_spray_detected", _("Password spraying detected")
    MASS_LOCKOUT = "authn_mass_lockout", _("Many accounts suspended at once")
    MFA_FAIL = "authn_mfa_fail", _("Wrong second-factor code")
    MFA_FAIL_MAX = "authn_mfa_fail_max", _("Second factor blocked after repeated wrong codes")
    MFA_DEVICE_ADD = "mfa_device_add", _("Authenticator added")
    MFA_DEVICE_REMOVE = "mfa_device_remove", _("Authenticator removed")
    RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated", _("New recovery codes generated")
    PASSWORD_CHANGE = "authn_password_change", _("Password changed")
    PASSWORD_RESET_LINK = "authn_password_reset_link", _("Password reset link sent")
    SESSIONS_REVOKED = "session_revoked", _("Other sessions signed out")
    SESSION_ENDED = "session_ended", _("One other session signed out")
    SESSIONS_REVOKED_BY_ADMIN = "session_revoked_admin", _("All sessions signed out by an administrator")
    LOGOUT = "authn_logout", _("Signed out")
    API_TOKEN_CREATED = "api_token_created", _("API token created")
    API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
    NOT_ME = "authn_not_me_reported", _("Reported as not done by the account's owner")
    ROLE_CHANGE = "authz_change", _("Role changed")
    ACCOUNT_DEACTIVATE = "user_archived", _("Account deactivated")
    ACCOUNT_REACTIVATE = "user_restored", _("Account reactivated")


# Kinds the security team is e-mailed about (GUICHET_SECURITY_TEAM_EMAILS), besides the account's owner if any.
TEAM_ALERT_KINDS = frozenset(
    {EventKind.SPRAY_DETECTED, EventKind.MASS_LOCKOUT, EventKind.MFA_FAIL_MAX, EventKind.NOT_ME}
)


class Source(models.TextChoices):
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    MAIL = "mail", _("Mail server")


class SecurityEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # Only the notification bookkeeping may change after the fact; the record itself never does.
        if set(kwargs) - {"notified_at"}:
            raise TypeError("security events are append-only")
        return super().update(**kwargs)

    def delete(self):
        raise TypeError("security events are append-only")


class SecurityEvent(EventBase):
    """One security-relevant fact, written in the same transaction as the change it records. Append-only.

    Never holds a password, code, token or session key: ``data`` carries only non-secret details (the device name,
    how many recovery codes remain, the lock duration…). The outbox fields (EventBase) carry the e-mail that tells
    the person: sent by a Celery task, re-tried by a periodic job.
    """

    kind = models.CharField(_("event"), max_length=40, choices=EventKind.choices, db_index=True)
    # Set when the row is written, whatever the caller passes: when it happened is not the caller's to say.
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # The account concerned, which is not always who acted (a spray has no actor; an administrator may act on it).
    actor = None
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="security_events",
        verbose_name=_("account"),
    )
    submitted_identifier = models.CharField(_("identifier typed"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("client address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.PORTAL)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["notify", "notified_at"], condition=models.Q(notify=True), name="event_outbox_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.submitted_identifier or self.user_id} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("security events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("security events are append-only")
