"""Filing an incident: choosing the problem type, the guided form, "this solved it" and "I'm affected too".

Everything works without JavaScript: the server pre-fills what it can (account, browser from the User-Agent,
current time), "Look for answers" shows the knowledge-base suggestions for what was typed, and "this solved it" is
a plain submit button. static/js/incident-form.js adds live suggestions, the browser's time zone and the current
local time on top.
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kb.search import suggest_articles
from kb.selectors import article_for_reader
from portal.web.language import content_language
from portal.web.next_page import next_target
from portal.web.ratelimit import limited, rate_limited, too_many_requests
from tickets.fields.keys import FieldKey
from tickets.fields.prefetch import with_fields
from tickets.fields.vocabulary import DEVICE_SUGGESTIONS
from tickets.forms import IncidentForm, fill_context
from tickets.major_incidents import major_incident_join, shown_major_incidents
from tickets.models import MajorIncident
from tickets.selectors import active_problem_types, known_error_messages
from tickets.services import deflection_record, ticket_create
from tickets.submission import TicketSource

SUGGESTIONS = 5
SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,80}$")
# What the server-side suggestions read: the words a person uses to describe the problem.
SUGGESTION_SOURCES = (FieldKey.TITLE, FieldKey.ERROR_MESSAGE)


@never_cache
@require_GET
@login_required
def choose_view(request):
    return render(
        request,
        "tickets/choose.html",
        {"problem_types": active_problem_types(), "major_incidents": shown_major_incidents(user=request.user)},
    )


def _problem_type(slug: str):
    return get_object_or_404(with_fields(active_problem_types().select_related("queue")), slug=slug)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def file_view(request, slug):
    problem_type = _problem_type(slug)
    major_incidents = shown_major_incidents(problem_type=problem_type, user=request.user)
    language = content_language()
    asks_error = any(row.key == FieldKey.ERROR_MESSAGE for row in problem_type.prefetched_fields)
    known_errors = (
        known_error_messages(
            user=request.user,
            language=language,
            extra=[message for incident in major_incidents for message in incident.error_list],
        )
        if asks_error
        else []
    )
    context = fill_context(request, known_errors=known_errors)
    suggestions = None
    status = 200
    if request.method == "POST" and "suggest" not in request.POST:
        form = IncidentForm(request.POST, request.FILES, problem_type=problem_type, context=context)
        if form.is_valid():
            # Counted when an incident would really be filed: correcting a refused form costs nothing.
            wait = limited(request, "filing")
            if wait is not None:
                return too_many_requests(request, wait)
            ticket = ticket_create(
                requester=request.user,
                problem_type=problem_type,
                submission=form.submission,
                source=TicketSource.PORTAL,
            )
            messages.success(
                request,
                gettext("Your incident was filed with the reference %(reference)s. The helpdesk will answer here.")
                % {"reference": ticket.reference},
            )
            return redirect(ticket)
        status = 400
        suggestions = _suggestions(request, language)
    elif request.method == "POST":
        # "Look for answers" (the no-JavaScript way to the suggestions): keep what was typed, check nothing yet.
        wait = limited(request, "search")
        if wait is not None:
            return too_many_requests(request, wait)
        form = IncidentForm(initial=_typed(request.POST), problem_type=problem_type, context=context)
        suggestions = _suggestions(request, language)
    else:
        form = IncidentForm(problem_type=problem_type, context=context)
    return render(
        request,
        "tickets/file.html",
        {
            "problem_type": problem_type,
            "form": form,
            "major_incidents": major_incidents,
            "known_errors": known_errors,
            "device_suggestions": DEVICE_SUGGESTIONS,
            "suggestions": suggestions,
            "language": language,
            # A first visit: the browser may replace the server's time and zone with its own.
            "fresh": request.method == "GET",
            # Help pages are suggested from the error message or the title, when the form asks one of them.
            "suggests": any(key in form.fields for key in SUGGESTION_SOURCES),
        },
        status=status,
    )


def _typed(post) -> dict:
    """What was typed, as initial values of a re-rendered form (single values; files cannot be kept)."""
    return {name: post.get(name) for name in post if name not in ("csrfmiddlewaretoken", "suggest")}


def _suggestions(request, language: str):
    text = " ".join(request.POST.get(key, "")[:500] for key in SUGGESTION_SOURCES).strip()
    if not text:
        return []
    return suggest_articles(text=text, user=request.user, language=language, limit=SUGGESTIONS)


@require_POST
@login_required
def deflect_view(request, slug):
    """ "This solved it": no incident is filed; the article gets a helpful vote and the deflection is counted."""
    problem_type = get_object_or_404(active_problem_types(), slug=slug)
    slug_value = request.POST.get("article", "")
    if not SLUG.match(slug_value):
        return redirect("tickets:file", slug=problem_type.slug)
    article, _translation = article_for_reader(request, slug_value)
    deflection_record(user=request.user, problem_type=problem_type, article=article)
    messages.success(request, gettext("Glad it is solved. No incident was filed. Thank you for telling us."))
    return redirect(article.get_absolute_url())


@require_POST
@login_required
@rate_limited("affected")
def affected_view(request, pk):
    """ "I'm affected too": counts the person in an ongoing major incident instead of filing one more copy of it."""
    incident = get_object_or_404(MajorIncident.objects.shown(), pk=pk)
    if major_incident_join(incident=incident, user=request.user):
        messages.success(
            request,
            gettext("Thank you: you are counted among the people affected. No need to file an incident for it."),
        )
    else:
        messages.info(request, gettext("You had already told us you are affected. Thank you."))
    return redirect(next_target(request, "tickets:mine", query=False))
