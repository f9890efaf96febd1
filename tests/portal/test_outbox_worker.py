"""A worker killed (SIGKILL) in the middle of the outbox sweep: every e-mail still goes out, and none twice.

A real Celery worker sends the pending security e-mails through SMTP to a small mail server run by the test. The
server kills the worker at a chosen moment: in the middle of one message, after the worker claimed its row and
before the server accepted it, which is when an e-mail is lost if the claim and the sending are not one
transaction. A second worker then takes the killed worker's task again (acks late: the broker gives it out once
its visibility timeout has passed, shortened here) and finishes the sweep.
"""

import signal
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from portal.models import EventKind, SecurityEvent
from portal.tasks import deliver_pending_notifications
from tests.celery_worker import REDELIVERY, past_redelivery, wait_for, worker_started
from tests.smtp_server import MailServer

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
EVENTS = 40
KILL_AT = 15  # the message during which the worker is killed


def test_a_worker_killed_mid_sweep_sends_every_e_mail_once(tmp_path, marie):
    server = MailServer()
    server.kill_at = KILL_AT
    env = server.django_settings()
    # Rows whose own task never ran (the broker was down, say): the sweep's work, once past its grace period.
    rows = [SecurityEvent(kind=EventKind.RECOVERY_CODES_REGENERATED, user=marie, notify=True) for _ in range(EVENTS)]
    SecurityEvent.objects.bulk_create(rows)
    # Five minutes old: the worker's clock, in another process, cannot be moved, and the records are append-only
    # through the ORM, so they are aged in SQL.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE portal_securityevent SET created_at = %s", [timezone.now() - timedelta(minutes=5)])
    pending = SecurityEvent.objects.filter(notify=True, notified_at__isnull=True)
    for directory in ("first", "second"):
        (tmp_path / directory).mkdir()
    with server:
        for first in worker_started(tmp_path / "first", env=env):

            def kill(worker=first):
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=10)

            server.on_kill = kill
            deliver_pending_notifications.delay()
            assert wait_for(lambda worker=first: worker.poll() is not None, timeout=60), "the worker was never killed"
        accepted_before = len(server.accepted)
        assert accepted_before == KILL_AT - 1 and pending.count() == EVENTS - accepted_before

        # No new task: the killed one comes back.
        past_redelivery()
        for _process in worker_started(tmp_path / "second", env={**env, **REDELIVERY}):
            assert wait_for(lambda: not pending.exists(), timeout=60), "the killed sweep was not delivered again"
    print(f"\noutbox sweep killed mid-run: {EVENTS} e-mails, {len(server.accepted)} accepted, "
          f"{len(server.accepted) - EVENTS} duplicates, {pending.count()} skipped")  # fmt: skip
    assert len(server.accepted) == EVENTS  # none skipped, none twice
