import logging

from celery import shared_task

from portal.web import outbox
from portal.web.jobs import periodic_job
from tickets import broadcast, correlation, notifications, sla, worklist
from tickets.models import MajorIncidentNotice, TicketEvent

log = logging.getLogger(__name__)


@shared_task
def send_ticket_notification(event_id: int) -> None:
    """E-mail the requester about one event of their incident; idempotent through the event's outbox claim."""
    notifications.deliver_ticket_notification(event_id)


@shared_task
def send_ticket_notifications(event_ids: list[int]) -> int:
    """E-mail the requesters of many events written at once (a major incident's update); idempotent through each
    event's claim. One failing address does not hold back the others: the sweep tries it again."""
    return sum(_quietly(notifications.deliver_ticket_notification, TicketEvent, pk) for pk in event_ids)


@shared_task
@periodic_job
def deliver_pending_ticket_notifications() -> int:
    """Send incident e-mails whose task never ran (broker down, worker lost); idempotent through the outbox claim."""
    return outbox.sweep(TicketEvent, notifications.deliver_ticket_notification)


@shared_task
@periodic_job
def check_sla() -> dict:
    """Mark tickets at risk and breached against their SLA, and escalate the breaches; idempotent (tickets.sla)."""
    return sla.sla_sweep()


@shared_task
def send_major_incident_notices(notice_ids: list[int]) -> int:
    """E-mail the people affected by a major incident about one update; idempotent through each notice's claim."""
    return sum(_quietly(broadcast.deliver_notice, MajorIncidentNotice, pk) for pk in notice_ids)


@shared_task
@periodic_job
def deliver_pending_major_incident_notices() -> int:
    """Send the major-incident e-mails whose task never ran; idempotent through the outbox claim."""
    return outbox.sweep(MajorIncidentNotice, broadcast.deliver_notice)


@shared_task
@periodic_job
def correlate_reports() -> dict:
    """Propose major incidents from simultaneous reports and link new matching reports (tickets.correlation);
    idempotent and safe to run concurrently."""
    return correlation.correlate()


@shared_task
@periodic_job
def refresh_queue_counts() -> int:
    """Count the open and unassigned tickets of every queue for the workspace's cards (tickets.worklist); idempotent.
    Returns how many queues have open tickets."""
    return len(worklist.queue_counts_refresh())


def _quietly(deliver, model, pk: int) -> bool:
    try:
        return deliver(pk)
    except Exception:
        # Its claim was released: the sweep tries it again.
        log.warning("could not send the e-mail of %s %s", model._meta.label, pk, exc_info=True)
        return False
