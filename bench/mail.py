"""The mail servers' side of the portal, measured (``python -m bench --only mail``; bench/__main__.py runs the server).

    python -m bench.mail setup                      # a server key for the run, as JSON
    python -m bench.mail ingest --base URL --key K  # events/s through POST /api/mail/events/
    python -m bench.mail lockout                    # the lockout job on 100,000 new events, at growing history sizes

*Ingestion*: client threads post batches of 5,000 distinct events (built before the clock starts) for a few seconds;
the rate is the events the server stored per second. *Lockout job*: the history is grown with SQL (already counted
events: the job's cursor is after them), then 100,000 new events are stored and the job is timed on them, at each
history size. Each size's events go to accounts and addresses of their own, so every size does the same work; the
time must not grow with the history, since the job reads from its cursor on.
"""

import argparse
import http.client
import json
import statistics
import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit

import django

BATCH = 5000


def _django():
    django.setup()


def setup() -> dict:
    _django()
    from django.utils import timezone

    from portal.identity.mail_policy import mail_server_add

    issued = mail_server_add(name=f"bench-{timezone.now():%Y%m%d%H%M%S%f}")
    return {"key": issued.key}


def _batches(count: int, run: str) -> list[bytes]:
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now - 60))
    batches = []
    for number in range(count):
        events = [
            {
                "id": f"{run}-{number}-{index}",
                "at": stamp,
                "outcome": "failure" if index % 5 == 0 else "success",
                "protocol": "imap" if index % 3 else "smtp",
                "login": f"agent.{(number * BATCH + index) % 30000:05d}",
                "ip": f"198.51.{index % 250}.{number % 250 + 1}",
                "session": f"s{number}x{index}",
            }
            for index in range(BATCH)
        ]
        batches.append(json.dumps({"events": events}).encode())
    return batches


def ingest(base: str, key: str, seconds: float, threads: int) -> dict:
    """Post batches from ``threads`` clients for ``seconds``; the events stored per second."""
    parts = urlsplit(base)
    run = f"r{time.time_ns()}"
    # Enough batches for the run at 40,000 events/s, built before the clock starts.
    batches = _batches(max(threads * 4, int(seconds * 40_000 / BATCH) + threads), run)
    lock = threading.Lock()
    stored, durations, errors = [0], [], []
    deadline = time.monotonic() + seconds

    def client():
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        while time.monotonic() < deadline:
            with lock:
                if not batches:
                    return
                body = batches.pop()
            started = time.monotonic()
            connection.request("POST", "/api/mail/events/", body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            elapsed = time.monotonic() - started
            with lock:
                if response.status != 200:
                    errors.append(f"{response.status} {payload[:200]!r}")
                    continue
                stored[0] += json.loads(payload)["stored"]
                durations.append(elapsed)

    started = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    return {
        "events": stored[0],
        "seconds": round(elapsed, 2),
        "events_per_s": round(stored[0] / elapsed),
        "batches": len(durations),
        "batch_p50_ms": round(statistics.median(durations) * 1000, 1) if durations else None,
        "errors": errors[:3],
    }


HISTORY_SQL = """
INSERT INTO portal_securityevent (kind, created_at, data, notify, submitted_identifier, ip, user_agent, source,
                                  external_id)
SELECT CASE WHEN n %% 5 = 0 THEN 'authn_login_fail' ELSE 'authn_login_success' END, %s, '{"via": "log"}', false,
       'agent.' || (n %% 30000), ('198.51.' || (n %% 250) || '.' || (n %% 200 + 1))::inet, '', 'imap', 'hist:' || n
FROM generate_series(%s, %s) AS n
"""


def _grow_history(target: int) -> int:
    """Already-counted mail events up to ``target`` rows, written by PostgreSQL itself (minutes, not hours)."""
    from django.db import connection
    from django.utils import timezone

    from portal.models import SecurityEvent

    if connection.vendor != "postgresql":
        raise SystemExit("the lockout job's bench needs PostgreSQL: make bench")
    have = SecurityEvent.objects.count()
    month_ago = timezone.now() - timedelta(days=30)
    for start in range(have, target, 1_000_000):
        with connection.cursor() as cursor:
            cursor.execute(HISTORY_SQL, [month_ago, start, min(start + 1_000_000, target) - 1])
    return SecurityEvent.objects.count()


def lockout(history: list[int], new: int) -> list[dict]:
    """For each history size: 100,000 new events stored, then the job timed on them."""
    _django()
    from django.utils import timezone

    from portal.identity import mail_lockout
    from portal.identity.mail_events import mail_events_ingest
    from portal.identity.mail_logs import MailAuthRecord
    from portal.identity.mail_policy import mail_server_add
    from portal.models import JobCursor, SecurityEvent

    server = mail_server_add(name=f"bench-job-{timezone.now():%Y%m%d%H%M%S%f}").server
    results = []
    for round_number, size in enumerate(history, start=1):
        stored = _grow_history(size)
        # The history was counted: the job's cursor is after it.
        latest = SecurityEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        JobCursor.objects.update_or_create(name=mail_lockout.CURSOR, defaults={"position": latest})
        at = timezone.now() - timedelta(seconds=30)
        run = f"j{time.time_ns()}"
        records = [
            MailAuthRecord(
                event_id=f"{run}-{index}",
                at=at,
                outcome="failure" if index % 5 == 0 else "success",
                protocol="imap",
                # Accounts and addresses of this round only (not the ingestion's, nor an earlier round's): every
                # round does the same work (counters from zero, as many locks), so only the history's size differs.
                identifier=f"job{round_number}.{index % 30000:05d}",
                ip=f"10.{round_number}.{index % 250}.{index % 200 + 1}",
            )
            for index in range(new)
        ]
        for start in range(0, new, BATCH):
            mail_events_ingest(server=server, records=records[start : start + BATCH])
        started = time.monotonic()
        result = mail_lockout.mail_lockout_scan(now=timezone.now() + timedelta(seconds=10), max_seconds=3600)
        elapsed = time.monotonic() - started
        results.append(
            {
                "stored": stored,
                "new": new,
                "read": result["items"],
                "actions": result["actions"],
                "seconds": round(elapsed, 2),
                "events_per_s": round(result["items"] / elapsed),
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup")
    ingest_parser = commands.add_parser("ingest")
    ingest_parser.add_argument("--base", required=True)
    ingest_parser.add_argument("--key", required=True)
    ingest_parser.add_argument("--seconds", type=float, default=10)
    ingest_parser.add_argument("--threads", type=int, default=2)
    lockout_parser = commands.add_parser("lockout")
    lockout_parser.add_argument("--history", default="1000000,10000000", help="history sizes, comma-separated")
    lockout_parser.add_argument("--new", type=int, default=100_000)
    args = parser.parse_args()
    if args.command == "setup":
        print(json.dumps(setup()))
    elif args.command == "ingest":
        print(json.dumps(ingest(args.base, args.key, args.seconds, args.threads)))
    else:
        sizes = [int(size) for size in args.history.split(",") if size]
        print(json.dumps(lockout(sizes, args.new)))


if __name__ == "__main__":
    main()
