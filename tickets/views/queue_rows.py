"""The queue view's rows and queue cards, written by Python rather than by the template language.

A page of 25 to 100 rows took the template about half of the page's time: some thirty variable lookups, a dozen
filters and tags, and several translations per row. These functions write the same markup (templates/tickets/desk/
queue.html includes it as ``rows``), looking each translation up once per page. Every value is escaped with the
standard library's html.escape, which is what Django's escape does for the plain strings a row holds (model fields,
translations) without its checks for lazy and safe strings.
"""

import datetime
from dataclasses import dataclass
from html import escape

from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext

from tickets.models import Priority, SlaState, TicketStatus

TITLE_LENGTH = 90
# A placeholder reference, replaced by each row's: one reverse() per page for each per-row link.
_REFERENCE = "INC-0000-000000"


@dataclass(frozen=True)
class _Page:
    """What every row of a page shares."""

    here: str
    csrf_token: str
    ticked: frozenset
    statuses: dict
    priorities: dict
    sla_states: dict
    detail_url: str
    take_url: str
    major: str
    take: str
    no_sla: str
    tick: str
    take_aria: str
    due: str
    zone: datetime.tzinfo
    short_format: str


def queue_rows(rows, *, here: str, csrf_token: str, ticked) -> SafeString:
    """The ``<tr>`` of each ticket of ``rows`` (worklist_page's, with their countdowns attached)."""
    page = _Page(
        here=escape(here),
        csrf_token=escape(csrf_token),
        ticked=frozenset(ticked),
        statuses=_labels(TicketStatus),
        priorities=_labels(Priority),
        sla_states=_labels(SlaState),
        detail_url=reverse("tickets:detail", kwargs={"reference": _REFERENCE}),
        take_url=reverse("desk:take", kwargs={"reference": _REFERENCE}),
        major=escape(gettext("Major incident")),
        take=escape(gettext("Take")),
        no_sla=escape(gettext("none")),
        tick=gettext("Tick %(reference)s"),
        take_aria=gettext("Take %(reference)s"),
        due=gettext("Due %(due)s"),
        zone=timezone.get_current_timezone(),
        short_format=formats.get_format("SHORT_DATETIME_FORMAT"),
    )
    return mark_safe("".join(_row(ticket, page) for ticket in rows))  # noqa: S308 (every value is escaped)


def _labels(choices) -> dict:
    """Each value of ``choices`` with its label in the active language, escaped."""
    return {value: escape(str(label)) for value, label in choices.choices}


def _label(labels: dict, value: str) -> str:
    """As get_FOO_display(): the value itself when it has no label."""
    return labels.get(value) or escape(value)


def _moment(value, page: _Page) -> tuple[str, str]:
    """A moment as the ``date`` filter writes it in the current time zone: ISO 8601 ("c"), and the short format."""
    local = value.astimezone(page.zone)
    return local.isoformat(), escape(dateformat.format(local, page.short_format))


def _row(ticket, page: _Page) -> str:
    reference = escape(ticket.reference)
    checked = " checked" if ticket.reference in page.ticked else ""
    tick = escape(page.tick % {"reference": ticket.reference})
    title = str(ticket.display_title)
    if len(title) > TITLE_LENGTH:  # Truncator counts no more characters than len(): a shorter title stays as it is
        title = Truncator(title).chars(TITLE_LENGTH)
    title = escape(title)
    if ticket.major_incident_id:
        title += f' <span class="status-badge">{page.major}</span>'
    requester = ticket.requester
    status, priority = escape(ticket.status), escape(ticket.priority)
    created_iso, created = _moment(ticket.created_at, page)
    return (
        f"<tr>\n"
        f'      <td><input type="checkbox" name="tickets" value="{reference}" form="bulk-form" id="tick-{reference}"'
        f'{checked} aria-label="{tick}"></td>\n'
        f'      <th scope="row"><a href="{page.detail_url.replace(_REFERENCE, reference)}">{reference}</a></th>\n'
        f"      <td>{title}</td>\n"
        f"      <td>{escape(ticket.problem_type.name)}</td>\n"
        f"      <td>{escape(ticket.queue.name)}</td>\n"
        f"      <td>{escape(requester.get_full_name())}<br>"
        f'<span class="muted">{escape(requester.username)}</span></td>\n'
        f'      <td><span class="status-badge status-{status}">{_label(page.statuses, ticket.status)}</span></td>\n'
        f'      <td><span class="priority priority-{priority}">{_label(page.priorities, ticket.priority)}</span></td>\n'
        f"      <td>{_sla(ticket, page)}</td>\n"
        f"      <td>{_assignee(ticket, reference, page)}</td>\n"
        f'      <td><time datetime="{created_iso}">{created}</time></td>\n'
        f"    </tr>\n"
    )


def _sla(ticket, page: _Page) -> str:
    countdown = ticket.countdown
    label = countdown.label
    if not label:
        return f'<span class="muted">{page.no_sla}</span>'
    state = countdown.state or "none"
    shown = ""
    if countdown.state in (SlaState.AT_RISK, SlaState.BREACHED):
        shown = f"<strong>{_label(page.sla_states, countdown.state)}</strong><br>"
    if countdown.due:
        iso, short = _moment(countdown.due, page)
        title = escape(page.due % {"due": short})
        shown += f'<time datetime="{iso}" title="{title}">{escape(label)}</time>'
    return f'<span class="sla sla-{escape(state)}">{shown}</span>'


def _assignee(ticket, reference: str, page: _Page) -> str:
    assignee = ticket.assignee
    if assignee is not None:
        return escape(assignee.get_full_name() or assignee.username)
    aria = escape(page.take_aria % {"reference": ticket.reference})
    return (
        f'\n        <form method="post" action="{page.take_url.replace(_REFERENCE, reference)}" class="inline-form">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{page.csrf_token}">\n'
        f'          <input type="hidden" name="next" value="{page.here}">\n'
        f'          <button type="submit" aria-label="{aria}">{page.take}</button>\n'
        f"        </form>"
    )


def queue_cards(rows, *, current) -> SafeString:
    """Each of the agent's queues with its open and unassigned counts (worklist.queue_counts' ``rows``), the one
    ``current`` names marked as such; written for every request, while the rest of the page is kept."""
    if not rows:
        notice = gettext("You are not a member of any queue yet: ask an administrator to add you to your team's queue.")
        cards = f'<p class="notice">{escape(notice)}</p>'
    else:
        items = []
        for row in rows:
            queue = row["queue"]
            selected = ' aria-current="true"' if current == queue.pk else ""
            opened, unassigned = row["open"], row["unassigned"]
            counts = escape(
                ngettext("%(counter)s open", "%(counter)s open", opened) % {"counter": formats.localize(opened)}
                + ",\n      "
                + ngettext("%(counter)s unassigned", "%(counter)s unassigned", unassigned)
                % {"counter": formats.localize(unassigned)}
            )
            items.append(
                f'  <li><a href="?queue={queue.pk}"{selected}><strong>{escape(queue.name)}</strong></a>\n'
                f"    <span>{counts}</span></li>\n"
            )
        cards = f'<ul class="queue-cards">\n{"".join(items)}</ul>'
    heading = escape(gettext("My queues"))
    return mark_safe(  # noqa: S308 (every value is escaped)
        f'<section aria-labelledby="queues-title">\n<h2 id="queues-title" class="visually-hidden">{heading}</h2>\n'
        f"{cards}\n</section>"
    )
