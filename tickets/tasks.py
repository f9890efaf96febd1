from celery import shared_task

from portal.web import outbox
from portal.web.jobs import periodic_job
from tickets import notifications, sla
from tickets.models import TicketEvent


@shared_task
def send_ticket_notification(event_id: int) -> None:
    """E-mail the requester about one event of their incident; idempotent through the event's outbox claim."""
    notifications.deliver_ticket_notification(event_id)


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
