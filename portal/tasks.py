import logging
from datetime import timedelta

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from portal import detection, health, lockout, notifications
from portal.models import SecurityEvent, SignedInSession

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
    """E-mail the person about a security event (see portal/notifications.py); idempotent through the outbox."""
    notifications.deliver_event_notification(event_id)


# The sweep leaves a fresh event to the task queued when it was recorded, so the two rarely race for it (the outbox
# claim makes a race harmless anyway), and stops after a week, so an address that always fails is not tried forever.
NOTIFICATION_GRACE = timedelta(seconds=30)
NOTIFICATION_GIVE_UP = timedelta(days=7)
NOTIFICATION_BATCH = 200


@shared_task
def deliver_pending_notifications() -> int:
    """Send security e-mails whose task never ran (broker down, worker lost); idempotent through the outbox claim."""
    now = timezone.now()
    pending = (
        SecurityEvent.objects.filter(
            notify=True,
            notified_at__isnull=True,
            created_at__lt=now - NOTIFICATION_GRACE,
            created_at__gte=now - NOTIFICATION_GIVE_UP,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:NOTIFICATION_BATCH]
    )
    sent = 0
    for event_id in list(pending):
        try:
            if notifications.deliver_event_notification(event_id):
                sent += 1
        except Exception:
            # One unreachable mailbox must not hold back the others; its claim was released for the next sweep.
            log.warning("could not send the security notification for event %s", event_id, exc_info=True)
    log.info("sent %d pending security notifications", sent)
    return sent


@shared_task
def purge_stale_lockouts() -> int:
    """Forget sign-in counters with no recent activity and no lock in force; idempotent."""
    return lockout.purge_stale()


@shared_task
def detect_credential_attacks() -> dict:
    """Look for spraying and mass lockouts in the last minutes (portal/detection.py); idempotent: a second run in
    the same window raises no second alert."""
    findings = detection.detect_credential_attacks()
    return {
        "spraying_networks": findings.spraying_networks,
        "wave": findings.wave,
        "mass_lockout": findings.mass_lockout,
    }
