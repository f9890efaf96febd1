"""The security event log's single entry point.

Where the event came from is given as ``ip`` and ``user_agent``, so that a fact reported without a web request (a
mail server, a periodic job) is recorded by the same call; ``request`` is only a shortcut that fills them.
"""

import logging

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from portal.identity import audit_log
from portal.models import SecurityEvent
from portal.models.security import TEAM_ALERT_KINDS, Source
from portal.web import outbox
from portal.web.network import client_ip

log = logging.getLogger(__name__)


def record_event(
    kind: str,
    *,
    request: HttpRequest | None = None,
    ip: str | None = None,
    user_agent: str = "",
    user=None,
    identifier: str = "",
    source: str = Source.PORTAL,
    data: dict | None = None,
    notify: bool = False,
) -> SecurityEvent:
    """Append one event. With ``notify``, the person (and for alert kinds, the security team) gets an e-mail once
    the transaction commits.

    ``data`` must hold no secret (no password, code, token, session key): it is shown to the person and to agents.
    ``ip`` and ``user_agent`` default to the request's when one is given.
    """
    if request is not None:
        ip = ip if ip is not None else client_ip(request)
        user_agent = user_agent or request.META.get("HTTP_USER_AGENT", "")
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        submitted_identifier=identifier[:150],
        ip=ip or None,
        user_agent=user_agent[:300],
        source=source,
        data=data or {},
        notify=notify and (user is not None or kind in TEAM_ALERT_KINDS),
    )
    log.info("security event %s user=%s ip=%s", kind, event.user_id, event.ip)
    audit_log.ship(event)
    if event.notify:
        outbox.queue("portal.tasks.send_security_notification", event.pk)  # the sweep retries if the broker is down
    return event


def record_events(events: list[SecurityEvent]) -> list[SecurityEvent]:
    """Append many events in one statement per thousand rows: the way in for a mail server's log, thousands of
    events at a time (portal.identity.mail_events). Events carrying an ``external_id`` already stored are skipped,
    so a batch sent twice is stored once. Returns the events stored. No e-mail: a lock reached through them is
    recorded, and notified, by the job that counts them (portal.identity.mail_lockout).
    """
    fresh = _not_stored(events)
    try:
        with transaction.atomic():
            SecurityEvent.objects.bulk_create(fresh, batch_size=1000)
    except IntegrityError:
        # The same events arrived twice at once and the other copy committed first: keep what is still missing.
        fresh = _not_stored(fresh)
        SecurityEvent.objects.bulk_create(fresh, batch_size=1000, ignore_conflicts=True)
    for event in fresh:
        audit_log.ship(event)
    log.info("security events: %d stored from a batch of %d", len(fresh), len(events))
    return fresh


def _not_stored(events: list[SecurityEvent]) -> list[SecurityEvent]:
    """The events whose external id is neither stored nor repeated earlier in the list."""
    ids = [event.external_id for event in events if event.external_id]
    seen = set(SecurityEvent.objects.filter(external_id__in=ids).values_list("external_id", flat=True))
    fresh = []
    for event in events:
        if event.external_id:
            if event.external_id in seen:
                continue
            seen.add(event.external_id)
        fresh.append(event)
    return fresh
