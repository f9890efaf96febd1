"""Known ongoing incidents: what the portal shows before the forms, "I'm affected too", and their lifecycle.

Opening, updating and resolving are services that write a MajorIncidentEvent in the same transaction as the change:
the admin and the agents' workspace call them, and the correlation job (tickets.correlation) proposes incidents
that agents confirm, split or dismiss here, so the history is the same whoever acts. A proposal is never shown to
the public; once confirmed, every status change and public update reaches its reporters (tickets.broadcast).
"""

from django.core.cache import cache
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from tickets.broadcast import incident_broadcast
from tickets.models import (
    MajorIncident,
    MajorIncidentAffected,
    MajorIncidentEvent,
    MajorIncidentEventKind,
    MajorIncidentStatus,
    Ticket,
    TicketEvent,
    TicketEventKind,
)
from tickets.models.major import LIVE_STATUSES, SHOWN_STATUSES
from tickets.timeline import events_write_many

# What an agent sets; who opened it and when it was resolved follow from these.
EDITABLE_FIELDS = (
    "title_fr",
    "title_en",
    "problem_type",
    "status",
    "error_messages",
    "public_message_fr",
    "public_message_en",
    "opened_at",
)

# Whether any major incident is shown, kept in the shared cache: the home page and every form ask, and most of the
# time the answer is no. Forgotten whenever an incident is saved or deleted (on commit), and after a minute anyway.
ANY_SHOWN_KEY = "tickets:major-incidents:any-shown"
ANY_SHOWN_TTL = 60


def any_major_incident_shown() -> bool:
    shown = cache.get(ANY_SHOWN_KEY)
    if shown is None:
        shown = MajorIncident.objects.shown().exists()
        cache.set(ANY_SHOWN_KEY, shown, ANY_SHOWN_TTL)
    return shown


@receiver([post_save, post_delete], sender=MajorIncident)
def _forget_any_shown(**kwargs) -> None:
    # Now, and again once committed: a request between the two may have cached the state before the change.
    cache.delete(ANY_SHOWN_KEY)
    transaction.on_commit(lambda: cache.delete(ANY_SHOWN_KEY))


def shown_major_incidents(*, problem_type=None, user=None) -> list[MajorIncident]:
    """Ongoing incidents, newest first: all of them, or those of one problem type plus those of none. No query at
    all while none is shown (the usual case), else one; each carries ``affected_count`` and, for a signed-in
    ``user``, ``user_is_affected``."""
    if not any_major_incident_shown():
        return []
    incidents = MajorIncident.objects.shown().select_related("problem_type")
    if problem_type is not None:
        incidents = incidents.filter(Q(problem_type=problem_type) | Q(problem_type__isnull=True))
    incidents = incidents.annotate(affected_count=Count("affected", distinct=True))
    if user is not None and user.is_authenticated:
        incidents = incidents.annotate(user_is_affected=Count("affected", filter=Q(affected__user=user), distinct=True))
    return list(incidents)


def major_incident_join(*, incident: MajorIncident, user) -> bool:
    """Count ``user`` among the people affected; True when this call added them (a second click changes nothing)."""
    try:
        with transaction.atomic():
            MajorIncidentAffected.objects.create(incident=incident, user=user)
            _event(incident, MajorIncidentEventKind.AFFECTED, by=user)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def major_incident_open(
    *,
    title_fr: str,
    title_en: str,
    by,
    problem_type=None,
    status: str = MajorIncidentStatus.OPEN,
    error_messages: str = "",
    public_message_fr: str = "",
    public_message_en: str = "",
    opened_at=None,
) -> MajorIncident:
    """An outage many people meet: shown before the forms of ``problem_type`` (before every form when None) until
    it is resolved. Its history starts with an "opened" event by ``by``."""
    incident = MajorIncident(
        title_fr=title_fr,
        title_en=title_en,
        problem_type=problem_type,
        status=status,
        error_messages=error_messages,
        public_message_fr=public_message_fr,
        public_message_en=public_message_en,
        opened_at=opened_at or timezone.now(),
        opened_by=by,
    )
    _settle_resolved_at(incident)
    incident.save()
    _event(incident, MajorIncidentEventKind.OPENED, by=by)
    return incident


