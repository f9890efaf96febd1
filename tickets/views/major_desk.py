"""Major incidents in the agents' workspace: the list (proposals first), one incident's page with its linked
tickets, and its actions: confirm, split, dismiss, post an update, change the status, resolve."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.identity.decorators import agent_required
from tickets.major_forms import ConfirmForm, ResolveForm, SplitForm, StatusForm, UpdateForm
from tickets.major_incidents import (
    MajorIncidentRefused,
    major_incident_confirm,
    major_incident_dismiss,
    major_incident_post_update,
    major_incident_resolve,
    major_incident_split,
    major_incident_update,
    proposal_count,
)
from tickets.models import MajorIncident, MajorIncidentStatus, Ticket
from tickets.models.major import LIVE_STATUSES, SHOWN_STATUSES
from tickets.selectors import incidents_for

LINKED_PAGE = 50
HISTORY = 30
CLOSED_SHOWN = 20


@never_cache
@require_GET
@agent_required
def major_list_view(request):
    incidents = incidents_for(request.user)
    live = list(incidents.filter(status__in=LIVE_STATUSES))
    closed = list(incidents.exclude(status__in=LIVE_STATUSES)[:CLOSED_SHOWN])
    return render(
        request,
        "tickets/desk/major_list.html",
        {
            "proposed": [incident for incident in live if incident.status == MajorIncidentStatus.PROPOSED],
            "ongoing": [incident for incident in live if incident.status != MajorIncidentStatus.PROPOSED],
            "closed": closed,
            "proposals": proposal_count(request.user),
        },
    )


def _incident(request, pk) -> MajorIncident:
    return get_object_or_404(incidents_for(request.user), pk=pk)


def _page(request, incident, *, forms=None, status=200):
    linked = (
        Ticket.objects.visible_to(request.user)
        .filter(major_incident=incident)
        .select_related("requester", "queue", "assignee")
        .order_by("created_at", "pk")
    )
    page = Paginator(linked, LINKED_PAGE).get_page(request.GET.get("page"))
    forms = forms or {}
    context = {
        "incident": incident,
        "linked": page,
        "events": list(incident.events.select_related("actor").order_by("-created_at", "-pk")[:HISTORY]),
        "confirm_form": forms.get("confirm")
        or ConfirmForm(
            initial={
                "title_fr": incident.title_fr,
                "title_en": incident.title_en,
                "public_message_fr": incident.public_message_fr,
                "public_message_en": incident.public_message_en,
            }
        ),
        "split_form": forms.get("split") or SplitForm(),
        "update_form": forms.get("update") or UpdateForm(),
        "status_form": forms.get("status") or StatusForm(initial={"status": incident.status}),
        "resolve_form": forms.get("resolve") or ResolveForm(),
        "is_proposed": incident.status == MajorIncidentStatus.PROPOSED,
        "is_shown": incident.status in SHOWN_STATUSES,
        "is_live": incident.is_live,
        "proposals": proposal_count(request.user),
    }
    return render(request, "tickets/desk/major_detail.html", context, status=status)


@never_cache
@require_GET
@agent_required
def major_detail_view(request, pk):
    return _page(request, _incident(request, pk))


def _refused(request, incident):
    messages.error(request, gettext("This action no longer applies: the major incident changed meanwhile."))
    return redirect("desk:major", pk=incident.pk)


@never_cache
@require_POST
@agent_required
def major_confirm_view(request, pk):
    incident = _incident(request, pk)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _page(request, incident, forms={"confirm": form}, status=400)
    try:
        major_incident_confirm(major_incident=incident, by=request.user, **form.cleaned_data)
    except MajorIncidentRefused:
        return _refused(request, incident)
    messages.success(request, gettext("The major incident is confirmed: it is shown before the forms."))
    return redirect("desk:major", pk=incident.pk)


@never_cache
@require_POST
@agent_required
def major_split_view(request, pk):
    incident = _incident(request, pk)
    form = SplitForm(request.POST)
    if not form.is_valid():
        return _page(request, incident, forms={"split": form}, status=400)
    references = form.cleaned_data["tickets"]
    tickets = list(
        Ticket.objects.visible_to(request.user).filter(major_incident=incident, reference__in=references).only("pk")
    )
    if len(tickets) != len(references):
        form.add_error("tickets", gettext("Some ticked incidents are not linked to this one, or not in your queues."))
        return _page(request, incident, forms={"split": form}, status=400)
    try:
        created = major_incident_split(
            major_incident=incident, tickets=tickets, by=request.user, into_new=form.cleaned_data["into"] == "new"
        )
    except MajorIncidentRefused:
        return _refused(request, incident)
    count = len(tickets)
    if created is not None:
        messages.success(
            request,
            ngettext(
                "%(count)d incident moved into a new proposal.", "%(count)d incidents moved into a new proposal.", count
            )
            % {"count": count},
        )
        return redirect("desk:major", pk=created.pk)
    messages.success(
        request, ngettext("%(count)d incident unlinked.", "%(count)d incidents unlinked.", count) % {"count": count}
    )
    return redirect("desk:major", pk=incident.pk)


@never_cache
@require_POST
@agent_required
def major_dismiss_view(request, pk):
    incident = _incident(request, pk)
    try:
        major_incident_dismiss(major_incident=incident, by=request.user)
    except MajorIncidentRefused:
        return _refused(request, incident)
    messages.success(request, gettext("The proposal is dismissed and its incidents unlinked."))
    return redirect("desk:majors")


@never_cache
@require_POST
@agent_required
def major_update_view(request, pk):
    incident = _incident(request, pk)
    form = UpdateForm(request.POST)
    if not form.is_valid():
        return _page(request, incident, forms={"update": form}, status=400)
    try:
        major_incident_post_update(major_incident=incident, by=request.user, message=form.cleaned_data["message"])
    except MajorIncidentRefused:
        return _refused(request, incident)
    messages.success(request, gettext("The update was sent to everyone concerned."))
    return redirect("desk:major", pk=incident.pk)


@never_cache
@require_POST
@agent_required
def major_status_view(request, pk):
    incident = _incident(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _page(request, incident, forms={"status": form}, status=400)
    if incident.status not in SHOWN_STATUSES:
        return _refused(request, incident)
    major_incident_update(
        major_incident=incident,
        by=request.user,
        status=form.cleaned_data["status"],
        message=form.cleaned_data["message"],
    )
    messages.success(request, gettext("The status is changed."))
    return redirect("desk:major", pk=incident.pk)


@never_cache
@require_POST
@agent_required
def major_resolve_view(request, pk):
    incident = _incident(request, pk)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _page(request, incident, forms={"resolve": form}, status=400)
    if incident.status not in SHOWN_STATUSES:
        return _refused(request, incident)
    major_incident_resolve(major_incident=incident, by=request.user, note=form.cleaned_data["note"])
    messages.success(request, gettext("The major incident is resolved, and so are its linked incidents."))
    return redirect("desk:major", pk=incident.pk)
