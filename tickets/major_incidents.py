"""Known ongoing incidents: what the portal shows before the forms, "I'm affected too", and their lifecycle.

Opening, updating and resolving are services that write a MajorIncidentEvent in the same transaction as the change:
the admin calls them, and so will a job that correlates incidents, so the history is the same whoever acts.
"""

from django.core.cache import cache
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from tickets.models import (
    MajorIncident,
    MajorIncidentAffected,
    MajorIncidentEvent,
    MajorIncidentEventKind,
    MajorIncidentStatus,
)

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
def major_incident_update(*, major_incident: MajorIncident, by, **changes) -> MajorIncident:
    """Change some of EDITABLE_FIELDS (by name, as keywords). One event: "status changed" (from, to) when the status
    changes, else "updated" with the names of the fields whose value changed, else none. Resolving sets
    ``resolved_at``; any other status clears it."""
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
        _event(major_incident, MajorIncidentEventKind.STATUS_CHANGED, by=by, data=data)
    elif changed:
        _event(major_incident, MajorIncidentEventKind.UPDATED, by=by, data={"fields": changed})
    return major_incident


def major_incident_resolve(*, major_incident: MajorIncident, by) -> MajorIncident:
    """The outage is over: no longer shown, and its history says who resolved it and when."""
    return major_incident_update(major_incident=major_incident, status=MajorIncidentStatus.RESOLVED, by=by)


def _settle_resolved_at(incident: MajorIncident) -> None:
    if incident.status == MajorIncidentStatus.RESOLVED and incident.resolved_at is None:
        incident.resolved_at = timezone.now()
    elif incident.status != MajorIncidentStatus.RESOLVED:
        incident.resolved_at = None


def _stored(incident: MajorIncident, name: str):
    return getattr(incident, MajorIncident._meta.get_field(name).attname)


def _comparable(value):
    return value.pk if isinstance(value, models.Model) else value


def _event(incident: MajorIncident, kind: str, *, by, data=None) -> MajorIncidentEvent:
    return MajorIncidentEvent.objects.create(incident=incident, kind=kind, actor=by, data=data or {})
