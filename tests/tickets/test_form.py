"""The guided incident form: built from the problem type's rows, pre-filled, checked field by field, never a 500."""

import re

import pytest
from django.utils import timezone

from tests.tickets.helpers import CHROME_WINDOWS, FIREFOX_LINUX, local_time, login_failure_answers
from tickets.fields.keys import FieldKey
from tickets.models import ProblemTypeField, Ticket, TicketEvent, TicketEventKind

pytestmark = pytest.mark.django_db

FORM = "/en/incidents/signaler/echec-connexion/"


def signed_in(client, sign_in, user, **headers):
    sign_in(client, user)
    client.defaults.update(headers)
    return client


def test_the_form_asks_what_the_problem_type_asks_and_fills_what_it_can(client, sign_in, marie, problem_types):
    signed_in(client, sign_in, marie, HTTP_USER_AGENT=FIREFOX_LINUX)
    page = client.get(FORM).content.decode()
    for name in ("error_message", "url", "identifier", "occurred_at", "occurred_at_tz", "browser", "description"):
        assert f'name="{name}"' in page
    assert 'name="suspicious_message"' not in page  # a phishing question, not one of this type's
    assert re.search(r'name="identifier" value="marie.dupont"', page)
    assert 'value="Firefox 128"' in page
    assert 'name="device" value="Linux"' in page
    assert '<option value="Europe/Paris" selected>' in page
    now = timezone.localtime().strftime("%Y-%m-%dT")
    assert f'name="occurred_at" value="{now}' in page
    # yes/no questions are fieldsets with a legend; optional questions say so in words.
    assert re.search(r"<fieldset[^>]*>\s*<legend[^>]*>Another browser tried", page)
    assert "Which other browser (optional)" in page
    assert "Exact error message (optional)" not in page


def test_the_browser_and_system_come_from_the_user_agent(client, sign_in, marie, problem_types):
    signed_in(client, sign_in, marie, HTTP_USER_AGENT=CHROME_WINDOWS)
    page = client.get(FORM).content.decode()
    assert 'value="Chrome 131"' in page
    assert 'value="Windows 10 / 11"' in page


def test_a_complete_report_is_filed_with_a_reference_and_an_event(client, sign_in, marie, problem_types):
    signed_in(client, sign_in, marie)
    answers = login_failure_answers(identifier="Jean.Martin", other_browser_tried="yes", other_browser="Edge 120")
    response = client.post(FORM, answers)
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/en/incidents/{ticket.reference}/"
    assert re.fullmatch(rf"INC-{timezone.localdate().year}-\d{{6}}", ticket.reference)
    assert ticket.requester == marie
    assert ticket.queue.slug == "niveau-1"
    assert ticket.status == "new"
    assert ticket.data["identifier"] == "jean.martin"  # a colleague's, normalised
    assert ticket.data["other_browser_tried"] == "yes"
    assert ticket.data["other_network_tried"] == "not_applicable"
    assert ticket.data["otp_involved"] == "unknown"  # an answer, not a blank
    assert ticket.data["occurred_at_tz"] == "Europe/Paris"
    assert ticket.data["occurred_at"].startswith(answers["occurred_at"])
    assert ticket.data["occurred_at"][-6:] in ("+01:00", "+02:00")
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.kind, event.actor, event.public) == (TicketEventKind.CREATED, marie, True)


