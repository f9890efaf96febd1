"""A real Celery worker, on the real broker, picks up what the portal sends and reports itself to /health/."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from portal.celery import app as celery_app
from portal.tasks import purge_expired_sessions
from tests.helpers import ROOT, requires_services

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


@pytest.fixture
def worker(tmp_path):
    requires_services()
    # The worker must use the test database pytest-django created, not the one DATABASE_URL names.
    url = urlsplit(os.environ["DATABASE_URL"])
    test_db_url = urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))
    env = {**os.environ, "DATABASE_URL": test_db_url, "GUICHET_VAR_DIR": str(tmp_path)}
    log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115 (closed in teardown)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--concurrency", "1", "--loglevel", "INFO",
         "--without-gossip", "--without-mingle", "--hostname", f"test-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    celery_app.conf.task_always_eager = False
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.seek(0)
    output = log.read()
    log.close()
    assert "Traceback" not in output, output


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
