""" "Did this solve your problem?" on the article page, and the agents' list of articles that fail to help."""

from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kb.forms import FeedbackForm
from kb.selectors import article_for_reader
from kb.services import articles_failing_to_help, feedback_record
from kb.views.pages import FEEDBACK_SESSION_KEY, render_article
from portal.identity.decorators import agent_required
from portal.web.network import client_ip
from portal.web.ratelimit import rate_limited

REPORT_PERIODS = (30, 90, 365)


@require_POST
@rate_limited("feedback")
def feedback_view(request, slug):
    """Record one answer per article and session (reloading or double-clicking does not count twice), and one per
    person or per address a day (kb.services.feedback_record)."""
    article, _ = article_for_reader(request, slug)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return render_article(request, slug, feedback_form=form, status=400)
    given = request.session.get(FEEDBACK_SESSION_KEY, [])
    if article.pk not in given:
        feedback_record(
            article=article,
            helpful=form.cleaned_data["helpful"],
            comment=form.cleaned_data["comment"],
            user=request.user,
            address=client_ip(request),
        )
        # Bounded, so a long browsing session does not grow the session row without limit.
        request.session[FEEDBACK_SESSION_KEY] = [*given, article.pk][-200:]
    # Back to the feedback section, which now thanks the reader where they are looking (a message at the top of
    # the page would be out of sight).
    return redirect(article.get_absolute_url() + "#feedback")


@never_cache
@require_GET
@agent_required
def feedback_report_view(request):
    try:
        days = int(request.GET.get("days", 90))
    except ValueError:
        days = 90
    if days not in REPORT_PERIODS:
        days = 90
    rows = articles_failing_to_help(days=days)
    return render(request, "kb/feedback_report.html", {"rows": rows, "days": days, "periods": REPORT_PERIODS})
