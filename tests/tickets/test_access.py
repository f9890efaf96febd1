"""Object-level access: a requester reaches only their own incidents, by every path; agents reach all of them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.tickets.helpers import PNG, login_failure_answers
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_create
from tickets.submission import Submission
from tickets.uploads import inspect_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def maries_ticket(marie, problem_types):
    screenshot = SimpleUploadedFile("capture.png", PNG)
    submission = Submission(
        answers={"identifier": "marie.dupont", "error_message": "token badvalue"},
        uploads=[(screenshot, inspect_upload(screenshot))],
    )
    return ticket_create(requester=marie, problem_type=problem_types["echec-connexion"], submission=submission)


def paths(ticket):
    attachment = ticket.attachments.get()
    base = f"/en/incidents/{ticket.reference}/"
    return {
        "page": ("get", base),
        "download": ("get", f"{base}pieces-jointes/{attachment.pk}/"),
        "reply": ("post", f"{base}repondre/"),
        "close": ("post", f"{base}cloturer/"),
        "reopen": ("post", f"{base}rouvrir/"),
    }


def test_someone_else_gets_the_same_404_as_for_a_reference_that_does_not_exist(client, sign_in, jean, maries_ticket):
    sign_in(client, jean)
    missing = maries_ticket.reference[:-6] + "999999"
    for name, (method, path) in paths(maries_ticket).items():
        response = getattr(client, method)(path, {"body": "intrusion"} if method == "post" else None)
        absent = getattr(client, method)(path.replace(maries_ticket.reference, missing))
        assert response.status_code == absent.status_code == 404, name
    assert TicketEvent.objects.filter(ticket=maries_ticket).count() == 2  # created, attachment added: nothing new
    assert Ticket.objects.get().status == "new"


def test_malformed_references_are_not_found(client, sign_in, marie, maries_ticket):
    sign_in(client, marie)
    for reference in ("INC-2026-1", "inc-2026-000001", "1", "INC-2026-000001%00", maries_ticket.reference + "0" * 10):
        assert client.get(f"/en/incidents/{reference}/").status_code == 404


def test_the_requester_and_agents_reach_the_ticket(client, sign_in, marie, sophie, maries_ticket):
    sign_in(client, marie)
    for name, (method, path) in paths(maries_ticket).items():
        if method == "get":
            assert client.get(path).status_code == 200, name
    helpdesk = sign_in(Client(), sophie)
    page = helpdesk.get(f"/en/incidents/{maries_ticket.reference}/")
    assert page.status_code == 200
    assert "marie.dupont" in page.content.decode()


def test_the_list_shows_only_ones_own_tickets(client, sign_in, marie, jean, maries_ticket):
    sign_in(client, jean)
    page = client.get("/en/incidents/").content.decode()
    assert maries_ticket.reference not in page
    assert "You have no open incident." in page
    sign_in(client, marie)
    assert maries_ticket.reference in client.get("/en/incidents/").content.decode()


def test_downloads_are_attachments_with_safe_headers_never_pages(client, sign_in, marie, maries_ticket):
    sign_in(client, marie)
    attachment = maries_ticket.attachments.get()
    response = client.get(f"/en/incidents/{maries_ticket.reference}/pieces-jointes/{attachment.pk}/")
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PNG


def test_an_attachment_of_another_ticket_is_not_reachable_through_ones_own(
    client, sign_in, marie, jean, maries_ticket, problem_types
):
    jeans = ticket_create(
        requester=jean,
        problem_type=problem_types["quota"],
        submission=Submission(answers={"identifier": "jean.martin", "description": "plein"}),
    )
    sign_in(client, jean)
    attachment = maries_ticket.attachments.get()
    assert client.get(f"/en/incidents/{jeans.reference}/pieces-jointes/{attachment.pk}/").status_code == 404


def test_files_are_stored_outside_anything_the_site_serves(settings, maries_ticket):
    from pathlib import Path

    stored = Path(maries_ticket.attachments.get().file.path).resolve()
    for served in settings.STATICFILES_DIRS:
        assert not stored.is_relative_to(Path(served).resolve())
    assert stored.is_relative_to(Path(settings.GUICHET_PRIVATE_MEDIA_ROOT).resolve())
    assert "capture" not in stored.name  # never a path built from the person's file name


def test_signed_out_visitors_are_sent_to_sign_in(client, maries_ticket):
    for path in ("/en/incidents/", f"/en/incidents/{maries_ticket.reference}/", "/en/incidents/signaler/"):
        response = client.get(path)
        assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_pages_with_personal_data_are_not_cached(client, sign_in, marie, maries_ticket):
    sign_in(client, marie)
    for path in ("/en/incidents/", f"/en/incidents/{maries_ticket.reference}/", "/en/incidents/signaler/quota/"):
        assert "no-store" in client.get(path)["Cache-Control"] or "max-age=0" in client.get(path)["Cache-Control"]


def test_form_answers_are_shown_as_plain_text(client, sign_in, marie, problem_types):
    sign_in(client, marie)
    answers = login_failure_answers(description="<script>alert('x')</script>", error_message="<b>bold</b>")
    client.post("/en/incidents/signaler/echec-connexion/", answers)
    page = client.get(Ticket.objects.get().get_absolute_url()).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<b>bold</b>" not in page


def test_an_agent_is_not_offered_the_requesters_own_actions(client, sign_in, sophie, maries_ticket):
    sign_in(client, sophie)
    page = client.get(f"/en/incidents/{maries_ticket.reference}/").content.decode()
    assert "My problem is solved" not in page
    assert "Your report" not in page and "The report" in page
    assert client.post(f"/en/incidents/{maries_ticket.reference}/cloturer/").status_code == 403
    maries_ticket.refresh_from_db()
    assert maries_ticket.status == "new"
