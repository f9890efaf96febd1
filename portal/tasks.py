import logging

from celery import shared_task
from celery.signals import worker_ready
from django.contrib.sessions.models import Session
from django.utils import timezone

from portal import health

log = logging.getLogger(__name__)


@shared_task
def record_worker_heartbeat() -> None:
    """Write the time a worker last ran a task; idempotent, the newest write wins."""
    health.record_worker_heartbeat()


@shared_task
def purge_expired_sessions() -> int:
    """Delete session rows past their expiry; idempotent (a second run finds nothing to delete)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    log.info("purged %d expired sessions", deleted)
    return deleted


@worker_ready.connect
def _heartbeat_on_start(**kwargs) -> None:
    # A worker that just started is alive before beat's first 30-second tick.
    health.record_worker_heartbeat()


@shared_task
def send_security_notification(event_id: int) -> None:
    """E-mail the person about a security event (see portal/notifications.py); idempotent through the outbox."""
    from portal.notifications import deliver_event_notification

    deliver_event_notification(event_id)
