"""Every periodic job declared in portal/site/schedule.py exists, runs, and is safe to run twice."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from portal.celery import app as celery_app
from portal.models import JobRun
from portal.site.schedule import BEAT_SCHEDULE
from portal.web.jobs import periodic_job

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


# --- The record of every run (portal/web/jobs.py) -----------------------------------------------------------------


def test_every_periodic_job_leaves_a_record_of_its_run():
    for job in BEAT_SCHEDULE.values():
        celery_app.tasks[job["task"]].apply()

    recorded = set(JobRun.objects.filter(finished_at__isnull=False, error="").values_list("name", flat=True))
    assert recorded == {job["task"] for job in BEAT_SCHEDULE.values()}


def test_a_run_records_what_the_job_returned():
    make_session(timedelta(minutes=-1))
    make_session(timedelta(minutes=-2))

    assert celery_app.tasks["portal.tasks.purge_expired_sessions"].apply().get() == 2  # returned unchanged

    run = JobRun.objects.get(name="portal.tasks.purge_expired_sessions")
    assert (run.items, run.actions, run.error) == (2, 2, "")
    assert run.started_at <= run.finished_at


def test_a_job_reporting_a_dict_gives_items_and_actions():
    @periodic_job
    def detect() -> dict:
        return {"items": 40, "actions": 1, "wave": True}

    assert detect() == {"items": 40, "actions": 1, "wave": True}
    run = JobRun.objects.get()
    assert (run.name, run.items, run.actions) == (f"{__name__}.detect", 40, 1)


def test_a_failing_job_records_its_error_and_still_fails():
    @periodic_job
    def broken() -> int:
        raise ConnectionRefusedError("smtp.example.org:25 refused the connection")

    with pytest.raises(ConnectionRefusedError):
        broken()

    run = JobRun.objects.get()
    assert run.finished_at is not None and (run.items, run.actions) == (0, 0)
    assert run.error == "ConnectionRefusedError: smtp.example.org:25 refused the connection"


def test_runs_older_than_thirty_days_are_purged():
    JobRun.objects.create(name="old", started_at=timezone.now() - timedelta(days=31))
    JobRun.objects.create(name="recent", started_at=timezone.now() - timedelta(days=29))

    celery_app.tasks["portal.tasks.purge_job_runs"].apply()

    assert set(JobRun.objects.values_list("name", flat=True)) == {"recent", "portal.tasks.purge_job_runs"}


def test_agents_read_the_runs_in_the_admin_and_nobody_edits_them(client, marie, sophie, sign_in):
    run = JobRun.objects.create(name="portal.tasks.purge_stale_lockouts", started_at=timezone.now(), error="Boom")
    sign_in(client, sophie)

    assert client.get(reverse("admin:portal_jobrun_changelist")).status_code == 200
    page = client.get(reverse("admin:portal_jobrun_change", args=[run.pk]))
    assert page.status_code == 200 and "Boom" in page.content.decode()
    assert client.post(reverse("admin:portal_jobrun_change", args=[run.pk]), {"name": "x"}).status_code == 403
    assert client.get(reverse("admin:portal_jobrun_add")).status_code == 403
    assert client.post(reverse("admin:portal_jobrun_delete", args=[run.pk]), {"post": "yes"}).status_code == 403
    assert JobRun.objects.get(pk=run.pk).name == "portal.tasks.purge_stale_lockouts"
    sign_in(client, marie)
    assert client.get(reverse("admin:portal_jobrun_changelist")).status_code == 302
