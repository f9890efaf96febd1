"""Public reply or internal note: an agent's note, and the files added with it, are the agents' only, on the page,
in the API and at the download address; the requester is never e-mailed about them."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.tickets.helpers import PNG
from tests.tickets.test_desk import QUOTA, SIGN_IN_FAILURE, make, page
from tickets.models import Attachment, TicketEvent, TicketEventKind, TicketStatus
from tickets.services import TicketActionRefused, ticket_note

pytestmark = pytest.mark.django_db


def reply_path(ticket) -> str:
    return f"/en/incidents/{ticket.reference}/repondre/"


def test_a_note_is_internal_sends_nothing_and_leaves_the_status(marie, sophie, problem_types):
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    mail.outbox.clear()
    ticket_note(ticket=ticket, by=sophie, body="  Quota relevé côté serveur, à vérifier demain.  ")
    note = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.NOTE)
    assert (note.public, note.notify, note.actor, note.body) == (
        False,
        False,
        sophie,
        "Quota relevé côté serveur, à vérifier demain.",
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW, "a note is not an answer: the ticket is not started by it"
    assert mail.outbox == []


def test_a_note_on_a_closed_ticket_is_refused_and_nothing_is_written(marie, sophie, problem_types):
    ticket = make(marie, problem_types[QUOTA], 1, status=TicketStatus.CLOSED)[0]
    with pytest.raises(TicketActionRefused):
        ticket_note(ticket=ticket, by=sophie, body="Trop tard.", uploads=())
    assert not TicketEvent.objects.filter(ticket=ticket).exists()


def test_the_reply_form_offers_reply_or_note_and_a_reply_is_the_default(marie, sophie, problem_types, sign_in):
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    agent = sign_in(Client(), sophie)
    text = page(agent.get(f"/en/incidents/{ticket.reference}/"))
    assert 'value="reply" id="id_visibility_0" checked' in text or 'id="id_visibility_0" checked' in text
    mail.outbox.clear()
    agent.post(reply_path(ticket), {"body": "Pouvez-vous réessayer ?"})
    reply = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.REPLIED)
    assert reply.public and reply.notify
    assert [message.to for message in mail.outbox] == [["marie.dupont@ac-exemple.fr"]] * len(mail.outbox) != []


def test_the_requester_never_sees_a_note_or_its_files(marie, sophie, problem_types, sign_in):
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    agent = sign_in(Client(), sophie)
    mail.outbox.clear()
    screenshot = SimpleUploadedFile("console-serveur.png", PNG)
    response = agent.post(
        reply_path(ticket), {"visibility": "note", "body": "Voir la console du serveur.", "files": [screenshot]}
    )
    assert response.status_code == 302
    assert mail.outbox == []
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.event.public is False and attachment.event.kind == TicketEventKind.ATTACHMENT_ADDED

    agent_page = page(agent.get(f"/en/incidents/{ticket.reference}/"))
    assert "Voir la console du serveur." in agent_page and "console-serveur.png" in agent_page
    assert agent.get(f"/incidents/{ticket.reference}/pieces-jointes/{attachment.pk}/").status_code == 200

    requester = sign_in(Client(), marie)
    seen = page(requester.get(f"/en/incidents/{ticket.reference}/"))
    assert "Voir la console du serveur." not in seen and "console-serveur.png" not in seen
    assert requester.get(f"/incidents/{ticket.reference}/pieces-jointes/{attachment.pk}/").status_code == 404
    api = requester.get(f"/api/tickets/{ticket.reference}/").json()
    assert api["events"] == [], "neither the note nor its files"
    assert "console" not in str(api)
    assert "console-serveur.png" in str(agent.get(f"/api/tickets/{ticket.reference}/").json())


def test_a_requester_cannot_write_a_note_by_posting_the_choice(marie, problem_types, sign_in):
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    sign_in(Client(), marie).post(reply_path(ticket), {"visibility": "note", "body": "Je veux une note."})
    event = TicketEvent.objects.get(ticket=ticket, body="Je veux une note.")
    assert event.kind == TicketEventKind.REPLIED and event.public, "a requester's message is always public"


def test_an_agent_of_another_queue_cannot_write_a_note(marie, paul, problem_types, sign_in):
    ticket = make(marie, problem_types[SIGN_IN_FAILURE], 1)[0]
    response = sign_in(Client(), paul).post(reply_path(ticket), {"visibility": "note", "body": "Hors file."})
    assert response.status_code == 404
    assert Client().post(reply_path(ticket), {"visibility": "note", "body": "x"}).status_code == 302
    assert not TicketEvent.objects.filter(kind=TicketEventKind.NOTE).exists()


def test_an_empty_note_is_explained(marie, sophie, problem_types, sign_in):
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    response = sign_in(Client(), sophie).post(reply_path(ticket), {"visibility": "note", "body": "  "})
    assert response.status_code == 400 and "Write a message or add a file." in page(response)
    bad = sign_in(Client(), sophie).post(reply_path(ticket), {"visibility": "shout", "body": "x"})
    assert bad.status_code == 400
    assert not TicketEvent.objects.exclude(kind=TicketEventKind.CREATED).exists()
