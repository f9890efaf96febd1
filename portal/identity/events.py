"""The security event log's single entry point.

Where the event came from is given as ``ip`` and ``user_agent``, so that a fact reported without a web request (a
mail server, a periodic job) is recorded by the same call; ``request`` is only a shortcut that fills them.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime

import psycopg
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from psycopg import sql

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


@dataclass(slots=True)
class ExternalEvent:
    """An event from elsewhere (a mail server's log), as ``record_events`` stores it: the fields of a SecurityEvent
    row, without a model instance's cost, which at thousands of events a second is most of the work."""

    kind: str
    external_id: str
    source: str
    data: dict
    user_id: int | None = None
    submitted_identifier: str = ""
    ip: str | None = None
    user_agent: str = ""
    pk: int | None = None
    created_at: datetime | None = None


def record_events(events: list[ExternalEvent]) -> list[ExternalEvent]:
    """Append many events at once: the way in for a mail server's log, thousands of events at a time
    (portal.identity.mail_events). Each carries an ``external_id``; one already stored is skipped, so a batch sent
    twice, even twice at once, is stored once. Returns the events stored. No e-mail: a lock reached through them is
    recorded, and notified, by the job that counts them (portal.identity.mail_lockout).
    """
    if any(not event.external_id for event in events):
        raise ValueError("record_events stores events from elsewhere: each needs its external_id")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [INGESTION_LOCK])  # see settled_event_id
    now = timezone.now()
    for event in events:
        event.created_at = now
    stored = _insert_postgresql(events) if connection.vendor == "postgresql" else _insert_portable(events)
    audit_log.ship_many(stored)
    log.info("security events: %d stored from a batch of %d", len(stored), len(events))
    return stored


# Held, shared, by every transaction that stores external events, and taken alone by settled_event_id.
INGESTION_LOCK = 0x6775696368657401


def settled_event_id() -> int:
    """The highest event id at or below which every batch stored by record_events has committed or rolled back.

    Ids are handed out when a row is written, not when its transaction commits: a job reading "what came after its
    last position" in id order would pass over a batch still being written, for good. Waiting, a moment, for the
    batches in flight (their shared lock) and reading the highest id then gives a bound below which nothing can
    still appear. Runs in its own transaction: call it outside one, before reading.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [INGESTION_LOCK])
        return SecurityEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# One statement for the whole batch, the rows passed as arrays: about twenty times faster than a multi-row VALUES
# of as many parameters, and ON CONFLICT leaves out what is already there, including a copy committed meanwhile.
_INSERT = sql.SQL("""
INSERT INTO {} (kind, created_at, user_id, submitted_identifier, ip, user_agent, source, data, notify,
                     external_id)
SELECT kind, %s, user_id, identifier, ip::inet, user_agent, source, data::jsonb, false, external_id
FROM unnest(%b::text[], %b::bigint[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[])
     AS event(kind, user_id, identifier, ip, user_agent, source, data, external_id)
ON CONFLICT DO NOTHING
RETURNING id, external_id
""")


def _insert_postgresql(events: list[ExternalEvent]) -> list[ExternalEvent]:
    columns = [
        [event.kind for event in events],
        [event.user_id for event in events],
        [event.submitted_identifier for event in events],
        [event.ip for event in events],
        [event.user_agent for event in events],
        [event.source for event in events],
        [json.dumps(event.data, ensure_ascii=False) for event in events],
        [event.external_id for event in events],
    ]
    connection.ensure_connection()
    # A server-side-binding cursor of the same connection (so, the same transaction): the arrays travel as
    # binary parameters, neither quoted into the statement's text nor escaped, which cost more than the insert.
    with psycopg.Cursor(connection.connection) as cursor:
        query = _INSERT.format(sql.Identifier(SecurityEvent._meta.db_table))
        cursor.execute(query, [events[0].created_at, *columns])
        stored = {external_id: pk for pk, external_id in cursor.fetchall()}
    kept = []
    for event in events:
        pk = stored.pop(event.external_id, None)  # popped: a repeat within the batch is not kept twice
        if pk is not None:
            event.pk = pk
            kept.append(event)
    return kept


def _insert_portable(events: list[ExternalEvent]) -> list[ExternalEvent]:
    """Elsewhere (SQLite): the ids already stored first, then the rest; a concurrent copy is left out on conflict."""
    fresh = _not_stored(events)
    rows = _as_rows(fresh)
    try:
        with transaction.atomic():
            SecurityEvent.objects.bulk_create(rows, batch_size=500)
    except IntegrityError:
        fresh = _not_stored(fresh)
        rows = _as_rows(fresh)
        SecurityEvent.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        return fresh
    for event, row in zip(fresh, rows, strict=True):
        event.pk = row.pk
    return fresh


_FIELDS = ("kind", "external_id", "source", "data", "user_id", "submitted_identifier", "ip", "user_agent")


def _as_rows(events: list[ExternalEvent]) -> list[SecurityEvent]:
    return [SecurityEvent(notify=False, **{field: getattr(event, field) for field in _FIELDS}) for event in events]


def _not_stored(events: list[ExternalEvent]) -> list[ExternalEvent]:
    """The events whose external id is neither stored nor repeated earlier in the list."""
    seen = set(
        SecurityEvent.objects.filter(external_id__in=[event.external_id for event in events]).values_list(
            "external_id", flat=True
        )
    )
    fresh = []
    for event in events:
        if event.external_id not in seen:
            seen.add(event.external_id)
            fresh.append(event)
    return fresh
