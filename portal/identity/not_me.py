""" "This wasn't me": the link in every security e-mail, for the moment the owner sees an event they did not cause.

The link carries a signed token (the event and its owner; 7 days), so it works without signing in, which the person
may no longer be able to do, and keeps working when the account changed since (an intruder's new password is the
very case). Opening it changes nothing (mail scanners open links); confirming on the page ends every session, API
token, reset link and known-device cookie of the account (the stamp is bumped), opens an urgent case for the
security team, alerts them and records the report, which spends the link: one report per event.
"""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext

from portal.identity import session_registry
from portal.identity.events import record_event
from portal.models import EventKind, SecurityEvent

SALT = "guichet.not-me"
MAX_AGE = 7 * 24 * 3600


def not_me_url(event: SecurityEvent) -> str:
    """The absolute link for the e-mail about ``event`` (from GUICHET_SITE_URL, never from a request)."""
    token = signing.dumps({"e": event.pk, "u": event.user_id}, salt=SALT)
    return settings.SITE_URL + reverse("portal:not_me", kwargs={"token": token})


def event_for(token: str) -> SecurityEvent | None:
    """The event the token was made for, while the token is valid and not used yet; else None."""
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    event = SecurityEvent.objects.select_related("user").filter(pk=payload.get("e"), user_id=payload.get("u")).first()
    if event is None or event.user is None:
        return None
    if SecurityEvent.objects.filter(kind=EventKind.NOT_ME, user=event.user, data__event=event.pk).exists():
        return None  # already reported
    return event


@transaction.atomic
def not_me_report(*, request, event: SecurityEvent):
    """End everything the account holds, open the security case and alert the team; returns the case."""
    from tickets.services import security_case_open

    user = event.user
    session_registry.end_all(user=user)
    case = security_case_open(
        requester=user,
        title=gettext("Not me: %(event)s") % {"event": event.get_kind_display()},
        description=gettext(
            "%(name)s reported that they did not do this: %(event)s on %(when)s from %(ip)s. Every session and API "
            "token of the account was ended. Check the account's recent security events and call the person back."
        )
        % {
            "name": user.get_full_name(),
            "event": event.get_kind_display(),
            "when": event.created_at.isoformat(timespec="minutes"),
            "ip": event.ip or "?",
        },
    )
    record_event(
        EventKind.NOT_ME,
        request=request,
        user=user,
        data={"event": event.pk, "kind": event.kind, "case": case.reference},
        notify=True,
    )
    return case
