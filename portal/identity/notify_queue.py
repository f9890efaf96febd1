"""Where ``record_event`` hands over an event whose e-mail must be sent.

The identity wing records facts; it does not know the task queue, which lives in the site shell (``portal.tasks``,
whose jobs call back into identity: detection, lockout purge). Importing the tasks from here closed a loop
(detection → events → tasks → detection), so the shell plugs the queue in at start-up instead
(``portal.apps.PortalConfig.ready``). The event row is the outbox either way: with nothing plugged in, or with the
broker down, the periodic sweep sends the e-mail later.
"""

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

_queue: Callable[[int], object] | None = None


def connect(queue: Callable[[int], object]) -> None:
    """Make ``queue(event_id)`` the way events ask for their e-mail (called once, by the site shell)."""
    global _queue
    _queue = queue


def enqueue(event_id: int) -> None:
    if _queue is None:
        log.warning("no notification queue connected: event %s waits for the outbox sweep", event_id)
        return
    _queue(event_id)