@transaction.atomic
def major_incident_update(*, major_incident: MajorIncident, by, message: str = "", **changes) -> MajorIncident:
    """Change some of EDITABLE_FIELDS (by name, as keywords). One event: "status changed" (from, to, with
    ``message`` as its body) when the status changes, else "updated" with the names of the fields whose value
    changed, else none. Resolving sets ``resolved_at``; any other status clears it.

    A status change of a public incident (confirmed, watched, resolved) is told to every linked reporter and
    affected person; resolving solves the linked open tickets, ``message`` being their resolution note
    (tickets.broadcast)."""
    unknown = changes.keys() - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"major incidents have no editable field {', '.join(sorted(unknown))}")
    stored = MajorIncident.objects.select_for_update().get(pk=major_incident.pk)
    changed = [name for name, value in changes.items() if _stored(stored, name) != _comparable(value)]
    for name, value in changes.items():
        setattr(major_incident, name, value)
    _settle_resolved_at(major_incident)
    major_incident.save(update_fields=[*changes, "resolved_at"])
    if major_incident.status != stored.status:
        data = {"from": stored.status, "to": major_incident.status}
        event = _event(major_incident, MajorIncidentEventKind.STATUS_CHANGED, by=by, data=data, body=message.strip())
        if major_incident.is_public:
            incident_broadcast(event=event, by=by)
    elif changed:
        _event(major_incident, MajorIncidentEventKind.UPDATED, by=by, data={"fields": changed})
    return major_incident


def major_incident_resolve(*, major_incident: MajorIncident, by, note: str = "") -> MajorIncident:
    """The outage is over: no longer shown, its linked open tickets solved with ``note`` as their last reply, every
    reporter and affected person told, and its history says who resolved it and when."""
    return major_incident_update(
        major_incident=major_incident, status=MajorIncidentStatus.RESOLVED, message=note, by=by
    )


class MajorIncidentRefused(Exception):
    """The action does not apply to the major incident as it is now (already resolved, not a proposal…)."""


def _locked(incident: MajorIncident, *, statuses) -> MajorIncident:
    stored = MajorIncident.objects.select_for_update().get(pk=incident.pk)
    if stored.status not in statuses:
        raise MajorIncidentRefused(stored.status)
    return stored


@transaction.atomic
def major_incident_confirm(
    *, major_incident: MajorIncident, by, title_fr: str, title_en: str, public_message_fr: str, public_message_en: str
) -> MajorIncident:
    """An agent confirms a proposal: with the titles and the public message they wrote, it is shown before the forms
    at once, and every reporter linked so far hears of it."""
    _locked(major_incident, statuses=(MajorIncidentStatus.PROPOSED,))
    return major_incident_update(
        major_incident=major_incident,
        by=by,
        status=MajorIncidentStatus.OPEN,
        title_fr=title_fr,
        title_en=title_en,
        public_message_fr=public_message_fr,
        public_message_en=public_message_en,
        opened_at=timezone.now(),
    )


@transaction.atomic
def major_incident_dismiss(*, major_incident: MajorIncident, by) -> MajorIncident:
    """Not one outage after all: the proposal's reports are unlinked (their reporters never saw it) and its
    signature is not proposed again for a correlation window."""
    incident = _locked(major_incident, statuses=(MajorIncidentStatus.PROPOSED,))
    ids = list(Ticket.objects.select_for_update().filter(major_incident=incident).values_list("pk", flat=True))
    _unlink(incident, ids, by=by)
    incident.status = MajorIncidentStatus.DISMISSED
    incident.dismissed_at = timezone.now()
    incident.save(update_fields=["status", "dismissed_at"])
    data = {"from": MajorIncidentStatus.PROPOSED, "to": MajorIncidentStatus.DISMISSED, "unlinked": len(ids)}
    _event(incident, MajorIncidentEventKind.STATUS_CHANGED, by=by, data=data)
    major_incident.status, major_incident.dismissed_at = incident.status, incident.dismissed_at
    return incident


