"""The lockout job for mail events read from logs (portal.identity.mail_events): the portal's lock tiers applied
to what the mail servers saw, on new events only.

Each run reads the events stored since the previous run, in the order they were stored, from the position kept in
a JobCursor row (its watermark), in batches. A batch is one transaction: the counters it moves, the locks and
events it records, and the cursor moved past it commit together. A run killed midway therefore leaves the cursor
at the end of the last committed batch, and the next run neither skips nor counts twice. Two runs at once queue on
the cursor's row. A run stops after ``MAX_SECONDS`` and leaves the rest to the next one.

A run reads no further than ``settled_event_id()`` at its start: a batch still being written when the run starts
has lower ids than batches written after it, and the cursor must not pass over it. Events older than
``GUICHET_MAIL_EVENT_MAX_AGE`` when read are kept in the log but not counted.

Per account, failures count in the same counters as the portal's sign-in and the policy endpoint, so a lock reached
here is the one lock everywhere; each lock reached is one event and one e-mail. Per address, failures count in the
per-source window. Many networks failing against one account within a batch is an alert to the security team; one
network against many accounts, and mass lockouts, are found by the detection job (portal.identity.detection), which
reads these events like the portal's.
"""

import logging
import time
from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from portal.identity import lockout, stale_clients
from portal.identity.challenge import network_of
from portal.identity.events import record_event, settled_event_id
from portal.models import EventKind, JobCursor, MailClient, SecurityEvent

log = logging.getLogger(__name__)

CURSOR = "mail_lockout"
BATCH = 5000
MAX_SECONDS = 90  # under the tasks' soft time limit (portal/celery.py)
SPRAY_NETWORKS = 10  # networks failing against one account in one batch


def mail_lockout_scan(*, now: datetime | None = None, max_seconds: float = MAX_SECONDS) -> dict:
    """Count the new mail events; returns {"items": events read, "actions": locks and alerts recorded}."""
    started = time.monotonic()
    if not JobCursor.objects.filter(name=CURSOR).exists():
        JobCursor.objects.get_or_create(name=CURSOR, defaults={"position": _start()})
    settled = settled_event_id()
    items = actions = 0
    while time.monotonic() - started < max_seconds:
        read, done = _batch(now or timezone.now(), settled)
        items, actions = items + read, actions + done
        if read < BATCH:
            break
        log.info("mail lockout: %d events read, %d actions so far", items, actions)
    log.info("mail lockout: run done, %d events read, %d actions", items, actions)
    return {"items": items, "actions": actions}


def _start() -> int:
    """Where the very first run starts: before the first mail event, or after the portal's own history (which it
    would otherwise read through once, in vain)."""
    first = SecurityEvent.objects.exclude(external_id="").order_by("pk").values_list("pk", flat=True).first()
    return first - 1 if first is not None else settled_event_id()


@transaction.atomic
def _batch(now: datetime, settled: int) -> tuple[int, int]:
    cursor = JobCursor.objects.select_for_update().get(name=CURSOR)
    rows = list(
        SecurityEvent.objects.filter(
            pk__gt=cursor.position,
            pk__lte=settled,
            kind__in=[EventKind.LOGIN_FAIL, EventKind.LOGIN_SUCCESS],
        )
        .exclude(external_id="")
        .order_by("pk")
        .values("pk", "kind", "user_id", "submitted_identifier", "ip", "source", "data")[:BATCH]
    )
    if not rows:
        return 0, 0
    actions = _count(rows, now)
    cursor.position = rows[-1]["pk"]
    cursor.save(update_fields=["position", "updated_at"])
    return len(rows), actions


