"""The agents' workspace: the queue view and the actions on its rows (take, assign)."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal.identity.decorators import agent_required
from portal.web.cache import read_ahead
from tickets import desk_cache
from tickets.access import ticket_for
from tickets.assignment import AssignmentRefused, assignee_named, ticket_assign, ticket_take
from tickets.bulk import BulkActionForm, BulkRefused, tickets_bulk_act
from tickets.export import csv_rows
from tickets.major_incidents import proposal_count, proposals_key
from tickets.saved_views import SavedViewForm, saved_view_forget, saved_view_keep
from tickets.sla import countdowns_attach
from tickets.views.queue_rows import queue_cards, queue_rows
from tickets.worklist import COUNTS_KEY, WorklistFilter, cursor_decode, queue_counts, sort_fields, worklist_page


@never_cache
@require_GET
@agent_required
def queue_view(request):
    return _queue_page(request, request.GET)


def _queue_page(request, query, *, bulk_form=None, view_form=None, status=200):
    """The queue view for the filters in ``query``; a bulk action that failed is shown again with its errors and
    its ticked incidents.

    The page is kept per agent, language and query (Generation.kept_page): each request writes only its rows, the
    queue counts, the next page's link and its CSRF token into it. A page showing messages, or a form with its
    errors, is written whole."""
    # What the page reads of the shared cache, in one round trip.
    read_ahead(desk_cache.CATALOGUE.key, proposals_key(request.user), COUNTS_KEY)
    form = WorklistFilter(query or None, user=request.user)
    if form.is_bound and not form.is_valid():
        status = 400
    cursor = query.get("after", "")
    if cursor and cursor_decode(cursor, sort=form.ordering) is None:
        messages.warning(request, gettext("That page link is not valid any more: here is the first page."))
        cursor = ""
    page = worklist_page(
        form.filtered(), sort=form.ordering, size=form.page_size, cursor=cursor, rank=form.rank, known=form.known
    )
    countdowns_attach(page.rows)
    here = _listed(query.urlencode())
    ticked = set(bulk_form.data.getlist("tickets")) if bulk_form is not None else set()
    following = query.copy()
    following["after"] = page.next_cursor or ""
    unpaged = _without(query, "after")
    proposals = proposal_count(request.user)
    csrf_token = get_token(request)

    def context() -> dict:  # what the page shows besides its slots, needed only when it is written
        return {
            "form": form,
            "page": page,
            "first_query": unpaged if cursor else "",
            "export_query": unpaged,
            "here": here,
            "filter_fields": _kept_form(
                ("filters", request.user.pk, unpaged), "tickets/desk/filter_fields.html", {"form": form}
            ),
            "bulk_fields": _kept_form(
                None if bulk_form is not None else ("bulk", request.user.pk),
                "tickets/desk/bulk_fields.html",
                {"bulk_form": bulk_form or BulkActionForm(), "colleagues": form.colleagues},
            ),
            "saved_views": form.saved_views,
            "view_form": view_form or SavedViewForm(initial={"query": unpaged}, user=request.user),
            "proposals": proposals,
        }

    slots = {
        "rows": queue_rows(page.rows, here=here, csrf_token=csrf_token, ticked=ticked),
        "queue_cards": queue_cards(queue_counts(form.queues), current=form.selected_queue),
        "next_query": following.urlencode() if page.next_cursor else "",
        "csrf_token": csrf_token,
    }
    whole = bulk_form is not None or view_form is not None or len(messages.get_messages(request))
    # The raw query string: the language switch repeats it as it came.
    raw_query = request.META.get("QUERY_STRING", "")
    key = None if whole else ("queue", request.user.pk, get_language(), raw_query, proposals, bool(page.rows))
    markup = desk_cache.CATALOGUE.kept_page(
        key, request=request, template="tickets/desk/queue.html", context=context, slots=slots, store=desk_cache.PAGES
    )
    return HttpResponse(markup, status=status)


@never_cache
@require_POST
@agent_required
def bulk_view(request):
    """One action on the ticked incidents; back to the same filtered list."""
    back = _local(request, request.POST.get("next", "")) or reverse("desk:queue")
    query = QueryDict(urlsplit(back).query)
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        return _queue_page(request, query, bulk_form=form, status=400)
    data = form.cleaned_data
    try:
        count = tickets_bulk_act(references=data["tickets"], action=data["action"], by=request.user, values=data)
    except BulkRefused as refused:
        messages.error(request, str(refused))
        return _queue_page(request, query, bulk_form=form, status=409)
    messages.success(
        request,
        ngettext("%(count)d incident changed.", "%(count)d incidents changed.", count) % {"count": count},
    )
    return redirect(back)


@never_cache
@require_POST
@agent_required
def view_save_view(request):
    """Keep the filters shown under a name; back to the same list, which now has its link."""
    form = SavedViewForm(request.POST, user=request.user)
    query = QueryDict(request.POST.get("query", ""))
    if not form.is_valid():
        return _queue_page(request, query, view_form=form, status=400)
    saved_view_keep(user=request.user, name=form.cleaned_data["name"], query=form.cleaned_data["query"])
    messages.success(request, gettext("The view “%(name)s” is saved.") % {"name": form.cleaned_data["name"]})
    return redirect(_listed(form.cleaned_data["query"]))


@never_cache
@require_POST
@agent_required
def view_delete_view(request, pk):
    if not saved_view_forget(user=request.user, pk=pk):
        raise Http404
    messages.success(request, gettext("The saved view is deleted."))
    return redirect(_local(request, request.POST.get("next", "")) or reverse("desk:queue"))


def _kept_form(key, template: str, context: dict) -> str:
    """A form's fields rendered from ``template``; kept under ``key`` and the language (tickets.desk_cache) unless
    ``key`` is None."""
    if key is None:
        return render_to_string(template, context)
    return desk_cache.CATALOGUE.kept(
        (*key, get_language()), lambda: render_to_string(template, context), store=desk_cache.FORMS
    )


def _listed(query: str) -> str:
    return f"{reverse('desk:queue')}?{query}" if query else reverse("desk:queue")


@never_cache
@require_GET
@agent_required
def export_view(request):
    """Every ticket the filters match, as CSV, streamed (tickets.export)."""
    form = WorklistFilter(request.GET or None, user=request.user)
    rows = csv_rows(form.filtered(), ordering=sort_fields(form.ordering))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="incidents-{stamp}.csv"'
    return response


def _without(query, name: str) -> str:
    copy = query.copy()
    copy.pop(name, None)
    return copy.urlencode()


def _local(request, target: str) -> str:
    """``target`` if it is a path on this site, else ""."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _back(request, ticket) -> str:
    return _local(request, request.POST.get("next", "")) or ticket.get_absolute_url()


@never_cache
@require_POST
@agent_required
def take_view(request, reference):
    ticket = ticket_for(request.user, reference)
    try:
        ticket_take(ticket=ticket, by=request.user)
    except AssignmentRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, gettext("You took %(reference)s.") % {"reference": ticket.reference})
    return redirect(_back(request, ticket))


@never_cache
@require_POST
@agent_required
def assign_view(request, reference):
    ticket = ticket_for(request.user, reference)
    try:
        to = assignee_named(request.POST.get("assignee", ""))
        ticket_assign(ticket=ticket, to=to, by=request.user)
    except AssignmentRefused as refused:
        messages.error(request, str(refused))
    else:
        if to is None:
            messages.success(request, gettext("%(reference)s is back in its queue.") % {"reference": ticket.reference})
        else:
            messages.success(
                request,
                gettext("%(reference)s is assigned to %(name)s.")
                % {"reference": ticket.reference, "name": to.get_full_name() or to.username},
            )
    return redirect(_back(request, ticket))
