"""A worker killed (SIGKILL) in the middle of the outbox sweep: every e-mail still goes out, and none twice.

A real Celery worker sends the pending security e-mails through SMTP to a small mail server run by the test. The
server kills the worker at a chosen moment: in the middle of one message, after the worker claimed its row and
before the server accepted it, which is when an e-mail is lost if the claim and the sending are not one
transaction. A second worker then sweeps again.
"""

import signal
import socketserver
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from portal.models import EventKind, SecurityEvent
from portal.tasks import deliver_pending_notifications
from tests.celery_worker import wait_for, worker_started

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
EVENTS = 40
KILL_AT = 15  # the message during which the worker is killed


class MailServer(socketserver.ThreadingTCPServer):
    """Just enough SMTP for Django's backend: accepts each message, counts it by its Subject line, and at message
    KILL_AT calls ``on_kill`` instead of answering (the message is then not accepted)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Session)
        self.accepted: list[str] = []
        self.started = 0
        self.lock = threading.Lock()
        self.on_kill = None


class _Session(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self):
        self.reply("220 test ESMTP")
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 test")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 go on")
                body = []
                while (data := self.rfile.readline()) and data not in (b".\r\n", b".\n"):
                    body.append(data.decode(errors="replace"))
                with self.server.lock:
                    self.server.started += 1
                    number = self.server.started
                if number == KILL_AT:
                    self.server.on_kill()  # the worker dies waiting for our answer
                    return
                subject = next((text for text in body if text.startswith("Subject:")), "")
                with self.server.lock:
                    self.server.accepted.append(subject)
                self.reply("250 accepted")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


def test_a_worker_killed_mid_sweep_sends_every_e_mail_once(tmp_path, marie):
    server = MailServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(server.server_address[1]),
    }
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
    try:
        for first in worker_started(tmp_path / "first", env=env):

            def kill(worker=first):
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=10)

            server.on_kill = kill
            deliver_pending_notifications.delay()
            assert wait_for(lambda worker=first: worker.poll() is not None, timeout=60), "the worker was never killed"
        accepted_before = len(server.accepted)
        assert accepted_before == KILL_AT - 1 and pending.count() == EVENTS - accepted_before

        for _process in worker_started(tmp_path / "second", env=env):
            deliver_pending_notifications.delay()
            assert wait_for(lambda: not pending.exists(), timeout=60), "the second sweep did not finish"
    finally:
        server.shutdown()
        server.server_close()
    print(f"\noutbox sweep killed mid-run: {EVENTS} e-mails, {len(server.accepted)} accepted, "
          f"{len(server.accepted) - EVENTS} duplicates, {pending.count()} skipped")  # fmt: skip
    assert len(server.accepted) == EVENTS  # none skipped, none twice
