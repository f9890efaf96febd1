"""Sign-in throttling enforced in the request path (R1, R2, R4, R5, R6).

Per submitted identifier (existing or not): an attempt first *claims* the right to be evaluated in a short
transaction that locks the identifier's row. A claim is refused while the identifier is locked, while a reset is
required, or when another attempt on it was claimed less than a second ago (rapid fire: parallel guesses are not
evaluated at all). Only then is the password checked, outside the lock, and the outcome written back. So however
many requests arrive at once, at most one password per identifier per second is evaluated, and the tiers cap the
total at a handful per hour.

Per client address: failures across all identifiers in a sliding window; past the limit the address gets 429
before any identifier is looked at (password spraying).
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from psycopg import sql

from portal.identity.events import record_event
from portal.models import AccountLockout, EventKind, SourceThrottle


def identifier_key(identifier: str, known_device: str | None = None) -> str:
    key = identifier.strip().casefold()[:150]
    return f"{key}|device:{known_device}" if known_device else key


def spend_equivalent_time(password: str) -> None:
    """Hash the submitted password with the default hasher and throw the result away.

    A refused claim then costs what an evaluation costs, so response times do not tell a locked identifier from a
    wrong password (R2, R3).
    """
    make_password(password)


def claim_attempt(key: str) -> bool:
    """True if a password may be evaluated for this identifier now; records the claim."""
    now = timezone.now()
    with transaction.atomic():
        AccountLockout.objects.get_or_create(key=key)
        row = AccountLockout.objects.select_for_update().get(key=key)
        if row.reset_required or (row.locked_until and row.locked_until > now):
            return False
        if row.last_attempt_at and now - row.last_attempt_at < settings.GUICHET_RAPID_FIRE_INTERVAL:
            if row.last_failure_at and now - row.last_failure_at < settings.GUICHET_RAPID_FIRE_INTERVAL:
                # Two failures under a second apart is a script, not a person: make it wait.
                row.locked_until = now + settings.GUICHET_RAPID_FIRE_PENALTY
                row.save(update_fields=["locked_until"])
            return False
        row.last_attempt_at = now
        row.save(update_fields=["last_attempt_at"])
        return True


@dataclass(frozen=True)
class Lock:
    until: datetime
    reset_required: bool

    @property
    def minutes(self) -> int:
        return round((self.until - timezone.now()).total_seconds() / 60)


def count_failure(row: AccountLockout, now: datetime, *, repeat: bool = False) -> Lock | None:
    """Add one failure to ``row`` (not saved); returns the lock when it reached a tier.

    A ``repeat`` (a mail app sending again the wrong password it sent before: portal.identity.stale_clients) is the
    same guess, not a new one: it can reach the first tier but takes the count no further.
    """
    first_tier = settings.GUICHET_LOCKOUT_TIERS[0][0]
    if repeat and row.failures >= first_tier:
        row.last_failure_at = now
        return None
    row.failures += 1
    row.last_failure_at = now
    lock = None
    for threshold, duration in settings.GUICHET_LOCKOUT_TIERS:
        if row.failures == threshold:
            row.locked_until = now + duration
            row.reset_required = threshold == settings.GUICHET_LOCKOUT_TIERS[-1][0]
            lock = Lock(until=row.locked_until, reset_required=row.reset_required)
    return lock


COUNTED_FIELDS = ["failures", "last_failure_at", "locked_until", "reset_required"]


@dataclass(slots=True)
class Counter:
    """An AccountLockout row as the batch paths read and write it (count_failure works on either)."""

    pk: int
    key: str
    failures: int
    last_failure_at: datetime | None
    locked_until: datetime | None
    reset_required: bool


_LOCK_COUNTERS = sql.SQL("""
WITH missing AS (
    INSERT INTO {table} (key, failures, reset_required) SELECT unnest(%b::text[]), 0, false
    ON CONFLICT (key) DO NOTHING
)
SELECT id, key, failures, last_failure_at, locked_until, reset_required FROM {table}
WHERE key = ANY(%b) ORDER BY key FOR UPDATE
""")
_SAVE_COUNTERS = sql.SQL("""
UPDATE {table} AS counter SET failures = new.failures, last_failure_at = new.last_failure_at,
       locked_until = new.locked_until, reset_required = new.reset_required
FROM unnest(%b::bigint[], %b::integer[], %b::timestamptz[], %b::timestamptz[], %b::boolean[])
     AS new(id, failures, last_failure_at, locked_until, reset_required)
