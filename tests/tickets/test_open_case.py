"""A job opens an incident for someone without a form (tickets.services.ticket_open_case): the answers are checked
as the form checks them, a refusal says which answer is wrong, and the incident is the same as one filed on the page."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tickets.models import Ticket, TicketEvent, TicketEventKind
from tickets.services import ticket_open_case

pytestmark = pytest.mark.django_db


def test_a_job_opens_a_case_the_requester_is_told_about_and_sees_as_filed_by_guichet(
    client, sign_in, marie, problem_types, mailoutbox
):
    ticket = ticket_open_case(
        requester=marie,
        problem_type=problem_types["autre"],
        answers={"title": "Signature lost", "description": "The signature disappeared after the update."},
        source="correlation",
    )
    assert (ticket.title, ticket.queue, ticket.priority) == ("Signature lost", problem_types["autre"].queue, "normal")
    assert ticket.data["identifier"] == "marie.dupont"  # the requester's, as the form pre-fills it
    created = ticket.events.get()
    assert created.kind == TicketEventKind.CREATED and created.actor is None
    assert created.data == {"category": "autre", "source": "correlation"}
    assert [ticket.reference in message.subject for message in mailoutbox] == [True]
    sign_in(client, marie)
    page = client.get(f"/en/incidents/{ticket.reference}/").content.decode()
    assert "Guichet" in page and "The signature disappeared after the update." in page


def test_answers_that_do_not_fill_the_form_are_refused_by_field_and_nothing_is_filed(marie, problem_types):
    with pytest.raises(ValidationError) as refused:
        ticket_open_case(
            requester=marie,
            problem_type=problem_types["autre"],
            answers={"title": "x", "identifier": "Not An Identifier!"},
            source="correlation",
        )
    with translation.override("en"):
        messages = refused.value.message_dict
    assert set(messages) == {"description", "identifier"}
    assert messages["description"] == ["Describe the problem in a few sentences."]
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()


def test_true_and_false_are_the_answers_yes_and_no_as_in_the_api(marie, sophie, problem_types):
    answers = {
        "device": "Thunderbird",
        "error_message": "Connexion refusée",
        "other_network_tried": False,
        "vpn_used": True,
    }
    ticket = ticket_open_case(
        requester=marie, problem_type=problem_types["client-messagerie"], answers=answers, source="job", by=sophie
    )
    assert (ticket.data["other_network_tried"], ticket.data["vpn_used"]) == ("no", "yes")
    assert ticket.events.get().actor == sophie  # who opened it, when someone did
