"""The Celery application.

- Tasks are discovered in each installed app's ``tasks.py``.
- Periodic jobs are declared in one place, ``portal/site/schedule.py``.
- Every task is enqueued only once the surrounding database transaction commits (``OnCommitTask``), so a worker
  never picks up a row that is not there yet or was rolled back, and nobody has to remember ``on_commit``.
- ``acks_late``: a task is acknowledged after it ran, so a worker killed mid-task leaves it to another worker.
  Tasks must therefore be idempotent (running one twice gives the same result as running it once).
"""

import logging
import os
import time

from celery import Celery
from celery.contrib.django.task import DjangoTask
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
log = logging.getLogger(__name__)


BROKER_RETRY_AFTER = 5.0  # seconds a process does not try a broker that failed to take a task
_broker_down_until = 0.0


class OnCommitTask(DjangoTask):
    """Defers sending to the broker until the current transaction commits (at once outside a transaction).

    Returns ``None`` instead of an ``AsyncResult``: our tasks are fire-and-forget and report through database rows.
    A broker that failed to take a task is not tried again by this process for BROKER_RETRY_AFTER seconds: a broker
    that hangs costs one request one timeout (the transport's socket timeout, settings), not every request.
    """

    def apply_async(self, args=None, kwargs=None, **options):
        if self.app.conf.task_always_eager:
            return super().apply_async(args, kwargs, **options)

        def send():
            global _broker_down_until
            if time.monotonic() < _broker_down_until:
                log.warning("task %s not sent: the broker failed a moment ago", self.name)
                return
            try:
                super(OnCommitTask, self).apply_async(args, kwargs, **options)
            except Exception:
                # The broker is down. The change is committed and must stand: a request never fails because a
                # side effect could not be queued. Work that must happen is kept in an outbox row that a periodic
                # job retries (security notifications do this).
                _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER
                log.warning("could not send task %s to the broker", self.name, exc_info=True)

        transaction.on_commit(send)
        return None


app = Celery("guichet", task_cls=OnCommitTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    task_soft_time_limit=120,
    task_time_limit=180,
    broker_connection_retry_on_startup=True,
    # Sending must not hang a web request when the broker is down: fail fast, the outbox retries later.
    task_publish_retry=False,
    broker_connection_timeout=3,
    worker_hijack_root_logger=False,
    timezone="UTC",
)
app.autodiscover_tasks()


def _load_schedule(sender, **kwargs):
    from portal.site.schedule import BEAT_SCHEDULE

    sender.conf.beat_schedule = BEAT_SCHEDULE


app.on_after_configure.connect(_load_schedule)
