from celery import shared_task

from tickets import notifications


@shared_task
def send_ticket_notification(event_id: int) -> None:
    """E-mail the requester about one event of their incident; idempotent through the event's outbox claim."""
    notifications.deliver_ticket_notification(event_id)