def _count(rows: list[dict], now: datetime) -> int:
    oldest = now - settings.GUICHET_MAIL_EVENT_MAX_AGE
    for row in rows:
        row["at"] = _at(row, now)  # when the server saw it, read once
    recent = [row for row in rows if row["at"] >= oldest]
    counted = [row for row in recent if row["submitted_identifier"]]
    keys = {lockout.identifier_key(row["submitted_identifier"]) for row in counted}
    failing = {
        lockout.identifier_key(row["submitted_identifier"]) for row in counted if row["kind"] == EventKind.LOGIN_FAIL
    }
    counters = lockout.counters_for_update(keys, create=failing)
    accounts = _accounts(counted)
    # Identifiers with a mail app on record, or getting one in this batch: only their successes may forget one.
    with_apps = set(
        MailClient.objects.filter(identifier__in={row["submitted_identifier"] for row in counted})
        .values_list("identifier", flat=True)
        .distinct()
    )
    locks, source_failures, networks = [], defaultdict(int), defaultdict(set)
    for row in counted:
        counter = counters.get(lockout.identifier_key(row["submitted_identifier"]))
        if row["kind"] == EventKind.LOGIN_SUCCESS:
            if counter is not None and not lockout.in_force(counter, now):
                lockout.count_success(counter)
            if row["submitted_identifier"] in with_apps:
                stale_clients.success_observe(**_app(row), ip=row["ip"])
            continue
        at, pwhash = row["at"], row["data"].get("pwhash", "")
        if pwhash:
            with_apps.add(row["submitted_identifier"])
        repeat = stale_clients.failure_observe(
            **_app(row), pwhash=pwhash, ip=row["ip"], at=at, account=accounts.get(row["user_id"])
        )
        for _ in range(max(1, min(int(row["data"].get("attempts", 1)), 20))):
            if lockout.in_force(counter, now):
                break  # a server without the policy hook let it be tried; the portal would not have counted it
            lock = lockout.count_failure(counter, now, repeat=repeat)
            if lock is not None:
                locks.append((row, lock))
        if row["ip"]:
            source_failures[row["ip"]] += 1
            networks[row["submitted_identifier"]].add(network_of(row["ip"]))
    for row in recent:
        if not row["submitted_identifier"] and row["ip"] and row["kind"] == EventKind.LOGIN_FAIL:
            source_failures[row["ip"]] += 1  # Postfix without a user name: counted per address only
    lockout.counters_save(list(counters.values()))
    for row, lock in locks:
        record_event(
            EventKind.LOGIN_LOCK,
            user=accounts.get(row["user_id"]),
            identifier=row["submitted_identifier"],
            ip=row["ip"],
            source=row["source"],
            data={"minutes": lock.minutes, "reset_required": lock.reset_required, "via": "log"},
            notify=True,
        )
    throttled = lockout.record_source_failures(source_failures) if source_failures else []
    for ip in throttled:
        record_event(EventKind.SOURCE_THROTTLED, ip=ip, source="mail", data={"via": "log"})
    sprayed = [
        identifier
        for identifier, seen in networks.items()
        if len(seen) >= SPRAY_NETWORKS and not _alerted(identifier, now)
    ]
    for identifier in sprayed:
        record_event(
            EventKind.SPRAY_DETECTED,
            identifier=identifier,
            data={"reason": "many networks against one account", "networks": len(networks[identifier])},
            notify=True,
        )
    return len(locks) + len(throttled) + len(sprayed)


def _alerted(identifier: str, now: datetime) -> bool:
    """One alert per account per detection window, however many batches see the spray."""
    return SecurityEvent.objects.filter(
        kind=EventKind.SPRAY_DETECTED,
        submitted_identifier=identifier,
        created_at__gte=now - settings.GUICHET_DETECTION_WINDOW,
    ).exists()


def _at(row: dict, now: datetime) -> datetime:
    return parse_datetime(row["data"].get("at", "")) or now


def _app(row: dict) -> dict:
    return {
        "identifier": row["submitted_identifier"],
        "protocol": row["source"],
        "device": row["data"].get("device", ""),
    }


def _accounts(rows: list[dict]) -> dict:
    """The portal accounts of the failures (a lock's e-mail, a stale app's), not of the successes."""
    ids = {row["user_id"] for row in rows if row["user_id"] and row["kind"] == EventKind.LOGIN_FAIL}
    return {account.pk: account for account in get_user_model().objects.filter(pk__in=ids)} if ids else {}
