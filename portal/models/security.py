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
    MAIL_SERVER_ADDED = "mail_server_key_created", _("Mail server key created")
    MAIL_SERVER_REVOKED = "mail_server_key_revoked", _("Mail server key revoked")
    STALE_MAIL_CLIENT = "authn_stale_mail_client", _("A mail app keeps trying an old password")
    # The password-reset checks (portal.identity.account_checks).
    PASSWORD_AGE_REMINDER = "authn_password_age_reminder", _("Reminder: the password must be changed soon")
    MFA_GRACE_REMINDER = "mfa_grace_reminder", _("Reminder: a second factor is needed soon")
    RESET_REQUESTS_REPEATED = "authn_reset_requests_repeated", _("Many password reset requests for one account")
    FAILURES_AFTER_RESET = "authn_failures_after_reset", _("Failed sign-ins go on after a password reset")
    NOT_ME = "authn_not_me_reported", _("Reported as not done by the account's owner")
    ROLE_CHANGE = "authz_change", _("Role changed")
    ACCOUNT_DEACTIVATE = "user_archived", _("Account deactivated")
    ACCOUNT_REACTIVATE = "user_restored", _("Account reactivated")
    CONTACT_CHANGE = "user_contact_change", _("Contact addresses changed")
    # The helpdesk-assisted second-factor reset (R38–R41).
    RECOVERY_REQUESTED = "helpdesk_recovery_requested", _("Second-factor reset asked of the helpdesk")
    MFA_RESET_REQUESTED = "helpdesk_mfa_reset_requested", _("Second-factor reset started by the helpdesk")
    MFA_RESET_MANAGER_APPROVED = "helpdesk_mfa_reset_manager_ok", _("Second-factor reset approved by the line manager")
    MFA_RESET_APPROVED = "helpdesk_mfa_reset_approved", _("Second factor reset by the helpdesk")
    MFA_RESET_DENIED = "helpdesk_mfa_reset_denied", _("Second-factor reset refused")
    MFA_RESET_CANCELLED = "helpdesk_mfa_reset_cancelled", _("Second-factor reset cancelled")
    MFA_RESET_APPROVAL_REFUSED = "helpdesk_mfa_reset_approval_refused", _("Approval of a second-factor reset refused")
    ACCESS_PASS_LOGIN = "authn_access_pass_login", _("Signed in with a temporary access pass")
    COOLING_OFF_REFUSED = "authz_cooling_off_refused", _("Change held back after a helpdesk reset")
    # Alerts for the security team about the helpdesk resets (R41).
    ALERT_PRIVILEGED_RESET = "helpdesk_mfa_reset_privileged", _("Second factor of a privileged account reset")
    ALERT_RESET_RATE = "helpdesk_mfa_reset_rate", _("Many second-factor resets by one agent")
    ALERT_RESET_AGENT_AREA = "helpdesk_reset_agent_area", _("Agents' workspace opened soon after a second-factor reset")


# Kinds the security team is e-mailed about (GUICHET_SECURITY_TEAM_EMAILS), besides the account's owner if any.
TEAM_ALERT_KINDS = frozenset(
    {
        EventKind.SPRAY_DETECTED,
        EventKind.MASS_LOCKOUT,
        EventKind.RESET_REQUESTS_REPEATED,
        EventKind.MFA_FAIL_MAX,
        EventKind.NOT_ME,
        EventKind.MFA_RESET_DENIED,
        EventKind.ALERT_PRIVILEGED_RESET,
        EventKind.ALERT_RESET_RATE,
        EventKind.ALERT_RESET_AGENT_AREA,
    }
)
# Alerts the account's owner is not e-mailed about: they already got the e-mail of the reset itself, or the alert
# is about an agent's own behaviour, which warning them would only teach to stay under the threshold.
TEAM_ONLY_KINDS = frozenset(
    {
        EventKind.ALERT_PRIVILEGED_RESET,
        EventKind.ALERT_RESET_RATE,
        EventKind.ALERT_RESET_AGENT_AREA,
        EventKind.RESET_REQUESTS_REPEATED,  # the owner already had each link's e-mail
    }
)
# Kinds the account's line manager is e-mailed about too: a reset to approve after a call-back (R38), a reset done
# (R41).
MANAGER_NOTIFIED_KINDS = frozenset({EventKind.MFA_RESET_REQUESTED, EventKind.MFA_RESET_APPROVED})


class Source(models.TextChoices):
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    MAIL = "mail", _("Mail server")
    IMAP = "imap", _("IMAP")
    POP3 = "pop3", _("POP3")
    SMTP = "smtp", _("SMTP (sending)")
    WEBMAIL = "webmail", _("Webmail")


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
    # An event read from a mail server's logs (portal.identity.mail_events): "<server prefix>:<its event id>", so a
    # batch sent twice or a log read again is stored once. Empty for everything else.
    external_id = models.CharField(max_length=80, blank=True, editable=False)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["notify", "notified_at"], condition=models.Q(notify=True), name="event_outbox_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~models.Q(external_id=""), name="event_external_id_unique"
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.submitted_identifier or self.user_id} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("security events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("security events are append-only")
