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
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.identity.not_me import not_me_url
from portal.models import EventKind, SecurityEvent
from portal.models.security import MANAGER_NOTIFIED_KINDS, TEAM_ALERT_KINDS, TEAM_ONLY_KINDS, Source
from portal.web import outbox
from portal.web.user_agent import detect as user_agent_detect

log = logging.getLogger(__name__)

# The knowledge-base article on removing and re-adding an account on a device (kb/content/).
STALE_CLIENT_ARTICLE = "client-mail-ancien-mot-de-passe"

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
    EventKind.CONTACT_CHANGE: _("The e-mail addresses of your account were changed."),
    EventKind.RECOVERY_REQUESTED: _(
        "Someone asked the helpdesk to reset the second factor of your account, from the lost-phone page. The "
        "helpdesk will check that it is you before doing anything: in person, on a video call with an ID, or by "
        "calling you back on the number HR has for you."
    ),
    EventKind.MFA_RESET_REQUESTED: _(
        "A helpdesk agent started resetting the second factor of your account after checking your identity. A "
        "second agent must approve it within 30 minutes."
    ),
    EventKind.MFA_RESET_APPROVED: _(
        "The helpdesk reset the second factor of your account: your authenticators, security keys and recovery "
        "codes were removed and every session was signed out. Use the temporary access pass the helpdesk gave you "
        "within an hour to add a second factor and choose a new password. For 24 hours, some changes to your "
        "account are held back for your safety."
    ),
    EventKind.MFA_RESET_DENIED: _(
        "Someone asked the helpdesk to reset the second factor of your account, and the helpdesk refused: who was "
        "asking was not proven. Nothing was changed on your account."
    ),
    EventKind.MFA_RESET_CANCELLED: _(
        "A reset of your second factor started by the helpdesk was cancelled. Nothing was changed on your account."
    ),
    EventKind.STALE_MAIL_CLIENT: _(
        "A mail app keeps trying to sign in to your account with a password that is no longer the right one, "
        "probably the one you had before your last change. Its failures can suspend your account."
    ),
    EventKind.PASSWORD_AGE_REMINDER: _(
        "Your organisation's policy asks for a new password after a while, and yours will soon reach that age. "
        "Change it from your security page before then, and update the mail apps of your phone and computers "
        "right after."
    ),
    EventKind.MFA_GRACE_REMINDER: _(
        "Your account must have a second factor (an authenticator app or a security key) soon. Add one from your "
        "security page before the deadline: after it, signing in asks you to add one first."
    ),
    EventKind.ACCESS_PASS_LOGIN: _(
        "Someone signed in to your account with the temporary access pass the helpdesk gave. It works once."
    ),
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
    EventKind.RESET_REQUESTS_REPEATED: _(
        "Password reset links were asked for this account several times within a day. Either someone is flooding "
        "its mailbox, or its owner never receives the e-mail (check the address on the account)."
    ),
    EventKind.MFA_RESET_DENIED: _(
        "A helpdesk reset of this account's second factor was refused: the caller could not prove who they were, a "
        "second agent refused it, or it expired before approval. A caller with personal details only may be an "
        "impersonation attempt; the owner was told."
    ),
    EventKind.ALERT_PRIVILEGED_RESET: _(
        "The second factor of an agent's or administrator's account was reset by the helpdesk. Check with the "
        "approving administrator and the owner that it was expected."
    ),
    EventKind.ALERT_RESET_RATE: _(
        "One agent took part in more than five second-factor resets within an hour. Check the cases and the "
        "evidence recorded for each: help-desk impersonation campaigns look like this."
    ),
    EventKind.ALERT_RESET_AGENT_AREA: _(
        "An account whose second factor was reset by the helpdesk less than 24 hours ago opened the agents' "
        "workspace. Check with its owner, by a known channel, that it is them."
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
    deadline = parse_datetime(str(data.get("expires") or data.get("deadline") or ""))
    if event.kind in (EventKind.PASSWORD_AGE_REMINDER, EventKind.MFA_GRACE_REMINDER) and deadline is not None:
        return gettext("Deadline: %(date)s.") % {"date": date_format(timezone.localtime(deadline), "DATE_FORMAT")}
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
    if event.user is not None and event.kind not in TEAM_ONLY_KINDS and _recipients(event):
        outgoing.append(_message(event))
    if _manager_concerned(event):
        outgoing.append(_manager_message(event, event.user.line_manager))
    if event.kind in TEAM_ALERT_KINDS and settings.GUICHET_SECURITY_TEAM_EMAILS:
        outgoing.append(_team_message(event))
    if not outgoing:
        log.warning("security event %s has nobody to notify", event.pk)
    return outgoing


def _recipients(event: SecurityEvent) -> list[str]:
    """The work address and the personal recovery address, when there is one: whoever took over the work mailbox
    could delete the warning there, not there. A change of addresses is also told at the previous ones."""
    user = event.user
    addresses = [user.email, user.recovery_email]
    if event.kind == EventKind.CONTACT_CHANGE:
        addresses += [str(address) for address in (event.data or {}).get("previous", [])]
    recipients = []
    for address in addresses:
        if address and address.casefold() not in {known.casefold() for known in recipients}:
            recipients.append(address)
    return recipients


def _message(event: SecurityEvent) -> EmailMultiAlternatives:
    user = event.user
    return outbox.make_message(
        "security-event", to=_recipients(event), language=user.language, context=lambda: _context(event)
    )


def _manager_concerned(event: SecurityEvent) -> bool:
    """The line manager is told of a reset done, and asked to approve one checked by a call-back."""
    if event.kind not in MANAGER_NOTIFIED_KINDS or event.user is None:
        return False
    manager = event.user.line_manager
    if manager is None or not manager.is_active or not manager.email:
        return False
    data = event.data or {}
    return event.kind != EventKind.MFA_RESET_REQUESTED or data.get("method") == "callback_manager"


def _manager_message(event: SecurityEvent, manager) -> EmailMultiAlternatives:
    """To the line manager: whose second factor is being reset or was reset, and what to do if they did not expect
    it (R38, R41)."""
    data = event.data or {}
    asked = event.kind == EventKind.MFA_RESET_REQUESTED
    approval = reverse("portal:mfa_reset_manager", kwargs={"pk": data["reset"]}) if asked and "reset" in data else ""
    return outbox.make_message(
        "helpdesk-reset-manager",
        to=[manager.email],
        language=manager.language,
        html=False,
        context=lambda: {
            "name": manager.get_short_name(),
            "person": event.user.get_full_name(),
            "identifier": event.user.username,
            "when": timezone.localtime(event.created_at),
            "case": data.get("case", ""),
            "approval_url": settings.SITE_URL + approval if approval else "",
            "support_email": settings.GUICHET_SUPPORT_EMAIL,
        },
    )


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
        **_mail_app(event),
    }


def _mail_app(event: SecurityEvent) -> dict:
    """For a stale mail app: which one (protocol and device), and the article on setting it up again."""
    if event.kind != EventKind.STALE_MAIL_CLIENT:
        return {}
    data = event.data or {}
    protocol = dict(Source.choices).get(data.get("protocol", ""), data.get("protocol", ""))
    device = data.get("device", "")
    return {
        "app": gettext("%(protocol)s, from %(device)s") % {"protocol": protocol, "device": device}
        if device
        else str(protocol),
        "article_url": settings.SITE_URL + reverse("kb:article", kwargs={"slug": STALE_CLIENT_ARTICLE}),
    }
