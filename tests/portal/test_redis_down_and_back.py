"""Redis stopped, both as the cache and as the broker, then back; and Redis hanging (issue 16).

While it is down, a person files an incident and changes her password: both stand, and their e-mails wait in their
outbox rows (no task could be queued). When Redis is back, a real worker's sweep sends them (the sweeps run every
minute in production, portal/site/schedule.py; here the test asks for one at once rather than wait).
"""

import signal
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

import portal.celery
from portal.celery import app as celery_app
from portal.models import SecurityEvent
from portal.tasks import deliver_pending_notifications
from tests.celery_worker import wait_for, worker_started
from tests.helpers import DEMO_PASSWORD
from tests.redis_server import ThrowawayRedis
from tests.smtp_server import MailServer
from tests.tickets.helpers import login_failure_answers
from tickets.models import Ticket, TicketEvent
from tickets.tasks import deliver_pending_ticket_notifications

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "vfq8 Lzo2 wpx7"


def _forget_broker_connections():
    # Connection pools are built from the broker address on first use; dropped so that the address set is used.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis(settings):
    """The cache and the broker on a Redis of their own, for the test to stop and start."""
    server = ThrowawayRedis()
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.web.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.broker_url
    conf.task_always_eager, conf.broker_url = False, server.url
    _forget_broker_connections()
    yield server
    conf.task_always_eager, conf.broker_url = saved
    _forget_broker_connections()
    server.stop()


def test_while_redis_is_down_changes_stand_and_their_e_mails_go_out_once_it_is_back(
    tmp_path, monkeypatch, redis, marie, sign_in, problem_types
):
    redis.stop()
    client = sign_in(Client(), marie)
    filed = client.post("/en/incidents/signaler/echec-connexion/", login_failure_answers())
    assert filed.status_code == 302 and Ticket.objects.filter(requester=marie).exists()
    changed = client.post(
        reverse("portal:password_change"),
        {"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    marie.refresh_from_db()
    assert marie.check_password(NEW_PASSWORD)
    waiting = SecurityEvent.objects.filter(notify=True, notified_at__isnull=True)
    waiting_tickets = TicketEvent.objects.filter(notify=True, notified_at__isnull=True)
    assert waiting.exists() and waiting_tickets.exists()
    # Past the sweeps' grace period (their own task may still be on its way otherwise); in SQL, as the worker's
    # clock cannot be moved and the event records are append-only through the ORM.
    with connection.cursor() as cursor:
        for table in ("portal_securityevent", "tickets_ticketevent"):
            cursor.execute(f"UPDATE {table} SET created_at = created_at - interval '5 minutes'")  # noqa: S608

    redis.start()
    # This process tries the broker again BROKER_RETRY_AFTER seconds after its last failure; not waited for here.
    monkeypatch.setattr(portal.celery, "_broker_down_until", 0.0)
    (tmp_path / "worker").mkdir()
    with MailServer() as mail:
        url = redis.url
        env = {**mail.django_settings(), "REDIS_URL": url, "CACHE_URL": url, "CELERY_BROKER_URL": url}
        for _process in worker_started(tmp_path / "worker", env={**env, "CELERY_RESULT_BACKEND": url}):
            deliver_pending_notifications.delay()
            deliver_pending_ticket_notifications.delay()
            assert wait_for(lambda: not waiting.exists() and not waiting_tickets.exists(), timeout=60)
    reference = Ticket.objects.get(requester=marie).reference
    assert any("Mot de passe modifié" in subject for subject in mail.accepted), mail.accepted
    assert any(reference in subject for subject in mail.accepted), mail.accepted


def test_while_redis_hangs_pages_and_filing_cost_one_timeout_and_their_e_mails_wait(
    redis, marie, sign_in, problem_types
):
    """A Redis that accepts connections but never answers (SIGSTOP: an overloaded or half-partitioned server). The
    first request to meet it waits for the client's timeouts, the cache's 0.5 s and the broker's 2 s; for the next
    few seconds the process does not ask it again, so the requests after it are served as fast as usual."""
    client = sign_in(Client(), marie)
    redis.process.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        assert client.get("/").status_code == 200
        first = client.post("/en/incidents/signaler/echec-connexion/", login_failure_answers())
        first_took = time.monotonic() - started
        started = time.monotonic()
        second = client.post("/en/incidents/signaler/echec-connexion/", login_failure_answers(description="encore"))
        assert client.get("/incidents/").status_code == 200
        second_took = time.monotonic() - started
    finally:
        redis.process.send_signal(signal.SIGCONT)
    assert first.status_code == second.status_code == 302 and Ticket.objects.filter(requester=marie).count() == 2
    assert first_took < 4, first_took  # 15 s before, when every cache call and every task waited its timeout
    assert second_took < 1.5, second_took
    # Their e-mails were not queued: they wait in the outbox for the sweep.
    assert TicketEvent.objects.filter(notify=True, notified_at__isnull=True).count() >= 2
