"""Mail servers' authentication events taken in from their logs, for servers without the policy hook.

A batch (from ``POST /api/mail/events/`` or ``manage.py mail_log_ingest``) is checked whole before anything is
written: one bad event refuses the batch, with an error per bad event, and nothing is stored. Each event becomes a
security event (``authn_login_fail`` or ``authn_login_success``) whose source is the protocol, keyed by the
server and the event's own id, so a batch sent twice, or a log file read again, is stored once.

Storing counts nothing: the lockout job (portal.identity.mail_lockout) reads what was stored since its last run and
applies the portal's lock tiers, once per event, in order.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from portal.identity import stale_clients
from portal.identity.events import ExternalEvent, record_events
from portal.identity.mail_logs import LineError, MailAuthRecord, record_from_json
from portal.identity.mail_policy import mail_identifier
from portal.models import EventKind, MailServer
from portal.models.security import Source

MAX_BATCH = 5000
MAX_ERRORS = 50  # a batch of garbage gets this many messages, not five thousand
FUTURE_SLACK = timedelta(minutes=5)  # clocks drift; an event from further in the future is an error
SOURCES = {"imap": Source.IMAP, "pop3": Source.POP3, "smtp": Source.SMTP, "webmail": Source.WEBMAIL}


@dataclass
class BatchErrors(Exception):
    """Why a batch was refused: (position in the batch or line number, message) pairs, the first MAX_ERRORS."""

    errors: list[tuple[int, str]] = field(default_factory=list)
    total: int = 0

    def add(self, position: int, message: str) -> None:
        self.total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append((position, message))


@dataclass(frozen=True)
class Ingested:
    received: int
    stored: int

    @property
    def duplicates(self) -> int:
        return self.received - self.stored


def records_from_batch(items: object, *, now: datetime | None = None) -> list[MailAuthRecord]:
    """The API's JSON list, checked event by event; BatchErrors when any is wrong."""
    if not isinstance(items, list) or not items:
        raise BatchErrors([(0, "events must be a non-empty list.")], 1)
    if len(items) > MAX_BATCH:
        raise BatchErrors([(0, f"A batch holds at most {MAX_BATCH} events; this one has {len(items)}.")], 1)
    errors, records = BatchErrors(), []
    for position, item in enumerate(items):
        try:
            record = record_from_json(item)
            check_time(record, now=now)
        except LineError as error:
            errors.add(position, str(error))
            continue
        records.append(record)
    if errors.total:
        raise errors
    return records


def check_time(record: MailAuthRecord, *, now: datetime | None = None) -> None:
    if record.at > (now or timezone.now()) + FUTURE_SLACK:
        raise LineError(f"the event's time ({record.at.isoformat()}) is in the future")


@transaction.atomic
def mail_events_ingest(*, server: MailServer, records: list[MailAuthRecord]) -> Ingested:
    """Store the records as security events, skipping those the server sent before."""
    accounts = _accounts({mail_identifier(record.identifier) for record in records if record.identifier})
    events = []
    for record in records:
        identifier = mail_identifier(record.identifier) if record.identifier else ""
        data = {"at": record.at.isoformat(), "server": server.name, "via": "log"}
        for name in ("session", "device", "reason"):
            if value := getattr(record, name):
                data[name] = value
        if record.pwhash:
            data["pwhash"] = stale_clients.fingerprint(record.pwhash)
        if record.attempts != 1:
            data["attempts"] = record.attempts
        events.append(
            ExternalEvent(
                kind=EventKind.LOGIN_SUCCESS if record.outcome == "success" else EventKind.LOGIN_FAIL,
                user_id=accounts.get(identifier),
                submitted_identifier=identifier[:150],
                ip=record.ip,
                source=SOURCES.get(record.protocol, Source.MAIL),
                external_id=f"{server.prefix}:{record.event_id}"[:80],
                data=data,
            )
        )
    stored = record_events(events)
    return Ingested(received=len(records), stored=len(stored))


def _accounts(identifiers: set[str]) -> dict[str, int]:
    """username → id of the accounts among ``identifiers`` (thousands): on PostgreSQL as one array parameter, which
    costs a tenth of as many quoted parameters."""
    if not identifiers:
        return {}
    users = get_user_model()
    if connection.vendor != "postgresql":
        return dict(users.objects.filter(username__in=identifiers).values_list("username", "pk"))
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        query = sql.SQL("SELECT username, id FROM {} WHERE username = ANY(%b)").format(
            sql.Identifier(users._meta.db_table)
        )
        cursor.execute(query, [list(identifiers)])
        return dict(cursor.fetchall())
