"""The security event log's single entry point."""

import logging

from django.http import HttpRequest

from portal.identity import audit_log
from portal.models import SecurityEvent
from portal.models.security import TEAM_ALERT_KINDS, Source
from portal.web.network import client_ip

log = logging.getLogger(__name__)


def record_event(
    kind: str,
    *,
    request: HttpRequest | None = None,
    user=None,
    identifier: str = "",
    source: str = Source.PORTAL,
    data: dict | None = None,
    notify: bool = False,
) -> SecurityEvent:
    """Append one event. With ``notify``, the person (and for alert kinds, the security team) gets an e-mail once
    the transaction commits.

    ``data`` must hold no secret (no password, code, token, session key): it is shown to the person and to agents.
    """
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        submitted_identifier=identifier[:150],
        ip=client_ip(request) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        source=source,
        data=data or {},
        notify=notify and (user is not None or kind in TEAM_ALERT_KINDS),
    )
    log.info("security event %s user=%s ip=%s", kind, event.user_id, event.ip)
    audit_log.ship(event)
    if event.notify:
        from portal.tasks import send_security_notification

        send_security_notification.delay(event.pk)  # sent on commit; the outbox job retries if the broker is down
    return event
