"""A real Celery worker, on the real broker, picks up what the portal sends and reports itself to /health/."""

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from portal.tasks import purge_expired_sessions
from tests.celery_worker import wait_for, worker_started

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(tmp_path):
    yield from worker_started(tmp_path)


def test_a_started_worker_turns_health_green(client, worker):
    assert client.get("/health/").status_code == 503
    assert wait_for(lambda: client.get("/health/").status_code == 200), "worker never reported a heartbeat"
    checks = client.get("/health/").json()["checks"]
    assert checks["database"]["vendor"] == "postgresql"
    assert checks["broker"]["transport"] == "redis"


def test_worker_runs_the_session_purge_sent_after_commit(worker):
    store = SessionStore()
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - timedelta(minutes=1))

    purge_expired_sessions.delay()

    assert wait_for(lambda: not Session.objects.filter(session_key=store.session_key).exists()), (
        "the worker did not purge the expired session"
    )
