"""The security event log's single entry point.

Where the event came from is given as ``ip`` and ``user_agent``, so that a fact reported without a web request (a
mail server, a periodic job) is recorded by the same call; ``request`` is only a shortcut that fills them.
"""

import logging

from django.http import HttpRequest

from portal.identity import audit_log
from portal.models import SecurityEvent
from portal.models.security import TEAM_ALERT_KINDS, Source
from portal.web import outbox
from portal.web.network import client_ip

log = logging.getLogger(__name__)


def record_event(
    kind: str,
    *,
    request: HttpRequest | None = None,
    ip: str | None = None,
    user_agent: str = "",
    user=None,
    identifier: str = "",
    source: str = Source.PORTAL,
    data: dict | None = None,
    notify: bool = False,
) -> SecurityEvent:
    """Append one event. With ``notify``, the person (and for alert kinds, the security team) gets an e-mail once
    the transaction commits.

    ``data`` must hold no secret (no password, code, token, session key): it is shown to the person and to agents.
    ``ip`` and ``user_agent`` default to the request's when one is given.
    """
    if request is not None:
        ip = ip if ip is not None else client_ip(request)
        user_agent = user_agent or request.META.get("HTTP_USER_AGENT", "")
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        submitted_identifier=identifier[:150],
        ip=ip or None,
        user_agent=user_agent[:300],
        source=source,
        data=data or {},
        notify=notify and (user is not None or kind in TEAM_ALERT_KINDS),
    )
    log.info("security event %s user=%s ip=%s", kind, event.user_id, event.ip)
    audit_log.ship(event)
    if event.notify:
        outbox.queue("portal.tasks.send_security_notification", event.pk)  # the sweep retries if the broker is down
    return event
