"""An agent's actions on a ticket's page besides replying and assigning: status, priority, "solved by this article"
and merging into another incident. Only agents of the ticket's queue (or administrators) act; anyone else gets the
404 of a ticket they cannot see, a requester the 403 of the agents' workspace."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kb.selectors import linkable_article, linkable_articles
from portal.identity.decorators import agent_required
from portal.web.language import content_language
from tickets.access import ticket_to_work_on
from tickets.desk_forms import MergeForm, PriorityForm, SolvedByArticleForm, StatusForm
from tickets.merging import MergeRefused, merge_target, ticket_merge
from tickets.models import Priority, TicketStatus
from tickets.services import TicketActionRefused, ticket_priority_change, ticket_status_change
from tickets.solutions import ticket_solve_with_article
from tickets.views.requester import ticket_page


@never_cache
@require_POST
@agent_required
def status_view(request, reference):
    ticket = ticket_to_work_on(request.user, reference)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose one of the statuses offered."))
        return ticket_page(request, ticket, status=400)
    ticket_status_change(ticket=ticket, to=form.cleaned_data["status"], by=request.user)
    label = TicketStatus(form.cleaned_data["status"]).label
    messages.success(request, gettext("The status is now “%(status)s”.") % {"status": label})
    return redirect(ticket)


@never_cache
@require_POST
@agent_required
def priority_view(request, reference):
    ticket = ticket_to_work_on(request.user, reference)
    form = PriorityForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose one of the priorities offered."))
        return ticket_page(request, ticket, status=400)
    ticket_priority_change(ticket=ticket, priority=form.cleaned_data["priority"], by=request.user)
    label = Priority(form.cleaned_data["priority"]).label
    messages.success(request, gettext("The priority is now “%(priority)s”.") % {"priority": label})
    return redirect(ticket)


@never_cache
@require_POST
@agent_required
def solved_by_article_view(request, reference):
    ticket = ticket_to_work_on(request.user, reference)
    language = content_language()
    form = SolvedByArticleForm(request.POST, articles=linkable_articles(language=language))
    article = linkable_article(slug=form.cleaned_data["article"], language=language) if form.is_valid() else None
    if article is None:
        if form.is_valid():
            form.add_error("article", gettext("Choose the article that answers the incident."))
        return ticket_page(request, ticket, forms={"solved": form}, status=400)
    try:
        ticket_solve_with_article(ticket=ticket, article=article, by=request.user, body=form.cleaned_data["body"])
    except TicketActionRefused:
        messages.error(request, gettext("This incident is closed: reopen it, or file a new one."))
        return redirect(ticket)
    messages.success(request, gettext("The incident is solved: the requester received the article's link."))
    return redirect(ticket.get_absolute_url() + "#timeline")


@never_cache
@require_POST
@agent_required
def merge_view(request, reference):
    """Merge this incident into the one named; a refusal is said beside the field, and nothing changes."""
    ticket = ticket_to_work_on(request.user, reference)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return ticket_page(request, ticket, forms={"merge": form}, status=400)
    try:
        target = merge_target(reference=form.cleaned_data["into"], by=request.user)
        ticket = ticket_merge(ticket=ticket, into=target, by=request.user)
    except MergeRefused as refused:
        if refused.reason == "done":  # closed meanwhile: the page no longer shows the merge form
            messages.error(request, str(refused))
            return redirect(ticket)
        form.add_error("into", str(refused))
        return ticket_page(request, ticket, forms={"merge": form}, status=404 if refused.reason == "unknown" else 409)
    messages.success(
        request,
        gettext("%(reference)s is merged into %(into)s and closed; its requester was told.")
        % {"reference": ticket.reference, "into": ticket.merged_into.reference},
    )
    return redirect(ticket.merged_into)
