"""CSV export of a filtered queue view: every matching ticket, streamed row by row in constant memory.

Rows are read through a server-side cursor (``QuerySet.iterator``) as plain tuples, so a million tickets never sit
in memory; the response is a generator the server sends as it goes. Cells that a spreadsheet would run as a
formula (starting with = + - @, a tab or a carriage return) are prefixed with an apostrophe. French exports use
the semicolon and a byte-order mark, as French spreadsheets expect; English ones the comma.
"""

import csv
from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext

from portal.web.language import content_language
from tickets.models import Priority, TicketStatus

CHUNK = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write() returns the line, for csv.writer inside a generator."""

    def write(self, value):
        return value


def _safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_rows(tickets, *, ordering: list[str]) -> Iterator[str]:
    """The header line and one line per ticket of ``tickets``, in ``ordering``."""
    language = content_language()
    writer = csv.writer(_Echo(), delimiter=";" if language == "fr" else ",")
    statuses, priorities = dict(TicketStatus.choices), dict(Priority.choices)
    yield ("\ufeff" if language == "fr" else "") + writer.writerow(
        [
            gettext("Reference"),
            gettext("Filed"),
            gettext("Last activity"),
            gettext("Status"),
            gettext("Priority"),
            gettext("Queue"),
            gettext("Problem type"),
            gettext("Requester"),
            gettext("Assigned to"),
            gettext("Subject"),
            gettext("Error message"),
        ]
    )
    name = f"name_{language}"
    rows = tickets.order_by(*ordering).values_list(
        "reference",
        "created_at",
        "updated_at",
        "status",
        "priority",
        f"queue__{name}",
        f"problem_type__{name}",
        "requester__username",
        "assignee__username",
        "title",
        "data__error_message",
    )
    for row in rows.iterator(chunk_size=CHUNK):
        reference, created, updated, status, priority, *rest = row
        yield writer.writerow(
            [
                reference,
                timezone.localtime(created).strftime("%Y-%m-%d %H:%M"),
                timezone.localtime(updated).strftime("%Y-%m-%d %H:%M"),
                str(statuses.get(status, status)),
                str(priorities.get(priority, priority)),
                *(_safe(value) for value in rest),
            ]
        )
