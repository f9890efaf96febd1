"""The periodic sweep of e-mail outboxes: rows flagged ``notify`` whose e-mail was never sent.

Security events (portal) and incident events (tickets) both record the e-mail to send as a flag on the row and
queue a task when the transaction commits. When that task never reaches a worker (broker down, worker killed), the
sweep sends it later. It leaves fresh rows to their own task, so the two rarely race for a row (the delivery
function's claim on ``notified_at`` makes a race harmless anyway), and gives up after a week, so an address that
always fails is not tried forever.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=30)
GIVE_UP = timedelta(days=7)
BATCH = 200


def sweep(model, deliver: Callable[[int], bool]) -> int:
    """Deliver up to BATCH pending rows of ``model`` with ``deliver(row_id)``; returns how many were sent."""
    now = timezone.now()
    pending = (
        model.objects.filter(
            notify=True,
            notified_at__isnull=True,
            created_at__lt=now - GRACE,
            created_at__gte=now - GIVE_UP,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    sent = 0
    for row_id in list(pending):
        try:
            if deliver(row_id):
                sent += 1
        except Exception:
            # One unreachable mailbox must not hold back the others; its claim was released for the next sweep.
            log.warning("could not send the e-mail of %s %s", model._meta.label, row_id, exc_info=True)
    log.info("sent %d pending e-mails of %s", sent, model._meta.label)
    return sent
