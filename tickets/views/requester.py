"""The requester's side of their incidents: the list, the incident page with its timeline, reply, close, reopen,
and the download of attachments. Agents may open every incident page (their triage pages come later)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.identity.access import is_verified_agent
from portal.web.ratelimit import rate_limited
from tickets.access import ticket_for
from tickets.assignment import assignable_agents, may_work_on
from tickets.fields.prefetch import problem_type_rows
from tickets.fields.vocabulary import KINDS
from tickets.forms import ReplyForm
from tickets.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    Attachment,
    MajorIncidentStatus,
    PhishingReport,
    Priority,
    TicketEventKind,
    TicketStatus,
)
from tickets.selectors import affected_incidents, campaign_counts, requester_tickets
from tickets.services import TicketActionRefused, ticket_close, ticket_reopen, ticket_reply
from tickets.uploads import attachment_response

PAGE_SIZE = 20


def _date_shown(value) -> str:
    """The message's Date header, in the portal's time zone and format (as stored when unreadable)."""
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return str(value or "")
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "DATETIME_FORMAT")


def warning_texts(summary: dict) -> list[str]:
    """A stored report's warnings in the reader's language (the stored English text if the code is unknown)."""
    from tickets.phishing import Finding

    texts = []
    for warning in summary.get("warnings") or []:
        if not isinstance(warning, dict):
            texts.append(str(warning))
            continue
        try:
            params = tuple((str(key), str(value)) for key, value in (warning.get("params") or {}).items())
            texts.append(Finding(warning.get("code", ""), params).message)
        except (KeyError, TypeError, ValueError):
            texts.append(str(warning.get("message", "")))
    return texts


@never_cache
@require_GET
@login_required
def my_tickets_view(request):
    """Open and closed incidents, each list paginated: the same queries for 5 incidents as for 500."""
    mine = requester_tickets(request.user)
    open_page = Paginator(mine.filter(status__in=OPEN_STATUSES), PAGE_SIZE).get_page(request.GET.get("ouverts"))
    done_page = Paginator(mine.filter(status__in=DONE_STATUSES), PAGE_SIZE).get_page(request.GET.get("clos"))
    return render(
        request,
        "tickets/my_tickets.html",
        {"open_page": open_page, "done_page": done_page, "affected": affected_incidents(request.user)},
    )


def _detail_context(request, ticket, *, reply_form=None) -> dict:
    is_agent = is_verified_agent(request.user)
    events = (
        ticket.events.visible_to(request.user)
        .select_related("actor")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
    )
    rows = problem_type_rows(ticket.problem_type)
    answers = []
    for row in rows:
        kind = KINDS[row.key]
        value = kind.display(ticket.data or {})
        if value:
            answers.append({"label": kind.label, "value": value})
    report = PhishingReport.objects.filter(ticket=ticket).first()
    if report is not None:
        report.warning_texts = warning_texts(report.summary)
        report.date_shown = _date_shown(report.summary.get("date"))
    return {
        "ticket": ticket,
        "events": [_described(event, ticket=ticket, viewer=request.user) for event in events],
        "answers": answers,
        "report": report,
        "campaign": campaign_counts(report) if report else None,
        "reply_form": reply_form or ReplyForm(),
        "is_requester": ticket.requester_id == request.user.pk,
        "is_agent": is_agent,
        "assignable": list(assignable_agents(ticket)) if is_agent and may_work_on(request.user, ticket) else [],
        "can_reopen": ticket.can_reopen(),
    }


def _described(event, *, ticket, viewer):
    """Who did it and what it was, in words, for the timeline. Requesters see "Helpdesk" for any agent."""
    if event.actor_id is None:
        event.who = gettext("Guichet")
    elif event.actor_id == ticket.requester_id:
        event.who = gettext("You") if viewer.pk == ticket.requester_id else event.actor.get_full_name()
    else:
        event.who = event.actor.get_full_name() if is_verified_agent(viewer) else gettext("Helpdesk")
    data = event.data or {}
    if event.kind == TicketEventKind.STATUS_CHANGED and data.get("to") in TicketStatus.values:
        label = TicketStatus(data["to"]).label
        if data.get("reopened"):
            event.summary = gettext("reopened the incident")
        else:
            event.summary = gettext("status changed to “%(status)s”") % {"status": label}
    elif event.kind == TicketEventKind.PRIORITY_CHANGED and data.get("to") in Priority.values:
        event.summary = gettext("priority changed to “%(priority)s”") % {"priority": Priority(data["to"]).label}
    elif event.kind == TicketEventKind.ASSIGNED:
        if data.get("to"):
            event.summary = gettext("assigned the incident to %(username)s") % {"username": data["to"]}
        else:
            event.summary = gettext("put the incident back in its queue")
    elif event.kind == TicketEventKind.MAJOR_INCIDENT_NEWS and data.get("status") in MajorIncidentStatus.values:
        event.summary = gettext("news of the major incident (“%(status)s”)") % {
            "status": MajorIncidentStatus(data["status"]).label
        }
    elif event.kind == TicketEventKind.ATTACHMENT_ADDED:
        event.summary = ngettext("added a file", "added %(count)d files", len(data.get("names", []))) % {
            "count": len(data.get("names", []))
        }
    else:
        event.summary = event.get_kind_display()
    return event


@never_cache
@require_GET
@login_required
def detail_view(request, reference):
    ticket = ticket_for(request.user, reference)
    return render(request, "tickets/detail.html", _detail_context(request, ticket))


@never_cache
@require_POST
@login_required
@rate_limited("reply")
def reply_view(request, reference):
    ticket = ticket_for(request.user, reference)
    if not ticket.is_open:
        messages.error(request, gettext("This incident is closed: reopen it, or file a new one."))
        return redirect(ticket)
    form = ReplyForm(request.POST, request.FILES, already=ticket.attachments.count())
    if not form.is_valid():
        return render(request, "tickets/detail.html", _detail_context(request, ticket, reply_form=form), status=400)
    try:
        ticket_reply(ticket=ticket, by=request.user, body=form.cleaned_data["body"], uploads=form.uploads)
    except TicketActionRefused:
        messages.error(request, gettext("This incident is closed: reopen it, or file a new one."))
        return redirect(ticket)
    messages.success(request, gettext("Your message was added to the incident."))
    return redirect(ticket.get_absolute_url() + "#timeline")


def _requesters_action(request, reference, action, *, done: str, refused: str, refused_level=messages.ERROR):
    """An action only the incident's requester takes ("my problem is solved", "it is back"): an agent reading
    someone else's incident is refused (403); anyone else gets ticket_for's 404. The service's refusal (the ticket
    is no longer in a state for it) is said with ``refused``; either way, back to the incident."""
    ticket = ticket_for(request.user, reference)
    if ticket.requester_id != request.user.pk:
        raise PermissionDenied
    try:
        action(ticket=ticket, by=request.user)
    except TicketActionRefused:
        messages.add_message(request, refused_level, refused)
    else:
        messages.success(request, done)
    return redirect(ticket)


@require_POST
@login_required
def close_view(request, reference):
    return _requesters_action(
        request,
        reference,
        ticket_close,
        done=gettext("The incident is closed as solved. You can reopen it if the problem returns."),
        refused=gettext("This incident was already closed."),
        refused_level=messages.INFO,
    )


@require_POST
@login_required
def reopen_view(request, reference):
    return _requesters_action(
        request,
        reference,
        ticket_reopen,
        done=gettext("The incident is reopened and back with the helpdesk."),
        refused=gettext("This incident can no longer be reopened: file a new one, it will be linked."),
    )


@never_cache
@require_GET
@login_required
def attachment_view(request, reference, pk):
    """The file, after the same access check as the incident page; always a download, never shown as a page."""
    ticket = ticket_for(request.user, reference)
    attachment = get_object_or_404(Attachment.objects.visible_to(request.user).filter(ticket=ticket), pk=pk)
    return attachment_response(
        file=attachment.file.open("rb"),
        checked_name=attachment.original_name,
        content_type=attachment.content_type,
        inline=False,
    )