WHERE counter.id = new.id
""")


def counters_for_update(keys: set[str], *, create: set[str]) -> dict[str, Counter | AccountLockout]:
    """The counters of ``keys`` that exist, plus those of ``create`` (made if missing), locked until the transaction
    ends (the mail lockout job: thousands at a time, so on PostgreSQL in two statements whatever their number). A
    success needs no counter that is not there. Call in a transaction."""
    if connection.vendor != "postgresql":
        AccountLockout.objects.bulk_create([AccountLockout(key=key) for key in create], ignore_conflicts=True)
        return {row.key: row for row in AccountLockout.objects.select_for_update().filter(key__in=keys).order_by("key")}
    connection.ensure_connection()
    # The CTE's insert is not visible to the SELECT of the same statement: the rows it adds are read next.
    table = sql.Identifier(AccountLockout._meta.db_table)
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_LOCK_COUNTERS.format(table=table), [list(create), list(keys)])
        rows = cursor.fetchall()
        if not create.issubset(row[1] for row in rows):
            cursor.execute(_LOCK_COUNTERS.format(table=table), [[], list(keys)])
            rows = cursor.fetchall()
    return {row[1]: Counter(*row) for row in rows}


def in_force(counter, now: datetime) -> bool:
    """A lock holds the counter: while it does, nothing is evaluated, so nothing is counted (as on the portal)."""
    return counter.reset_required or (counter.locked_until is not None and counter.locked_until > now)


def counters_save(counters: list) -> None:
    """Write back what count_failure and count_success changed on counters_for_update's rows."""
    if connection.vendor != "postgresql":
        AccountLockout.objects.bulk_update(counters, COUNTED_FIELDS, batch_size=500)
        return
    columns = [[counter.pk for counter in counters]] + [
        [getattr(c, field) for c in counters] for field in COUNTED_FIELDS
    ]
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_SAVE_COUNTERS.format(table=sql.Identifier(AccountLockout._meta.db_table)), columns)


def record_failure(key: str, *, repeat: bool = False) -> Lock | None:
    """Count a failed evaluation; returns the lock when this failure reached a tier."""
    with transaction.atomic():
        row = AccountLockout.objects.select_for_update().get(key=key)
        lock = count_failure(row, timezone.now(), repeat=repeat)
        row.save(update_fields=COUNTED_FIELDS)
        return lock


def count_success(row: AccountLockout) -> None:
    """Failures are consecutive: a success starts the count again (NIST 800-63B). Not saved."""
    row.failures, row.locked_until, row.last_failure_at = 0, None, None


def record_success(key: str) -> None:
    AccountLockout.objects.filter(key=key).update(failures=0, locked_until=None, last_failure_at=None)


def unlock(identifier: str) -> int:
    """Helpdesk action (and password reset): lift every lock on an identifier, its known-device keys included."""
    key = identifier_key(identifier)
    return AccountLockout.objects.filter(Q(key=key) | Q(key__startswith=f"{key}|device:")).update(
        failures=0, locked_until=None, reset_required=False
    )


def source_limit(ip: str) -> int:
    address = ipaddress.ip_address(ip)
    for network in settings.GUICHET_SHARED_EGRESS_NETWORKS:
        if address in ipaddress.ip_network(network, strict=False):
            return settings.GUICHET_SHARED_EGRESS_FAILURE_LIMIT
    return settings.GUICHET_SOURCE_FAILURE_LIMIT


def source_blocked(ip: str) -> bool:
    since = timezone.now() - settings.GUICHET_SOURCE_WINDOW
    return SourceThrottle.objects.filter(ip=ip, window_started_at__gte=since, failures__gte=source_limit(ip)).exists()


def lock_counts() -> dict[str, int]:
    """Identifiers locked now (``timed``) and those waiting for a reset or a helpdesk unlock (``reset``), not counting
    the separate counters of known devices (portal/site/metrics.py)."""
    identifiers = AccountLockout.objects.exclude(key__contains="|device:")
    return {
        "timed": identifiers.filter(locked_until__gt=timezone.now(), reset_required=False).count(),
        "reset": identifiers.filter(reset_required=True).count(),
    }


def blocked_source_count() -> int:
    """Client addresses over their own limit in the current window (shared egress networks have a higher one)."""
    since = timezone.now() - settings.GUICHET_SOURCE_WINDOW
    lowest = min(settings.GUICHET_SOURCE_FAILURE_LIMIT, settings.GUICHET_SHARED_EGRESS_FAILURE_LIMIT)
    rows = SourceThrottle.objects.filter(window_started_at__gte=since, failures__gte=lowest).values_list(
        "ip", "failures"
    )
    return sum(1 for ip, failures in rows if failures >= source_limit(ip))


