"""An incident's life from the requester's side: reply and attach, close as solved, reopen within the delay; the
timeline records every step and the requester is e-mailed what others did, in their language."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from tests.tickets.helpers import PNG
from tickets.models import Ticket, TicketEvent, TicketEventKind, TicketStatus
from tickets.notifications import deliver_ticket_notification
from tickets.references import format_reference
from tickets.services import ticket_create, ticket_reply, ticket_status_change
from tickets.submission import Submission
from tickets.uploads import inspect_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(marie, problem_types):
    submission = Submission(answers={"identifier": "marie.dupont", "description": "Boîte pleine", "title": ""})
    return ticket_create(requester=marie, problem_type=problem_types["quota"], submission=submission)


def kinds(ticket):
    return list(ticket.events.values_list("kind", flat=True))


def test_filing_sends_an_acknowledgement_without_the_tickets_content_in_the_subject(mailoutbox, ticket, marie):
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [marie.email]
    assert ticket.reference in message.subject
    assert "Boîte pleine" not in message.subject and "marie.dupont" not in message.subject
    assert f"http://127.0.0.1:8000/incidents/{ticket.reference}/" in message.body  # French: the person's language
    assert message.alternatives[0][1] == "text/html"


def test_the_email_is_in_the_recipients_language(mailoutbox, marie, problem_types, settings):
    marie.language = "en"
    marie.save()
    ticket = ticket_create(
        requester=marie, problem_type=problem_types["quota"], submission=Submission(answers={"identifier": "x.y"})
    )
    assert mailoutbox[-1].subject == f"Guichet: incident {ticket.reference} received"
    assert f"/en/incidents/{ticket.reference}/" in mailoutbox[-1].body


def test_the_requester_replies_with_a_file_and_the_timeline_shows_both(client, sign_in, marie, ticket, mailoutbox):
    sign_in(client, marie)
    screenshot = SimpleUploadedFile("erreur.png", PNG)
    response = client.post(
        f"/en/incidents/{ticket.reference}/repondre/", {"body": "Voici la capture.", "files": [screenshot]}
    )
    assert response.status_code == 302
    assert kinds(ticket) == [TicketEventKind.CREATED, TicketEventKind.REPLIED, TicketEventKind.ATTACHMENT_ADDED]
    assert len(mailoutbox) == 1  # one's own reply is not e-mailed back
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "Voici la capture." in page and "erreur.png" in page
    assert "You" in page


def test_an_empty_reply_is_refused_next_to_the_form(client, sign_in, marie, ticket):
    sign_in(client, marie)
    response = client.post(f"/en/incidents/{ticket.reference}/repondre/", {"body": "   "})
    assert response.status_code == 400
    assert "Write a message or add a file." in response.content.decode()
    assert kinds(ticket) == [TicketEventKind.CREATED]


def test_refused_files_are_named_in_a_clear_error(client, sign_in, marie, ticket, settings):
    sign_in(client, marie)
    page = SimpleUploadedFile("capture.png", b"<html><script>alert(1)</script></html>")
    response = client.post(f"/en/incidents/{ticket.reference}/repondre/", {"body": "ok", "files": [page]})
    assert response.status_code == 400
    assert "“capture.png” was refused" in response.content.decode()
    settings.GUICHET_ATTACHMENT_MAX_COUNT = 2
    many = [SimpleUploadedFile(f"{n}.png", PNG) for n in range(3)]
    response = client.post(f"/en/incidents/{ticket.reference}/repondre/", {"body": "ok", "files": many})
    assert "at most 2 files at a time" in response.content.decode()
    assert kinds(ticket) == [TicketEventKind.CREATED]
    assert not ticket.attachments.exists()


def test_an_agents_reply_is_emailed_and_takes_the_ticket_in_progress(sophie, ticket, mailoutbox):
    ticket_reply(ticket=ticket, by=sophie, body="Videz la corbeille.")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert all(ticket.reference in message.subject for message in mailoutbox)
    assert len(mailoutbox) == 3  # the reply and the status change
    assert all("Videz" not in message.body for message in mailoutbox)  # read on the portal, not in the mailbox


def test_the_requester_sees_helpdesk_not_the_agents_name(client, sign_in, marie, sophie, ticket):
    ticket_reply(ticket=ticket, by=sophie, body="Bonjour")
    sign_in(client, marie)
    english = client.get(f"/en/incidents/{ticket.reference}/").content.decode()
    assert "Helpdesk" in english and "Sophie Bernard" not in english
    french = client.get(f"/incidents/{ticket.reference}/").content.decode()
    assert "Assistance" in french and "Sophie Bernard" not in french


def test_answering_a_ticket_that_waits_for_the_requester_puts_it_back_in_progress(
    client, sign_in, marie, sophie, ticket
):
    ticket_status_change(ticket=ticket, to=TicketStatus.WAITING, by=sophie)
    sign_in(client, marie)
    client.post(f"/en/incidents/{ticket.reference}/repondre/", {"body": "Voilà"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.IN_PROGRESS


def test_close_as_solved_then_reopen_within_the_delay(client, sign_in, marie, ticket, clock, settings):
    settings.GUICHET_TICKET_REOPEN_DAYS = 14
    sign_in(client, marie)
    client.post(f"/en/incidents/{ticket.reference}/cloturer/")
    client.post(f"/en/incidents/{ticket.reference}/cloturer/")  # a double click changes nothing more
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED and ticket.closed_at is not None
    assert kinds(ticket).count(TicketEventKind.STATUS_CHANGED) == 1
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "Reopen the incident" in page and "Send</button>" not in page
    assert client.post(f"/en/incidents/{ticket.reference}/repondre/", {"body": "x"}).status_code == 302
    assert kinds(ticket).count(TicketEventKind.REPLIED) == 0  # a solved ticket takes no reply
    clock.advance(days=13)
    sign_in(client, marie)
    client.post(f"/en/incidents/{ticket.reference}/rouvrir/")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW and ticket.closed_at is None
    assert ticket.events.last().data == {"from": "solved", "to": "new", "reopened": True}


def test_reopening_after_the_delay_is_refused(client, sign_in, marie, ticket, clock, settings):
    settings.GUICHET_TICKET_REOPEN_DAYS = 14
    sign_in(client, marie)
    client.post(f"/en/incidents/{ticket.reference}/cloturer/")
    clock.advance(days=15)
    sign_in(client, marie)
    assert "Reopen the incident" not in client.get(ticket.get_absolute_url()).content.decode()
    client.post(f"/en/incidents/{ticket.reference}/rouvrir/")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED


def test_status_changes_by_the_helpdesk_are_emailed_once(sophie, ticket, mailoutbox):
    ticket_status_change(ticket=ticket, to=TicketStatus.WAITING, by=sophie)
    event = ticket.events.get(kind=TicketEventKind.STATUS_CHANGED)
    assert event.notified_at is not None
    assert ticket.reference in mailoutbox[-1].subject
    sent = len(mailoutbox)
    assert deliver_ticket_notification(event.pk) is False  # a task delivered twice sends once
    assert len(mailoutbox) == sent


def test_internal_events_are_hidden_from_the_requester(client, sign_in, marie, sophie, ticket):
    TicketEvent.objects.create(ticket=ticket, kind=TicketEventKind.NOTE, actor=sophie, public=False, body="Note privée")
    sign_in(client, marie)
    assert "Note privée" not in client.get(ticket.get_absolute_url()).content.decode()
    assert "Note privée" not in str(client.get(f"/api/tickets/{ticket.reference}/").json())
    helpdesk = sign_in(Client(), sophie)
    assert "Note privée" in helpdesk.get(f"/en/incidents/{ticket.reference}/").content.decode()


def test_a_failed_filing_leaves_nothing_behind(marie, problem_types, monkeypatch, settings):
    from tickets import services

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_phishing_report", broken)
    root = Path(settings.GUICHET_PRIVATE_MEDIA_ROOT)
    before = {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()
    screenshot = SimpleUploadedFile("a.png", PNG)
    submission = Submission(
        answers={"identifier": "x.y"}, uploads=[(screenshot, inspect_upload(screenshot))], reported_message=object()
    )
    with pytest.raises(RuntimeError):
        ticket_create(requester=marie, problem_type=problem_types["hameconnage"], submission=submission)
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()
    assert {path for path in root.rglob("*") if path.is_file()} == before  # the stored file was removed


def test_references_follow_each_other_per_year_and_a_rollback_gives_its_number_back(marie, problem_types):
    from django.utils import timezone

    year = timezone.localdate().year
    first = ticket_create(
        requester=marie, problem_type=problem_types["quota"], submission=Submission(answers={"identifier": "a.b"})
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        ticket_create(
            requester=marie, problem_type=problem_types["quota"], submission=Submission(answers={"identifier": "a.b"})
        )
        raise RuntimeError
    second = ticket_create(
        requester=marie, problem_type=problem_types["quota"], submission=Submission(answers={"identifier": "a.b"})
    )
    assert first.reference == format_reference(year, 1)
    assert second.reference == format_reference(year, 2)
    assert Ticket.objects.count() == 2


def test_the_average_first_answer_is_measured_from_the_helpdesks_replies(marie, sophie, ticket, clock):
    from tickets.metrics import average_first_response

    assert average_first_response(days=30) is None  # nothing answered yet: not measured, not zero
    clock.advance(hours=3)
    ticket_reply(ticket=ticket, by=marie, body="Toujours bloquée")  # the requester's own message does not count
    clock.advance(hours=1)
    ticket_reply(ticket=ticket, by=sophie, body="Nous regardons.")
    average = average_first_response(days=30)
    assert average is not None and abs(average.total_seconds() - 4 * 3600) < 60


def test_an_e_mail_whose_task_was_lost_is_sent_once_by_the_sweep(marie, problem_types, mailoutbox, clock, monkeypatch):
    from tickets.tasks import deliver_pending_ticket_notifications, send_ticket_notification

    monkeypatch.setattr(send_ticket_notification, "delay", lambda *args: None)  # the broker lost the task
    submission = Submission(answers={"identifier": "marie.dupont", "description": "Boîte pleine", "title": ""})
    ticket = ticket_create(requester=marie, problem_type=problem_types["quota"], submission=submission)
    assert mailoutbox == []
    clock.advance(minutes=2)
    deliver_pending_ticket_notifications.delay()
    deliver_pending_ticket_notifications.delay()  # the job may run twice
    assert [ticket.reference in message.subject for message in mailoutbox] == [True]
