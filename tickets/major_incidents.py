"""Known ongoing incidents: what the portal shows before the forms, and "I'm affected too"."""

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tickets.models import MajorIncident, MajorIncidentAffected, MajorIncidentEvent, MajorIncidentEventKind

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
            MajorIncidentEvent.objects.create(incident=incident, kind=MajorIncidentEventKind.AFFECTED, actor=user)
    except IntegrityError:
        return False
    return True


def major_incident_record(*, incident: MajorIncident, by, created: bool, changed: list[str], previous_status=None):
    """The event of an agent's change in the admin: opened, status changed, or other fields updated."""
    if created:
        kind, data = MajorIncidentEventKind.OPENED, {}
    elif previous_status is not None and previous_status != incident.status:
        kind, data = MajorIncidentEventKind.STATUS_CHANGED, {"from": previous_status, "to": incident.status}
    elif changed:
        kind, data = MajorIncidentEventKind.UPDATED, {"fields": changed}
    else:
        return None
    return MajorIncidentEvent.objects.create(incident=incident, kind=kind, actor=by, data=data)