def record_source_failure(ip: str) -> bool:
    """Count a failure from this address; True when it just reached the limit (for a single audit event)."""
    now = timezone.now()
    with transaction.atomic():
        SourceThrottle.objects.get_or_create(ip=ip, defaults={"window_started_at": now})
        row = SourceThrottle.objects.select_for_update().get(ip=ip)
        if now - row.window_started_at > settings.GUICHET_SOURCE_WINDOW:
            row.window_started_at, row.failures = now, 0
        row.failures = F("failures") + 1
        row.save(update_fields=["window_started_at", "failures"])
        row.refresh_from_db(fields=["failures"])
        return row.failures == source_limit(ip)


_COUNT_SOURCES = sql.SQL("""
INSERT INTO {table} AS source (ip, window_started_at, failures)
SELECT new.ip::inet, %s, new.failures FROM unnest(%b::text[], %b::integer[]) AS new(ip, failures)
ON CONFLICT (ip) DO UPDATE SET
    window_started_at = CASE WHEN source.window_started_at < %s THEN EXCLUDED.window_started_at
                             ELSE source.window_started_at END,
    failures = CASE WHEN source.window_started_at < %s THEN EXCLUDED.failures
                    ELSE source.failures + EXCLUDED.failures END
RETURNING host(ip), failures
""")


def record_source_failures(failures: dict[str, int]) -> list[str]:
    """Count many failures per address at once (the mail lockout job); returns the addresses that reached their
    limit with them. On PostgreSQL one statement, whatever the number of addresses."""
    now = timezone.now()
    window_start = now - settings.GUICHET_SOURCE_WINDOW
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            query = _COUNT_SOURCES.format(table=sql.Identifier(SourceThrottle._meta.db_table))
            cursor.execute(query, [now, list(failures), list(failures.values()), window_start, window_start])
            totals = dict(cursor.fetchall())
    else:
        totals = {}
        with transaction.atomic():
            for ip, count in failures.items():
                SourceThrottle.objects.get_or_create(ip=ip, defaults={"window_started_at": now})
                row = SourceThrottle.objects.select_for_update().get(ip=ip)
                if row.window_started_at < window_start:
                    row.window_started_at, row.failures = now, 0
                row.failures += count
                row.save(update_fields=["window_started_at", "failures"])
                totals[ip] = row.failures
    # The database writes an address its own way: compare them as addresses.
    added = {ipaddress.ip_address(ip): count for ip, count in failures.items()}
    reached = []
    for ip, total in totals.items():
        if total - added.get(ipaddress.ip_address(ip), 0) < source_limit(ip) <= total:
            reached.append(ip)
    return reached


def expired_locks_lift(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Timed locks whose end has passed are lifted with an event each ("sign-in suspension lifted"), so that the
    person's history and the agents' say when it ended; the failure count stays (the next tier still applies).
    Locks that need a reset are not timed. Safe to run twice or at once (rows are taken with SKIP LOCKED). Returns
    how many were lifted."""
    now = now or timezone.now()
    lifted = 0
    while True:
        with transaction.atomic():
            rows = list(
                AccountLockout.objects.select_for_update(skip_locked=True)
                .filter(locked_until__lte=now, reset_required=False)
                .order_by("locked_until")[:batch]
            )
            if not rows:
                return lifted
            AccountLockout.objects.filter(pk__in=[row.pk for row in rows]).update(locked_until=None)
            # An event for the end of a tier's lock; not for the minute a burst of rapid fire earned, which had none.
            first_tier = settings.GUICHET_LOCKOUT_TIERS[0][0]
            identifiers = [row.key for row in rows if "|device:" not in row.key and row.failures >= first_tier]
            accounts = {user.username: user for user in get_user_model().objects.filter(username__in=identifiers)}
            for identifier in identifiers:
                record_event(
                    EventKind.LOGIN_UNLOCK,
                    user=accounts.get(identifier),
                    identifier=identifier,
                    data={"reason": "expired"},
                )
            lifted += len(rows)


def purge_stale(older_than: timedelta = timedelta(days=2)) -> int:
    """Forget identifiers and addresses with no recent activity and no lock in force (periodic job)."""
    cutoff = timezone.now() - older_than
    # Counters the mail servers' failures made have no attempt time (nothing claims on their behalf): their last
    # failure says when they were last used.
    idle = Q(last_attempt_at__lt=cutoff) | Q(last_attempt_at__isnull=True, last_failure_at__lt=cutoff)
    idle |= Q(last_attempt_at__isnull=True, last_failure_at__isnull=True)
    removed, _ = (
        AccountLockout.objects.filter(idle, reset_required=False).exclude(locked_until__gt=timezone.now()).delete()
    )
    removed_sources, _ = SourceThrottle.objects.filter(window_started_at__lt=cutoff).delete()
    return removed + removed_sources
