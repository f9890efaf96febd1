"""An agent changes how urgent an incident is: the timeline keeps who changed it from what to what, for the
helpdesk only (the requester is neither shown nor e-mailed the triage)."""

import pytest
from django.test import Client

from tickets.models import TicketEventKind
from tickets.services import ticket_create, ticket_priority_change
from tickets.submission import Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(marie, problem_types):
    submission = Submission(answers={"identifier": "marie.dupont", "description": "Boîte pleine"})
    return ticket_create(requester=marie, problem_type=problem_types["quota"], submission=submission)


def test_the_admin_changing_a_priority_leaves_an_internal_event_with_from_to_and_who(
    client, sign_in, marie, sophie, ticket, mailoutbox
):
    helpdesk = sign_in(Client(), sophie)
    response = helpdesk.post(
        f"/admin/tickets/ticket/{ticket.pk}/change/",
        {
            "status": ticket.status,
            "priority": "high",
            "major_incident": "",
            "events-TOTAL_FORMS": "1",
            "events-INITIAL_FORMS": "1",
            "events-0-id": ticket.events.get().pk,
            "events-0-ticket": ticket.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    event = ticket.events.get(kind=TicketEventKind.PRIORITY_CHANGED)
    assert (event.actor, event.data, event.public) == (sophie, {"from": "normal", "to": "high"}, False)
    assert len(mailoutbox) == 1  # the acknowledgement of the filing only
    assert "priority changed to “High”" in helpdesk.get(f"/en/incidents/{ticket.reference}/").content.decode()
    sign_in(client, marie)
    assert "priority" not in client.get(f"/en/incidents/{ticket.reference}/").content.decode().lower()
    assert TicketEventKind.PRIORITY_CHANGED not in str(client.get(f"/api/tickets/{ticket.reference}/").json())


def test_setting_the_same_priority_again_records_nothing_and_an_unknown_one_is_refused(sophie, ticket):
    ticket_priority_change(ticket=ticket, priority="urgent", by=sophie)
    ticket_priority_change(ticket=ticket, priority="urgent", by=sophie)
    assert ticket.events.filter(kind=TicketEventKind.PRIORITY_CHANGED).count() == 1
    with pytest.raises(ValueError):
        ticket_priority_change(ticket=ticket, priority="whenever", by=sophie)
