""" "My incidents" costs the same number of queries for 5 incidents as for 500 (EXAMPLES.md §10)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tickets.models import Ticket, TicketStatus
from tickets.references import format_reference

pytestmark = pytest.mark.django_db


def make_tickets(requester, problem_type, count):
    statuses = [TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.WAITING, TicketStatus.SOLVED]
    Ticket.objects.bulk_create(
        Ticket(
            reference=format_reference(2026, number + 1),
            requester=requester,
            problem_type=problem_type,
            queue_id=problem_type.queue_id,
            status=statuses[number % len(statuses)],
            data={"error_message": f"Erreur {number}"},
        )
        for number in range(count)
    )


def queries_of_my_tickets(client) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/en/incidents/")
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries], response.content.decode()


@pytest.mark.parametrize("count", [5, 500])
def test_my_tickets_costs_a_fixed_number_of_queries(
    client, sign_in, marie, jean, problem_types, count, django_assert_num_queries
):
    problem_type = problem_types["echec-connexion"]
    make_tickets(marie, problem_type, count)
    Ticket.objects.create(
        reference="INC-2026-900000", requester=jean, problem_type=problem_type, queue_id=problem_type.queue_id
    )
    sign_in(client, marie)
    client.get("/en/incidents/")  # the session's first request writes its last-seen time; measure the next one
    captured_sql, page = queries_of_my_tickets(client)
    print(f"\n'my incidents' with {count} incidents: {len(captured_sql)} queries")
    with django_assert_num_queries(EXPECTED_QUERIES):
        client.get("/en/incidents/")
    assert "INC-2026-900000" not in page
    open_count = sum(1 for number in range(count) if number % 4 != 3)
    shown = min(open_count, 20) + min(count - open_count, 20)
    assert page.count("<tr>") == shown + 2  # one row per incident shown (20 per page), plus the two header rows


# Session, user, second-factor device, session-list check; the open and the closed list's counts; the major
# incidents the person joined; the open and the closed list's pages (problem type joined, no query per row).
EXPECTED_QUERIES = 9
