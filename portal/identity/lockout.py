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

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from portal.models import AccountLockout, SourceThrottle


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


def _source_limit(ip: str) -> int:
    address = ipaddress.ip_address(ip)
    for network in settings.GUICHET_SHARED_EGRESS_NETWORKS:
        if address in ipaddress.ip_network(network, strict=False):
            return settings.GUICHET_SHARED_EGRESS_FAILURE_LIMIT
    return settings.GUICHET_SOURCE_FAILURE_LIMIT


def source_blocked(ip: str) -> bool:
    since = timezone.now() - settings.GUICHET_SOURCE_WINDOW
    return SourceThrottle.objects.filter(ip=ip, window_started_at__gte=since, failures__gte=_source_limit(ip)).exists()


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
    return sum(1 for ip, failures in rows if failures >= _source_limit(ip))


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
        return row.failures == _source_limit(ip)


def record_source_failures(failures: dict[str, int]) -> list[str]:
    """Count many failures per address at once (the mail lockout job); returns the addresses that reached their
    limit with them."""
    now = timezone.now()
    reached = []
    with transaction.atomic():
        SourceThrottle.objects.bulk_create(
            [SourceThrottle(ip=ip, window_started_at=now) for ip in failures], ignore_conflicts=True
        )
        rows = SourceThrottle.objects.select_for_update().filter(ip__in=list(failures)).order_by("ip")
        changed = []
        for row in rows:
            if now - row.window_started_at > settings.GUICHET_SOURCE_WINDOW:
                row.window_started_at, row.failures = now, 0
            limit = _source_limit(row.ip)
            before, row.failures = row.failures, row.failures + failures[row.ip]
            if before < limit <= row.failures:
                reached.append(row.ip)
            changed.append(row)
        SourceThrottle.objects.bulk_update(changed, ["window_started_at", "failures"])
    return reached


def purge_stale(older_than: timedelta = timedelta(days=2)) -> int:
    """Forget identifiers and addresses with no recent activity and no lock in force (periodic job)."""
    cutoff = timezone.now() - older_than
    removed, _ = (
        AccountLockout.objects.filter(reset_required=False, last_attempt_at__lt=cutoff)
        .exclude(locked_until__gt=timezone.now())
        .delete()
    )
    removed_sources, _ = SourceThrottle.objects.filter(window_started_at__lt=cutoff).delete()
    return removed + removed_sources
