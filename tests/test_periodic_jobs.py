"""Every periodic job declared in portal/site/schedule.py exists, runs, and is safe to run twice."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from portal.celery import app as celery_app
from portal.site.schedule import BEAT_SCHEDULE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _discovered_tasks():
    # What a worker does at start-up: import every app's tasks module.
    celery_app.loader.import_default_modules()


def test_beat_uses_the_declared_schedule():
    assert celery_app.conf.beat_schedule == BEAT_SCHEDULE
    assert BEAT_SCHEDULE, "at least one periodic job is declared"


@pytest.mark.parametrize("entry", sorted(BEAT_SCHEDULE))
def test_every_periodic_job_runs_twice_without_error(entry):
    job = BEAT_SCHEDULE[entry]
    assert isinstance(job["schedule"], float | int | crontab | timedelta)
    task = celery_app.tasks[job["task"]]
    for _ in range(2):  # idempotent: a late or repeated delivery is harmless
        result = task.apply()
        assert result.successful(), result.traceback


def make_session(expires_in: timedelta) -> str:
    store = SessionStore()
    store["marker"] = "x"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


def test_purge_expired_sessions_keeps_live_ones():
    expired = make_session(timedelta(minutes=-1))
    live = make_session(timedelta(hours=1))
    result = celery_app.tasks["portal.tasks.purge_expired_sessions"].apply()
    assert result.get() == 1
    assert not Session.objects.filter(session_key=expired).exists()
    assert Session.objects.filter(session_key=live).exists()


def test_tasks_are_sent_only_when_the_transaction_commits(django_capture_on_commit_callbacks):
    from portal.tasks import purge_expired_sessions

    celery_app.conf.task_always_eager = False
    expired = make_session(timedelta(minutes=-1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert purge_expired_sessions.delay() is None
    # Nothing was sent during the transaction: the send waits in an on-commit callback.
    assert len(callbacks) == 1
    assert Session.objects.filter(session_key=expired).exists()
