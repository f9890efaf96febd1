import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from portal.identity import detection, lockout, notifications
from portal.models import SecurityEvent, SignedInSession
from portal.site import health
from portal.web import outbox

log = logging.getLogger(__name__)


@shared_task
def record_worker_heartbeat() -> None:
    """Write the time a worker last ran a task; idempotent, the newest write wins."""
    health.record_worker_heartbeat()


@shared_task
def purge_expired_sessions() -> int:
    """Delete session rows past their expiry; idempotent (a second run finds nothing to delete)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    # Entries of the session lists whose session cannot be alive any more (past the longest absolute limit).
    longest = max(limits["absolute"] for limits in settings.GUICHET_SESSION_LIMITS.values())
    entries, _ = SignedInSession.objects.filter(last_seen_at__lt=timezone.now() - longest).delete()
    log.info("purged %d expired sessions and %d session-list entries", deleted, entries)
    return deleted + entries


@worker_ready.connect
def _heartbeat_on_start(**kwargs) -> None:
    # A worker that just started is alive before beat's first 30-second tick.
    health.record_worker_heartbeat()


@shared_task
def send_security_notification(event_id: int) -> None:
    """E-mail the person about a security event (portal/identity/notifications.py); idempotent (the outbox)."""
    notifications.deliver_event_notification(event_id)


@shared_task
def deliver_pending_notifications() -> int:
    """Send security e-mails whose task never ran (broker down, worker lost); idempotent through the outbox claim."""
    return outbox.sweep(SecurityEvent, notifications.deliver_event_notification)


@shared_task
def purge_stale_lockouts() -> int:
    """Forget sign-in counters with no recent activity and no lock in force; idempotent."""
    return lockout.purge_stale()


@shared_task
def detect_credential_attacks() -> dict:
    """Look for spraying and mass lockouts in the last minutes (portal/identity/detection.py); idempotent: a second
    run in the same window raises no second alert."""
    findings = detection.detect_credential_attacks()
    return {
        "spraying_networks": findings.spraying_networks,
        "wave": findings.wave,
        "mass_lockout": findings.mass_lockout,
    }
