"""The mail lockout job on a real Celery worker and beat, against Redis and PostgreSQL: a lock appears from
ingested events without anyone calling the job, and a worker killed mid-run leaves nothing skipped or counted
twice."""

import signal

import pytest
from django.db.models import Sum
from django.utils import timezone

from portal.identity import mail_lockout
from portal.identity.mail_events import mail_events_ingest
from portal.identity.mail_logs import MailAuthRecord
from portal.identity.mail_policy import mail_server_add
from portal.models import AccountLockout, EventKind, JobCursor, JobRun, SecurityEvent
from portal.tasks import count_mail_failures
from tests.celery_worker import REDELIVERY, past_redelivery, wait_for, worker_started

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

JOB = "portal.tasks.count_mail_failures"


def failures(server, identifiers, per_identifier, *, start=0):
    """Ingested wrong passwords, ``per_identifier`` for each identifier, interleaved as a busy server logs them."""
    now = timezone.now()
    records = [
        MailAuthRecord(
            event_id=f"w{start + round_ * len(identifiers) + index}",
            at=now,
            outcome="failure",
            protocol="imap",
            identifier=identifier,
            ip=f"198.51.100.{index % 200 + 1}",
        )
        for round_ in range(per_identifier)
        for index, identifier in enumerate(identifiers)
    ]
    for chunk in range(0, len(records), 5000):
        mail_events_ingest(server=server, records=records[chunk : chunk + 5000])
    return len(records)


def test_the_beat_and_a_worker_lock_an_account_from_ingested_events(tmp_path, marie):
    server = mail_server_add(name="imap-01").server
    failures(server, ["marie.dupont"], 6)
    for _ in worker_started(tmp_path, beat=True):
        # The schedule runs the job every 30 seconds; nobody calls it here.
        assert wait_for(lambda: AccountLockout.objects.filter(key="marie.dupont", failures=5).exists(), timeout=75)
    row = AccountLockout.objects.get(key="marie.dupont")
    assert row.locked_until > timezone.now()
    assert SecurityEvent.objects.filter(kind=EventKind.LOGIN_LOCK, user=marie).count() == 1
    run = JobRun.objects.filter(name=JOB, items__gt=0).get()
    assert (run.items, run.actions) == (6, 1) and run.finished_at is not None


def test_a_worker_killed_mid_run_leaves_nothing_skipped_or_counted_twice(tmp_path):
    server = mail_server_add(name="imap-01").server
    # Four failures each, one under the first tier: a batch skipped leaves counters at 2 or 3, a batch counted twice
    # takes them to 5 or more, and locks them.
    identifiers = [f"agent.{number:04d}" for number in range(5000)]
    total = failures(server, identifiers, 4)  # 20,000 events: four batches
    ingested = SecurityEvent.objects.exclude(external_id="")
    first, last = ingested.earliest("pk").pk, ingested.latest("pk").pk
    (tmp_path / "first").mkdir()
    for process in worker_started(tmp_path / "first"):
        count_mail_failures.delay()

        def midway():
            cursor = JobCursor.objects.filter(name=mail_lockout.CURSOR).first()
            return cursor is not None and first <= cursor.position < last  # a batch committed, not the last

        assert wait_for(midway, timeout=60, interval=0.02), "the run was never seen between two batches"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    position = JobCursor.objects.get(name=mail_lockout.CURSOR).position
    assert first <= position < last
    killed = JobRun.objects.get(name=JOB)
    assert killed.finished_at is None  # the run record shows a run that never ended
    counted_before = AccountLockout.objects.aggregate(total=Sum("failures"))["total"]
    assert counted_before == SecurityEvent.objects.filter(pk__lte=position).exclude(external_id="").count()

    # The killed task is given to the next worker (acks late, its visibility timeout shortened here), without a new
    # one being sent; it starts where the last committed batch ended.
    (tmp_path / "second").mkdir()
    finished = JobRun.objects.filter(name=JOB, finished_at__isnull=False)
    past_redelivery()
    for _process in worker_started(tmp_path / "second", env=REDELIVERY):
        assert wait_for(finished.exists, timeout=60), "the killed task was not delivered again"
    again = finished.get()
    assert again.items == total - counted_before
    print(f"\nlockout job killed mid-run: {total} events, {counted_before} counted before the kill, "
          f"{again.items} by the task delivered again")  # fmt: skip
    assert AccountLockout.objects.aggregate(total=Sum("failures"))["total"] == total
    assert set(AccountLockout.objects.values_list("failures", flat=True)) == {4}
    assert not SecurityEvent.objects.filter(kind=EventKind.LOGIN_LOCK).exists()
