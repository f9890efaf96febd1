"""The incident page with its timeline, shared by the requester and the agents, and the requester's side of their
incidents: the list, reply, close, reopen, and the download of attachments.

An agent of the ticket's queue also gets their panels and tools on the page (tickets.ticket_panels): the answers at
a glance, the requester's other incidents, the identifier's security events, reply or internal note with canned
answers; their other actions post to tickets.views.ticket_actions."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.identity.access import is_verified_agent
from portal.web.ratelimit import rate_limited
from tickets.access import ticket_for
from tickets.assignment import assignable_agents, may_work_on
from tickets.desk_forms import NOTE, REPLY, AgentReplyForm, MergeForm, PriorityForm, SolvedByArticleForm, StatusForm
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
from tickets.services import TicketActionRefused, ticket_close, ticket_note, ticket_reopen, ticket_reply
from tickets.sla import ticket_countdown
from tickets.solutions import canned_answers_for, canned_text, requester_language
from tickets.ticket_panels import agent_panels
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


def _detail_context(request, ticket, *, reply_form=None, forms=None) -> dict:
    is_agent = is_verified_agent(request.user)
    works_on = is_agent and may_work_on(request.user, ticket)
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
    context = {
        "ticket": ticket,
        "events": [_described(event, ticket=ticket, viewer=request.user) for event in events],
        "answers": answers,
        "report": report,
        "campaign": campaign_counts(report) if report else None,
        "reply_form": reply_form or ReplyForm(),
        "is_requester": ticket.requester_id == request.user.pk,
        "is_agent": is_agent,
        "works_on": works_on,
        "assignable": list(assignable_agents(ticket)) if works_on else [],
        "can_reopen": ticket.can_reopen(),
    }
    if works_on:
        context.update(agent_panels(ticket, viewer=request.user))
        context["countdown"] = ticket_countdown(ticket)
        forms = forms or {}
        context["reply_form"] = reply_form or AgentReplyForm(canned_answers=context["canned_answers"])
        context["status_form"] = StatusForm(initial={"status": ticket.status})
        context["priority_form"] = PriorityForm(initial={"priority": ticket.priority})
        context["merge_form"] = forms.get("merge") or MergeForm()
        context["solved_form"] = forms.get("solved") or SolvedByArticleForm(
            articles=context["linkable_articles"], initial={"article": forms.get("article_slug", "")}
        )
    return context


def ticket_page(request, ticket, *, status=200, reply_form=None, forms=None):
    """The incident page, with a form shown again (its errors, or the text an agent inserted)."""
    context = _detail_context(request, ticket, reply_form=reply_form, forms=forms)
    return render(request, "tickets/detail.html", context, status=status)


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
    elif event.kind == TicketEventKind.MERGED and data.get("into"):
        event.summary = gettext("merged this incident into %(reference)s") % {"reference": data["into"]}
        if is_verified_agent(viewer) or data.get("same_requester"):
            event.link, event.link_text = reverse("tickets:detail", kwargs={"reference": data["into"]}), data["into"]
    elif event.kind == TicketEventKind.MERGED_IN and data.get("merged"):
        event.summary = gettext("merged %(reference)s into this incident") % {"reference": data["merged"]}
        event.link, event.link_text = reverse("tickets:detail", kwargs={"reference": data["merged"]}), data["merged"]
    elif event.kind == TicketEventKind.SOLVED_BY_ARTICLE and data.get("title"):
        event.summary = gettext("marked the incident solved by the article “%(title)s”") % {"title": data["title"]}
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
    return ticket_page(request, ticket_for(request.user, reference))


@never_cache
@require_POST
@login_required
@rate_limited("reply")
def reply_view(request, reference):
    """A message or files from the requester; from an agent of the ticket's queue, a public reply or an internal
    note, or (the "insert" button, without JavaScript) the page again with a canned answer added to the text."""
    ticket = ticket_for(request.user, reference)
    if not ticket.is_open:
        messages.error(request, gettext("This incident is closed: reopen it, or file a new one."))
        return redirect(ticket)
    works_on = is_verified_agent(request.user) and may_work_on(request.user, ticket)
    if works_on and "insert" in request.POST:
        return _canned_inserted(request, ticket)
    already = ticket.attachments.count()
    if works_on:
        form = AgentReplyForm(request.POST, request.FILES, already=already, canned_answers=canned_answers_for(ticket))
    else:
        form = ReplyForm(request.POST, request.FILES, already=already)
    if not form.is_valid():
        return ticket_page(request, ticket, reply_form=form, status=400)
    write = ticket_note if works_on and form.is_note else ticket_reply
    try:
        write(ticket=ticket, by=request.user, body=form.cleaned_data["body"], uploads=form.uploads)
    except TicketActionRefused:
        messages.error(request, gettext("This incident is closed: reopen it, or file a new one."))
        return redirect(ticket)
    if write is ticket_note:
        messages.success(request, gettext("Your internal note was added: the requester does not see it."))
    else:
        messages.success(request, gettext("Your message was added to the incident."))
    return redirect(ticket.get_absolute_url() + "#timeline")


def _canned_inserted(request, ticket):
    """The page again, the chosen canned answer (in the requester's language, with its article's address) added
    after what the agent had typed; the answer's article chosen in "solved by this article". Nothing is saved."""
    answers = canned_answers_for(ticket)
    chosen = next((answer for answer in answers if str(answer.pk) == request.POST.get("canned", "")), None)
    typed = request.POST.get("body", "")[:10_000].strip()
    visibility = request.POST.get("visibility") if request.POST.get("visibility") in (NOTE, REPLY) else REPLY
    if chosen is None:
        messages.error(request, gettext("Choose a canned answer to insert."))
        body = typed
    else:
        body = "\n\n".join(part for part in (typed, canned_text(chosen, language=requester_language(ticket))) if part)
    form = AgentReplyForm(canned_answers=answers, initial={"body": body, "visibility": visibility})
    if chosen is not None:
        form.fields["canned"].initial = str(chosen.pk)
    forms = {}
    if chosen is not None and chosen.article_id:
        forms["article_slug"] = chosen.article.slug
    return ticket_page(request, ticket, reply_form=form, forms=forms)


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
