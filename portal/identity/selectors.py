"""What other parts of the portal read about identities, with the reader's rights applied here.

Reads only: the workflows that change identities are in ``portal.identity.services``. Tickets and the knowledge base
import these rather than the models, so the rule of who sees what stays in the identity wing.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from portal.identity.access import is_verified_agent
from portal.models import EventKind, MailClient, SecurityEvent, User, UserManager
from portal.models.security import TEAM_ONLY_KINDS

RECENT_EVENTS = 50
# Left out of the helpdesk's summary of an account: routine comings and goings, which would bury the locks and
# resets, and the alerts about an agent's own conduct, which stay with the security team.
ROUTINE_KINDS = frozenset({EventKind.LOGIN_SUCCESS, EventKind.LOGOUT, EventKind.SESSION_ENDED})


def account_for(identifier: str) -> User | None:
    """The account an identifier names, whatever its case and surrounding spaces; None when there is none (an
    identifier with a NUL character names none, and PostgreSQL refuses to compare one)."""
    if "\x00" in identifier:
        return None
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


def mail_apps_for(identifier: str, *, viewer, limit: int = 10) -> list[MailClient]:
    """The mail apps of ``identifier`` that keep sending one wrong password (portal.identity.stale_clients),
    latest first: its owner and verified agents read them, anybody else gets none."""
    identifier = UserManager.normalize_identifier(identifier or "")
    own = viewer is not None and viewer.is_authenticated and viewer.get_username() == identifier
    if not identifier or not (own or is_verified_agent(viewer)):
        return []
    return list(MailClient.objects.filter(identifier=identifier, repeats__gt=0)[:limit])


@dataclass(frozen=True)
class SecurityHistory:
    identifier: str
    is_account: bool
    events: list[SecurityEvent]
    days: int
    mail_apps: list[MailClient]


def recent_security_history(identifier: str, *, viewer, days: int = 30, limit: int = 20) -> SecurityHistory | None:
    """For a verified agent: whether ``identifier`` names an account, and that account's security events of the
    last ``days`` days (suspensions and their end, password changes and reset links, authenticators added or
    removed, recovery codes used, helpdesk resets…), newest first, at most ``limit``. Only the kind, time and source
    of each are read, never its details. None for anyone else, so a page several kinds of reader open cannot show
    it to the wrong one. Two queries; three when the identifier has no recent event."""
    if not is_verified_agent(viewer):
        return None
    identifier = UserManager.normalize_identifier(identifier or "")
    since = timezone.now() - timedelta(days=days)
    events = list(
        SecurityEvent.objects.filter(user__username=identifier, created_at__gte=since)
        .exclude(kind__in=ROUTINE_KINDS | TEAM_ONLY_KINDS)
        .only("pk", "kind", "created_at", "source")[:limit]
    )
    is_account = bool(events) or (bool(identifier) and User.objects.filter(username=identifier).exists())
    mail_apps = mail_apps_for(identifier, viewer=viewer) if is_account else []
    return SecurityHistory(identifier=identifier, is_account=is_account, events=events, days=days, mail_apps=mail_apps)
