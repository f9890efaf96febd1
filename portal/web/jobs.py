"""The record of every periodic run: one ``JobRun`` row per run of a job of ``portal/site/schedule.py``.

``@periodic_job`` goes under ``@shared_task`` on each periodic task, so a task stays one line::

    @shared_task
    @periodic_job
    def purge_stale_lockouts() -> int:
        return lockout.purge_stale()

What the task returns fills the counts, and is returned unchanged:

- a number: what the job handled (rows deleted, e-mails sent), each one acted on: items and actions alike;
- a dict: its ``items`` and ``actions``, when it gives them (actions alone count as items too);
- None: nothing counted.

An exception is recorded as the run's error and raised again, so Celery still sees the failure. Keeping the record
never stops the job: if the row cannot be written (the database is what is down), the job runs all the same and
the worker's log says so.
"""

import functools
import logging
import traceback
from datetime import timedelta

from django.db import DatabaseError, transaction
from django.utils import timezone

from portal.models import JobRun

log = logging.getLogger(__name__)

KEEP = timedelta(days=30)
ERROR_LENGTH = 2000


def counts(result) -> tuple[int, int]:
    """(items, actions) from what a task returned; see the module's docstring."""
    if isinstance(result, bool) or result is None:
        return 0, 0
    if isinstance(result, int):
        return max(result, 0), max(result, 0)
    if isinstance(result, dict):
        actions = int(result.get("actions", 0))
        return int(result.get("items", actions)), actions
    return 0, 0


def periodic_job(task):
    """Record each run of ``task`` as a JobRun row (name, start, end, counts, error); see the module's docstring."""
    name = f"{task.__module__}.{task.__name__}"

    @functools.wraps(task)
    def run(*args, **kwargs):
        row = _record(lambda: JobRun.objects.create(name=name, started_at=timezone.now()))
        try:
            result = task(*args, **kwargs)
        except Exception as exc:
            error = "".join(traceback.format_exception_only(exc)).strip()[:ERROR_LENGTH]
            _finish(row, error=error)
            raise
        items, actions = counts(result)
        _finish(row, items=items, actions=actions)
        return result

    return run


def _finish(row: JobRun | None, **fields) -> None:
    if row is not None:
        _record(lambda: JobRun.objects.filter(pk=row.pk).update(finished_at=timezone.now(), **fields))


def _record(write):
    try:
        with transaction.atomic():
            return write()
    except DatabaseError:
        log.warning("could not record a periodic job run", exc_info=True)
        return None


def job_runs_purge(*, now=None) -> int:
    """Forget runs older than KEEP; idempotent. Returns how many rows went."""
    deleted, _ = JobRun.objects.filter(started_at__lt=(now or timezone.now()) - KEEP).delete()
    return deleted
