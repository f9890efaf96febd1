"""Phishing reports: the message is read, never rendered; reports of one campaign are grouped."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.tickets.helpers import PHISHING_EML, PHISHING_HEADERS, PNG
from tickets.models import Attachment, PhishingReport, Ticket

pytestmark = pytest.mark.django_db

FORM = "/en/incidents/signaler/hameconnage/"


def report(client, **fields):
    data = {"occurred_at_tz": "Europe/Paris", "description": "Reçu ce matin", **fields}
    return client.post(FORM, data)


def test_an_eml_is_read_summarised_and_kept_as_a_download(client, sign_in, marie, problem_types):
    sign_in(client, marie)
    response = report(client, suspicious_message=SimpleUploadedFile("suspect.eml", PHISHING_EML))
    assert response.status_code == 302, response.content.decode()[:3000]
    ticket = Ticket.objects.get()
    assert ticket.queue.slug == "securite"
    assert ticket.title == "Votre boite mail sera suspendue"  # the list shows the reported subject
    summary = ticket.phishing_report.summary
    assert summary["sender_domain"] == "acad3mie-fr.com"
    assert summary["subject"] == "Votre boite mail sera suspendue"
    assert summary["links"][0]["domain"] == "login.acad3mie-fr.com"
    assert summary["links"][0]["mismatch"] is True
    assert "recipients" not in summary
    attachment = Attachment.objects.get()
    assert (attachment.content_type, attachment.kind) == ("message/rfc822", "email")

    page = client.get(ticket.get_absolute_url()).content.decode()
    assert "Votre boite mail sera suspendue" in page
    assert "https://login.acad3mie-fr.com/verify" in page
    assert "<script>alert(1)</script>" not in page  # the message's HTML is never rendered
    assert "(the text shows another address than the link)" in page
    download = client.get(f"{ticket.get_absolute_url()}pieces-jointes/{attachment.pk}/")
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "message/rfc822"


def test_pasted_headers_are_enough(client, sign_in, marie, problem_types):
    sign_in(client, marie)
    assert report(client, suspicious_message_headers=PHISHING_HEADERS).status_code == 302
    assert PhishingReport.objects.get().summary["sender_address"] == "support@acad3mie-fr.com"


def test_a_report_needs_the_message_or_its_headers(client, sign_in, marie, problem_types):
    sign_in(client, marie)
    response = report(client)
    assert response.status_code == 400
    assert (
        "Attach the message as a file (.eml, or .msg from Outlook), or paste its headers below."
        in response.content.decode()
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"suspicious_message": SimpleUploadedFile("capture.eml", PNG)}, "This file is not an e-mail message"),
        ({"suspicious_message": SimpleUploadedFile("page.eml", b"<html><body>x</body></html>")}, "was refused"),
        ({"suspicious_message_headers": "hello, this is not a header at all"}, "could not be read"),
        ({"suspicious_message_headers": "\x00" * 10}, "Null characters are not allowed."),
    ],
)
def test_what_cannot_be_read_is_refused_next_to_the_field(client, sign_in, marie, problem_types, fields, message):
    sign_in(client, marie)
    response = report(client, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Ticket.objects.exists() and not Attachment.objects.exists()


def test_reports_of_one_campaign_are_grouped(client, sign_in, marie, jean, sophie, problem_types):
    sign_in(client, marie)
    report(client, suspicious_message=SimpleUploadedFile("a.eml", PHISHING_EML))
    jeans_browser = sign_in(Client(), jean)
    other_copy = PHISHING_EML.replace(b"marie.dupont", b"jean.martin").replace(b"1234@", b"5678@")
    report(jeans_browser, suspicious_message=SimpleUploadedFile("b.eml", other_copy))
    maries, jeans = Ticket.objects.order_by("pk")
    assert maries.phishing_report.campaign_key == jeans.phishing_report.campaign_key
    assert "1 other person reported this message." in client.get(maries.get_absolute_url()).content.decode()
    helpdesk = sign_in(Client(), sophie)
    page = helpdesk.get(jeans.get_absolute_url()).content.decode()
    assert "2 reports of this campaign in all." in page
    api = client.get(f"/api/tickets/{maries.reference}/").json()
    assert api["phishing"]["other_reporters"] == 1


def test_the_same_person_reporting_twice_is_not_counted_as_another(client, sign_in, marie, problem_types):
    sign_in(client, marie)
    report(client, suspicious_message=SimpleUploadedFile("a.eml", PHISHING_EML))
    report(client, suspicious_message=SimpleUploadedFile("a.eml", PHISHING_EML))
    page = client.get(Ticket.objects.first().get_absolute_url()).content.decode()
    assert "other person reported" not in page


def test_an_outlook_msg_is_accepted_read_and_kept(client, sign_in, marie, problem_types):
    """The knowledge base tells Outlook users to save the message or forward it as an attachment: a .msg."""
    from tests.tickets.test_reported_messages import outlook_phish

    sign_in(client, marie)
    response = report(client, suspicious_message=SimpleUploadedFile("Votre boite.msg", outlook_phish()))
    assert response.status_code == 302, response.content.decode()[:3000]
    summary = Ticket.objects.get().phishing_report.summary
    assert summary["sender_domain"] == "acad3mie-fr.com"
    assert [link["mismatch"] for link in summary["links"]] == [False, True]
    attachment = Attachment.objects.get()
    assert (attachment.content_type, attachment.kind) == ("application/vnd.ms-outlook", "email")
    assert attachment.original_name == "Votre boite.msg"


def test_an_office_document_is_not_taken_for_an_outlook_message(client, sign_in, marie, problem_types):
    from tests.tickets.outlook_msg import compound_file

    sign_in(client, marie)
    word = compound_file({"WordDocument": b"\x00" * 600, "\x05SummaryInformation": b"\x00" * 200})
    response = report(client, suspicious_message=SimpleUploadedFile("facture.msg", word))
    assert response.status_code == 400
    assert "was refused" in response.content.decode()
    assert not Ticket.objects.exists()