@transaction.atomic
def major_incident_split(*, major_incident: MajorIncident, tickets, by, into_new: bool) -> MajorIncident | None:
    """Take ``tickets`` (linked to it, and visible to ``by``) out of the incident: into a new proposal of their own
    (``into_new``, returned) or simply unlinked. Either way the correlation job leaves them alone afterwards."""
    incident = _locked(major_incident, statuses=LIVE_STATUSES)
    ids = list(
        Ticket.objects.select_for_update()
        .filter(major_incident=incident, pk__in=[ticket.pk for ticket in tickets])
        .values_list("pk", flat=True)
    )
    if len(ids) != len(tickets):
        raise MajorIncidentRefused("not linked")
    references = list(Ticket.objects.filter(pk__in=ids).values_list("reference", flat=True))
    _unlink(incident, ids, by=by, references=references)
    created = None
    if into_new:
        created = MajorIncident.objects.create(
            title_fr=f"{incident.title_fr} (2)"[:200],
            title_en=f"{incident.title_en} (2)"[:200],
            problem_type=incident.problem_type,
            status=MajorIncidentStatus.PROPOSED,
            error_messages=incident.error_messages,
            opened_by=by,
        )
        _event(created, MajorIncidentEventKind.PROPOSED, by=by, data={"split_from": incident.pk})
        from tickets.correlation import tickets_link

        tickets_link(created, ids, references=references, by=by)
    data = {"count": len(ids), "tickets": sorted(references)[:100], "into": created.pk if created else None}
    _event(incident, MajorIncidentEventKind.SPLIT, by=by, data=data)
    return created


@transaction.atomic
def major_incident_post_update(*, major_incident: MajorIncident, by, message: str) -> MajorIncidentEvent:
    """One public update of an ongoing incident: on every linked ticket and e-mailed to every reporter and affected
    person, once each."""
    incident = _locked(major_incident, statuses=SHOWN_STATUSES)
    event = _event(incident, MajorIncidentEventKind.PUBLIC_UPDATE, by=by, body=message.strip())
    incident_broadcast(event=event, by=by)
    return event


def _unlink(incident: MajorIncident, ids: list[int], *, by, references=None) -> None:
    """Unlink tickets (locked) in a few statements: an internal event each, and their signature forgotten so the
    correlation job does not link them again (an agent decided)."""
    if not ids:
        return
    now = timezone.now()
    Ticket.objects.filter(pk__in=ids).update(major_incident=None, correlation_key="", updated_at=now)
    events_write_many(
        [
            TicketEvent(
                ticket_id=pk,
                kind=TicketEventKind.MAJOR_INCIDENT_LINKED,
                actor=by,
                created_at=now,
                data={"major_incident": None, "from": incident.pk},
                public=False,
            )
            for pk in ids
        ]
    )
    data = {"count": len(ids)}
    if references is not None:
        data["tickets"] = sorted(references)[:100]
    _event(incident, MajorIncidentEventKind.TICKETS_UNLINKED, by=by, data=data)


PROPOSALS_KEY = "tickets:major-incidents:proposals:"
PROPOSALS_TTL = 20


def proposals_key(user) -> str:
    """The cache key of proposal_count's answer for ``user`` (a page may read it ahead)."""
    return f"{PROPOSALS_KEY}{user.pk}"


def proposal_count(user) -> int:
    """How many proposals wait for the agent (the workspace's header says so), kept in the cache for PROPOSALS_TTL
    seconds per agent, so the queue view asks nothing more on most requests."""
    key = proposals_key(user)
    count = cache.get(key)
    if count is None:
        count = MajorIncident.objects.visible_to(user).filter(status=MajorIncidentStatus.PROPOSED).count()
        cache.set(key, count, PROPOSALS_TTL)
    return count


def _settle_resolved_at(incident: MajorIncident) -> None:
    if incident.status == MajorIncidentStatus.RESOLVED and incident.resolved_at is None:
        incident.resolved_at = timezone.now()
    elif incident.status != MajorIncidentStatus.RESOLVED:
        incident.resolved_at = None


def _stored(incident: MajorIncident, name: str):
    return getattr(incident, MajorIncident._meta.get_field(name).attname)


def _comparable(value):
    return value.pk if isinstance(value, models.Model) else value


def _event(incident: MajorIncident, kind: str, *, by, data=None, body: str = "") -> MajorIncidentEvent:
    return MajorIncidentEvent.objects.create(incident=incident, kind=kind, actor=by, data=data or {}, body=body)
