"""E-mails that tell a person about a security-relevant change on their account (R26)."""


def deliver_event_notification(event_id: int) -> None:
    """Claim the event's outbox row and send its e-mail; does nothing if already sent (idempotent)."""
    raise NotImplementedError
