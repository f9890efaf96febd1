"""What other parts of the portal read about identities, with the reader's rights applied here.

Reads only: the workflows that change identities are in ``portal.identity.services``. Tickets and the knowledge base
import these rather than the models, so the rule of who sees what stays in the identity wing.
"""

from portal.identity.access import is_verified_agent
from portal.models import SecurityEvent, User, UserManager

RECENT_EVENTS = 50


def account_for(identifier: str) -> User | None:
    """The account an identifier names, whatever its case and surrounding spaces; None when there is none."""
    return User.objects.filter(username=UserManager.normalize_identifier(identifier)).first()


def security_events_for(identifier: str, *, viewer, limit: int = RECENT_EVENTS) -> list[SecurityEvent]:
    """The latest ``limit`` security events of the account ``identifier``, newest first, in one query.

    A person reads their own; a verified agent reads anyone's (the helpdesk checking an account). Anybody else gets
    none, so a page shown to several kinds of reader (an incident's page, say) cannot leak another's history.
    """
    identifier = UserManager.normalize_identifier(identifier)
    own = viewer is not None and viewer.is_authenticated and viewer.get_username() == identifier
    if not (own or is_verified_agent(viewer)):
        return []
    return list(SecurityEvent.objects.filter(user__username=identifier)[:limit])
