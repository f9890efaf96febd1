"""Liveness of what the portal depends on: database, cache, broker, and a worker that consumes the queue.

Each check answers quickly and never raises; a failure is logged here and reported as ``ok: false`` without the
exception text (which could carry a host name or a connection string) in the public answer.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

log = logging.getLogger(__name__)

HEARTBEAT_KEY = "guichet:worker-heartbeat"
CACHE_PROBE_KEY = "guichet:health-probe"


class CheckFailed(Exception):
    """An expected failure whose message is ours and safe to show in the public answer."""


def record_worker_heartbeat() -> None:
    # Kept far longer than the max age so /health/ can still say how stale it is.
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=24 * 3600)


def _check_database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _check_cache() -> dict:
    token = str(time.monotonic_ns())
    cache.set(CACHE_PROBE_KEY, token, timeout=30)
    if cache.get(CACHE_PROBE_KEY) != token:
        raise CheckFailed("the cache did not return the value just written")
    return {}


def _check_broker() -> dict:
    from portal.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=3)
        return {"transport": conn.transport_cls}


def worker_heartbeat_age() -> float | None:
    """Seconds since a worker last recorded its heartbeat, or None when none ever did."""
    raw = cache.get(HEARTBEAT_KEY)
    return None if raw is None else (timezone.now() - datetime.fromisoformat(raw)).total_seconds()


def _check_worker() -> dict:
    age = worker_heartbeat_age()
    if age is None:
        raise CheckFailed("no worker heartbeat recorded")
    result = {"last_heartbeat_seconds_ago": round(age, 1)}
    if age > settings.GUICHET_WORKER_HEARTBEAT_MAX_AGE:
        return {**result, "ok": False, "error": "the last worker heartbeat is too old"}
    return result


CHECKS: dict[str, Callable[[], dict]] = {
    "database": _check_database,
    "cache": _check_cache,
    "broker": _check_broker,
    "worker": _check_worker,
}


def run_checks() -> dict[str, dict]:
    report = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            result = {"ok": True, **check()}
        except CheckFailed as failure:
            log.warning("health check %s failed: %s", name, failure)
            result = {"ok": False, "error": str(failure)}
        except Exception:
            log.warning("health check %s failed", name, exc_info=True)
            result = {"ok": False, "error": "unreachable"}
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        report[name] = result
    return report
