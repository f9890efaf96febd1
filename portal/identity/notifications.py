"""E-mails that tell a person about a security-relevant change on their account (R26), and the wording of security
events that the e-mails and the security pages share.

An event recorded with ``notify=True`` is an outbox row: ``deliver_event_notification`` hands it to
portal.web.outbox.deliver, which claims it and sends the e-mails built here, either from the task queued when the
event's transaction committed or from the periodic sweep (``portal.tasks.deliver_pending_notifications``) when that
task never reached a worker.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.identity.not_me import not_me_url
from portal.models import EventKind, SecurityEvent
from portal.models.security import TEAM_ALERT_KINDS
from portal.web import outbox
from portal.web.user_agent import detect as user_agent_detect

log = logging.getLogger(__name__)

# One sentence per kind, telling the person what the event means for them; the e-mail adds what to do.
EXPLANATIONS = {
    EventKind.LOGIN_LOCK: _("Signing in to your account was suspended for a while after several wrong passwords."),
    EventKind.MFA_FAIL_MAX: _(
        "Someone typed your password correctly but then entered several wrong second-factor codes. Your second "
        "factor is blocked for now and your password must be reset."
    ),
    EventKind.MFA_DEVICE_ADD: _("An authenticator was added to your account."),
    EventKind.MFA_DEVICE_REMOVE: _("An authenticator was removed from your account."),
    EventKind.RECOVERY_CODE_USED: _("One of your recovery codes was used to sign in."),
    EventKind.RECOVERY_CODES_REGENERATED: _("New recovery codes were generated; the old ones no longer work."),
    EventKind.PASSWORD_CHANGE: _("The password of your account was changed."),
    EventKind.SESSIONS_REVOKED: _("All the sessions of your account except one were signed out."),
    EventKind.SESSIONS_REVOKED_BY_ADMIN: _("An administrator signed your account out of every browser."),
}
GENERIC_EXPLANATION = _("A security-relevant change was made to your account.")

# For the security team: what the alert means and what to look at.
TEAM_EXPLANATIONS = {
    EventKind.SPRAY_DETECTED: _(
        "Sign-in failures against many different identifiers came from one network or browser signature. The bot "
        "challenge is now required there for an hour. Check whether the source is known (a school's NAT, a "
        "misconfigured mail server) before blocking it at the edge."
    ),
    EventKind.MASS_LOCKOUT: _(
        "Many accounts were suspended after repeated failures within a few minutes: an attack, or a mail server "
        "retrying old passwords. Owners can still sign in from their known devices and reset their password."
    ),
    EventKind.MFA_FAIL_MAX: _(
        "Someone knew this account's password and entered wrong second-factor codes until the second factor was "
        "blocked. The password must be reset; consider contacting the owner."
    ),
}

RAW_USER_AGENT_SHOWN = 60


def browser_summary(user_agent: str) -> str:
    """A short "Firefox on Windows" for a long user-agent string; the start of the raw string when it names no
    browser on a system (a tool such as curl, or a string nobody recognises)."""
    detected = user_agent_detect(user_agent)
    browser, system = detected.browser_name, detected.system_name
    if browser and system:
        return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return user_agent[:RAW_USER_AGENT_SHOWN]


def explanation(kind: str) -> str:
    return EXPLANATIONS.get(kind, GENERIC_EXPLANATION)


def details(event: SecurityEvent) -> str:
    """The numbers that matter for some kinds, from the event's non-secret data (R17: codes left)."""
    data = event.data or {}
    if event.kind == EventKind.RECOVERY_CODE_USED and "remaining" in data:
        return ngettext("%(count)d recovery code remains.", "%(count)d recovery codes remain.", data["remaining"]) % {
            "count": data["remaining"]
        }
    if event.kind == EventKind.LOGIN_LOCK and data.get("reset_required"):
        return gettext("A password reset or the helpdesk is now needed to sign in again.")
    if event.kind == EventKind.LOGIN_LOCK and "minutes" in data:
        return ngettext(
            "Signing in is possible again in %(count)d minute.",
            "Signing in is possible again in %(count)d minutes.",
            data["minutes"],
        ) % {"count": data["minutes"]}
    return ""


def deliver_event_notification(event_id: int) -> bool:
    """Claim the event's outbox row and send its e-mails (the person's, the security team's alert); does nothing if
    already sent (idempotent). True when this call sent them; a failure releases the claim and propagates."""
    sent = outbox.deliver(SecurityEvent, event_id, messages=_messages, related=("user",))
    if sent:
        log.info("security notification sent for event %s", event_id)
    return sent


def _messages(event: SecurityEvent) -> list[EmailMultiAlternatives]:
    outgoing = []
    if event.user is not None and event.user.email:
        outgoing.append(_message(event))
    if event.kind in TEAM_ALERT_KINDS and settings.GUICHET_SECURITY_TEAM_EMAILS:
        outgoing.append(_team_message(event))
    if not outgoing:
        log.warning("security event %s has nobody to notify", event.pk)
    return outgoing


def _message(event: SecurityEvent) -> EmailMultiAlternatives:
    user = event.user
    # Also to the personal recovery address, when there is one: whoever took over the work mailbox could delete the
    # warning there, not there.
    recipients = [user.email]
    if user.recovery_email and user.recovery_email.casefold() != user.email.casefold():
        recipients.append(user.recovery_email)
    return outbox.make_message("security-event", to=recipients, language=user.language, context=lambda: _context(event))


def _team_message(event: SecurityEvent) -> EmailMultiAlternatives:
    """The alert to the security team, in the organisation's language, with the non-secret figures of the event."""
    return outbox.make_message(
        "security-alert",
        to=settings.GUICHET_SECURITY_TEAM_EMAILS,
        language=settings.LANGUAGE_CODE,
        html=False,
        context=lambda: {
            "label": event.get_kind_display(),
            "explanation": TEAM_EXPLANATIONS.get(event.kind, ""),
            "when": timezone.localtime(event.created_at),
            "account": event.user.username if event.user else "",
            "ip": event.ip or "",
            "data": sorted((event.data or {}).items()),
            "events_url": settings.SITE_URL + reverse("admin:portal_securityevent_changelist"),
        },
    )


def _context(event: SecurityEvent) -> dict:
    """What the e-mail may say. Built from the event row only: it never holds a password, code or token."""
    return {
        "name": event.user.get_short_name(),
        "label": event.get_kind_display(),
        "explanation": explanation(event.kind),
        "details": details(event),
        "when": timezone.localtime(event.created_at),
        "ip": event.ip or "",
        "browser": browser_summary(event.user_agent),
        # From the configured address only: a request's Host header could point the link at another site.
        "security_url": settings.SITE_URL + reverse("portal:security"),
        "not_me_url": not_me_url(event),
    }