def test_missing_answers_are_refused_next_to_each_field_and_typed_values_are_kept(
    client, sign_in, marie, problem_types
):
    signed_in(client, sign_in, marie)
    answers = login_failure_answers(error_message="", other_browser_tried="", description="Ce que j'ai tapé")
    response = client.post(FORM, answers)
    page = response.content.decode()
    assert response.status_code == 400
    assert not Ticket.objects.exists()
    # The summary at the top links to each field; the radio group's link goes to its first button.
    assert 'role="alert"' in page and "Some answers need your attention" in page
    assert '<a href="#id_error_message">Exact error message</a>' in page
    assert '<a href="#id_other_browser_tried_0">Another browser tried</a>' in page
    # The message sits next to the field and the field points to it.
    assert 'id="id_error_message_error"' in page
    assert re.search(r'aria-describedby="id_error_message_helptext id_error_message_error"', page)
    assert re.search(r'<input[^>]*name="error_message"[^>]*aria-invalid="true"', page)
    assert re.search(r'<fieldset aria-describedby="[^"]*id_other_browser_tried_error"', page)
    assert "Choose yes, no or “not possible”." in page
    assert "Ce que j&#x27;ai tapé" in page
    assert 'value="https://webmail.ac-exemple.fr/"' in page
    assert "<title>Error:" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("occurred_at", "2026-13-45T99:99", "Enter a date and time"),
        ("occurred_at", "not a date", "Enter a date and time"),
        ("occurred_at", "9999-12-31T23:59", "in the future"),
        ("occurred_at", "2001-01-01T10:00", "more than a year ago"),
        ("occurred_at_tz", "Mars/Olympus_Mons", "Choose a time zone"),
        ("occurred_at_tz", "../../etc/passwd", "Choose a time zone"),
        ("other_browser_tried", "maybe", "Choose yes, no or “not possible”."),
        ("otp_involved", "maybe", "Choose yes, no or “I don&#x27;t know”."),
        ("identifier", "marie dupont<script>", "An identifier contains"),
        ("url", "javascript:alert(1)", "Enter a web address"),
        ("url", "ftp://webmail.ac-exemple.fr/", "Enter a web address"),
        ("error_message", "x" * 501, "at most 500 characters"),
        ("description", "x" * 10_001, "at most 10000 characters"),
        ("description", "nul\x00byte", "Null characters are not allowed."),
    ],
)
def test_bad_input_is_refused_with_a_message_never_a_500(client, sign_in, marie, problem_types, field, value, message):
    signed_in(client, sign_in, marie)
    response = client.post(FORM, login_failure_answers(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Ticket.objects.exists()


def test_a_time_with_its_zone_is_read_in_that_zone(client, sign_in, marie, problem_types):
    signed_in(client, sign_in, marie)
    moment = timezone.localtime(timezone.now() - timezone.timedelta(hours=1), timezone=None)
    from zoneinfo import ZoneInfo

    reunion = timezone.localtime(timezone.now() - timezone.timedelta(hours=1), ZoneInfo("Indian/Reunion"))
    answers = login_failure_answers(occurred_at=reunion.strftime("%Y-%m-%dT%H:%M"), occurred_at_tz="Indian/Reunion")
    assert client.post(FORM, answers).status_code == 302
    stored = Ticket.objects.get().data["occurred_at"]
    assert stored.endswith("+04:00")
    from datetime import datetime

    assert abs((datetime.fromisoformat(stored) - moment).total_seconds()) < 120


def test_unknown_or_inactive_problem_types_are_not_found(client, sign_in, marie, problem_types):
    signed_in(client, sign_in, marie)
    assert client.get("/en/incidents/signaler/does-not-exist/").status_code == 404
    problem_types["quota"].is_active = False
    problem_types["quota"].save()
    assert client.get("/en/incidents/signaler/quota/").status_code == 404
    assert client.post("/en/incidents/signaler/quota/", {"identifier": "x"}).status_code == 404


def test_tampered_and_unknown_fields_are_ignored(client, sign_in, marie, problem_types):
    signed_in(client, sign_in, marie)
    answers = login_failure_answers(requester="2", status="closed", reference="INC-2000-000001", data="{}")
    assert client.post(FORM, answers).status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.status == "new" and ticket.requester == marie and ticket.reference != "INC-2000-000001"
    assert set(ticket.data) <= {*FieldKey.values, "occurred_at_tz"}


def test_the_questions_are_data_an_agent_can_change(client, sign_in, marie, problem_types):
    problem_type = problem_types["quota"]
    signed_in(client, sign_in, marie)
    assert 'name="vpn_used"' not in client.get("/en/incidents/signaler/quota/").content.decode()
    ProblemTypeField.objects.create(
        problem_type=problem_type, key=FieldKey.VPN_USED, required=True, position=1, help_text_en="Our VPN, Pulse."
    )
    page = client.get("/en/incidents/signaler/quota/").content.decode()
    assert 'name="vpn_used"' in page and "Our VPN, Pulse." in page
    response = client.post(
        "/en/incidents/signaler/quota/", {"identifier": "marie.dupont", "description": "Boîte pleine"}
    )
    assert response.status_code == 400
    assert '<a href="#id_vpn_used_0">VPN used</a>' in response.content.decode()


def test_look_for_answers_shows_help_pages_without_javascript_and_files_nothing(client, sign_in, marie, problem_types):
    from tests.kb.helpers import make_article

    make_article(
        "erreur-token-badvalue", title="Session token error", language="en", errors="token badvalue", body="Close tabs."
    )
    signed_in(client, sign_in, marie)
    response = client.post(FORM, {**login_failure_answers(error_message="token badvalue"), "suggest": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert not Ticket.objects.exists()
    assert "Session token error" in page
    assert re.search(r'<button type="submit" form="deflect-form" name="article" value="erreur-token-badvalue"', page)
    assert 'value="token badvalue"' in page  # what was typed is kept
    assert "Some answers need your attention" not in page  # nothing was checked yet


def test_the_error_field_offers_the_known_messages(client, sign_in, marie, problem_types):
    from tests.kb.helpers import make_article

    make_article("jeton", title="Token", language="en", errors="token badvalue\nerreur AJAX")
    signed_in(client, sign_in, marie)
    page = client.get(FORM).content.decode()
    assert 'list="known-error-messages"' in page
    assert '<option value="erreur AJAX">' in page and '<option value="token badvalue">' in page


def test_signing_in_is_required(client, problem_types):
    response = client.get(FORM)
    assert response.status_code == 302 and "/compte/connexion/" in response["Location"]
    assert client.post(FORM, login_failure_answers()).status_code == 302
    assert not Ticket.objects.exists()


def test_staff_within_their_grace_period_may_file_without_a_second_factor(client, sign_in, marie, problem_types):
    sign_in(client, marie, verified=False)
    assert client.get(FORM).status_code == 200
    assert client.post(FORM, login_failure_answers()).status_code == 302
    assert Ticket.objects.filter(requester=marie).count() == 1


def test_choosing_a_problem_type_lists_the_nine_types(client, sign_in, marie, problem_types):
    signed_in(client, sign_in, marie)
    page = client.get("/en/incidents/signaler/").content.decode()
    for slug in problem_types:
        assert f'href="/en/incidents/signaler/{slug}/"' in page
    assert "Sign-in failure" in page and "Phishing report" in page


def test_every_problem_type_form_renders_and_its_required_fields_are_enforced(client, sign_in, marie, problem_types):
    """The nine seeded forms: each renders, and an empty submission is refused on exactly its required rows."""
    signed_in(client, sign_in, marie)
    for slug, problem_type in problem_types.items():
        assert client.get(f"/en/incidents/signaler/{slug}/").status_code == 200
        response = client.post(f"/en/incidents/signaler/{slug}/", {"occurred_at_tz": "Europe/Paris"})
        assert response.status_code == 400, slug
        required = set(problem_type.fields.filter(required=True).values_list("key", flat=True))
        assert set(response.context["form"].errors) == required, slug
    assert local_time()


def test_the_choice_page_says_what_each_problem_type_is_for(client, sign_in, marie, problem_types):
    signed_in(client, sign_in, marie)
    from tickets.seed import DESCRIPTIONS

    page = client.get("/en/incidents/signaler/").content.decode().replace("&#x27;", "'")
    for _french, english in DESCRIPTIONS.values():
        assert f"<p>{english}</p>" in page
