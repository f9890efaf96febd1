"""The security event log shipped off the host (R35).

Each ``SecurityEvent`` row is also written, once its transaction commits, as one JSON line on the
``guichet.audit`` logger. Pointed at a syslog collector (``GUICHET_AUDIT_SYSLOG``), the lines leave the web host
as they happen, so an intruder with the database or the host cannot rewrite the history they left there: the
collector's storage is the append-only copy, out of reach of agents and administrators of the portal.

A line carries exactly what the row carries: never a password, code, token or session key.
"""

import json
import logging
import logging.handlers
import socket
from urllib.parse import urlsplit

from django.db import transaction

log = logging.getLogger("guichet.audit")


def as_record(event, account: str | None = None) -> dict:
    """``account``: the username, when the caller read it already (a batch's, in one query)."""
    return {
        "id": event.pk,
        "time": event.created_at.isoformat(),  # UTC: USE_TZ stores aware UTC datetimes
        "event": event.kind,
        "account": account or (event.user.username if event.user_id else None),
        "identifier": event.submitted_identifier or None,
        "ip": event.ip,
        "user_agent": event.user_agent or None,
        "source": event.source,
        "data": event.data,
    }


def ship(event) -> None:
    """Write the event's line when (and only if) the transaction that recorded it commits."""
    transaction.on_commit(lambda: log.info(json.dumps(as_record(event), ensure_ascii=False, sort_keys=True)))


def ship_many(events) -> None:
    """The same for a batch, with one callback for all of it."""
    if events:
        transaction.on_commit(lambda: _write_all(events))


def _write_all(events) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    from django.contrib.auth import get_user_model

    accounts = dict(
        get_user_model()
        .objects.filter(pk__in={event.user_id for event in events if event.user_id})
        .values_list("pk", "username")
    )
    for event in events:
        record = as_record(event, account=accounts.get(event.user_id))
        log.info(json.dumps(record, ensure_ascii=False, sort_keys=True))


def syslog_handler(address: str) -> logging.Handler:
    """A handler for ``udp://host:port`` or ``tcp://host:port`` (RFC 5424-style facility ``authpriv``)."""
    parts = urlsplit(address)
    if parts.scheme not in {"udp", "tcp"} or not parts.hostname or not parts.port:
        raise ValueError("GUICHET_AUDIT_SYSLOG must look like udp://host:514 or tcp://host:514")
    handler = logging.handlers.SysLogHandler(
        address=(parts.hostname, parts.port),
        facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV,
        socktype=socket.SOCK_DGRAM if parts.scheme == "udp" else socket.SOCK_STREAM,
    )
    handler.append_nul = False  # one clean JSON document per message
    handler.setFormatter(logging.Formatter("guichet-audit: %(message)s"))
    return handler
