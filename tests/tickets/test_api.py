"""The incident API files through the web form's validation, lists only one's own incidents, and is in the schema."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.helpers import enrol_totp
from tests.tickets.helpers import PNG, login_failure_answers
from tickets.forms import IncidentForm
from tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db

TICKETS = "/api/tickets/"


def api_answers(**overrides):
    answers = {**login_failure_answers(), "problem_type": "echec-connexion", "other_browser_tried": False}
    answers.update(overrides)
    return answers


def test_problem_types_come_with_their_fields(client, sign_in, marie, problem_types):
    sign_in(client, marie)
    response = client.get("/api/problem-types/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    types = {item["slug"]: item for item in response.json()}
    assert len(types) == 9
    fields = {field["key"]: field for field in types["echec-connexion"]["fields"]}
    assert fields["error_message"] == {
        "key": "error_message",
        "label": "Exact error message",
        "type": "text",
        "required": True,
        "help_text": "Copy it exactly as shown, or pick it from the list of known messages as you type.",
        "choices": [],
    }
    assert fields["other_browser_tried"]["type"] == "yes_no"
    assert [choice["value"] for choice in fields["other_browser_tried"]["choices"]] == ["yes", "no", "not_applicable"]
    assert fields["otp_involved"]["choices"][2] == {"value": "unknown", "label": "I don't know"}
    # The questions the design requires are required answers, "I don't know" being one of them.
    for key in ("other_browser_tried", "other_network_tried", "otp_involved", "sso_involved"):
        assert fields[key]["required"] is True, key
    assert fields["occurred_at"]["type"] == "datetime"
    assert {field["key"] for field in types["hameconnage"]["fields"]} >= {"suspicious_message", "description"}


def test_a_ticket_is_filed_through_the_api_with_json(client, sign_in, marie, problem_types):
    sign_in(client, marie)
    an_hour_ago = (timezone.now() - timedelta(hours=1)).astimezone(ZoneInfo("America/Cayenne"))
    answers = api_answers(occurred_at=an_hour_ago.isoformat(), occurred_at_tz="")
    answers.pop("identifier")  # defaults to the requester's, as on the web form
    response = client.post(TICKETS, answers, content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    ticket = Ticket.objects.get()
    assert body["reference"] == ticket.reference
    assert body["status"] == "new" and body["problem_type"] == "echec-connexion"
    assert ticket.data["identifier"] == "marie.dupont"
    assert ticket.data["other_browser_tried"] == "no"  # JSON false is read as the answer "no"
    assert ticket.data["occurred_at"] == an_hour_ago.astimezone(ZoneInfo("Europe/Paris")).isoformat()


def test_missing_required_fields_get_the_same_errors_as_the_web_form(client, sign_in, marie, problem_types):
    sign_in(client, marie)
    answers = api_answers()
    for key in ("error_message", "url", "browser", "other_browser_tried"):
        answers.pop(key)
    response = client.post(TICKETS, answers, content_type="application/json")
    assert response.status_code == 400
    assert not Ticket.objects.exists()
    errors = response.json()
    assert set(errors) == {"error_message", "url", "browser", "other_browser_tried"}
    # French unless the client asks otherwise.
    assert errors["other_browser_tried"] == ["Choisissez oui, non ou «\u00a0impossible\u00a0»."]
    # The very messages the web form shows for the same answers.
    from django.test import RequestFactory

    from tickets.forms import fill_context

    request = RequestFactory().get("/")
    request.user = marie
    form_data = {key: value for key, value in login_failure_answers().items() if key not in errors}
    form = IncidentForm(form_data, problem_type=problem_types["echec-connexion"], context=fill_context(request))
    assert not form.is_valid()
    assert {key: list(messages) for key, messages in form.errors.items()} == errors


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"problem_type": "nope"}, "problem_type"),
        ({"problem_type": ["echec-connexion"]}, "problem_type"),
        ({"problem_type": None}, "problem_type"),
        (api_answers(description={"nested": "object"}), "description"),
        (api_answers(occurred_at="9999-12-31T23:59:00Z"), "occurred_at"),
        (api_answers(occurred_at="2026-02-30T10:00:00"), "occurred_at"),
        (api_answers(occurred_at="2026-01-01T10:00:00+99:00"), "occurred_at"),
        (api_answers(occurred_at_tz="Nowhere/Land"), "occurred_at_tz"),
        (api_answers(description="\x00"), "description"),
        (api_answers(title="x" * 100_000), "title"),  # not asked by this type, yet longer than the schema allows
        (api_answers(title="Not asked by this type"), None),
        (api_answers(description=12), "description"),
        (api_answers(description=False), "description"),
        (api_answers(other_browser_tried=3), "other_browser_tried"),
    ],
)
def test_bad_api_input_gets_field_errors_never_a_500(client, sign_in, marie, problem_types, payload, field):
    sign_in(client, marie)
    response = client.post(TICKETS, payload, content_type="application/json")
    if field is None:  # a field this problem type does not ask is ignored
        assert response.status_code == 201
        assert "title" not in Ticket.objects.get().data
        return
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_a_body_that_is_not_an_object_is_refused(client, sign_in, marie, problem_types):
    sign_in(client, marie)
    response = client.post(TICKETS, [1, 2], content_type="application/json")
    assert response.status_code == 400
    response = client.post(TICKETS, "not json", content_type="application/json")
    assert response.status_code == 400


def test_files_go_through_multipart(client, sign_in, marie, problem_types):
    sign_in(client, marie)
    screenshot = SimpleUploadedFile("écran.png", PNG, content_type="text/html")
    answers = {**login_failure_answers(), "problem_type": "echec-connexion", "screenshots": [screenshot]}
    response = client.post(TICKETS, answers)
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.content_type) == ("écran.png", "image/png")


def test_the_list_holds_only_ones_own_tickets(client, sign_in, marie, jean, problem_types):
    sign_in(client, marie)
    client.post(TICKETS, api_answers(), content_type="application/json")
    other = sign_in(Client(), jean)
    other.post(TICKETS, api_answers(identifier="jean.martin"), content_type="application/json")
    mine = client.get(TICKETS).json()
    assert mine["count"] == 1
    assert mine["results"][0]["data"]["identifier"] == "marie.dupont"


def test_someone_elses_reference_is_not_found_like_a_missing_one(client, sign_in, marie, jean, sophie, problem_types):
    sign_in(client, marie)
    reference = client.post(TICKETS, api_answers(), content_type="application/json").json()["reference"]
    assert client.get(f"{TICKETS}{reference}/").status_code == 200
    other = sign_in(Client(), jean)
    missing = other.get(f"{TICKETS}INC-2099-999999/")
    hidden = other.get(f"{TICKETS}{reference}/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    assert other.get(f"{TICKETS}not-a-reference/").status_code == 404
    helpdesk = sign_in(Client(), sophie)
    detail = helpdesk.get(f"{TICKETS}{reference}/").json()
    assert detail["reference"] == reference
    assert detail["events"][0]["kind"] == "tickets.ticket.created"


def test_an_agent_without_a_checked_second_factor_is_refused(sophie, problem_types):
    enrol_totp(sophie)
    client = Client()
    client.force_login(sophie)
    assert client.get(TICKETS).status_code == 403
    assert client.post(TICKETS, api_answers(), content_type="application/json").status_code == 403
    assert not Ticket.objects.exists()


def test_signed_out_requests_are_refused(client, problem_types):
    assert client.get(TICKETS).status_code == 403
    assert client.get("/api/problem-types/").status_code == 403


def test_the_schema_describes_the_incident_api(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json() if response["Content-Type"].startswith("application/json") else None
    if schema is None:
        import yaml

        schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    for path in (
        "/api/tickets/",
        "/api/tickets/{reference}/",
        "/api/problem-types/",
        "/api/major-incidents/",
        "/api/major-incidents/{id}/affected/",
    ):
        assert path in paths, path
    create = paths["/api/tickets/"]["post"]["requestBody"]["content"]
    assert "application/json" in create and "multipart/form-data" in create
    properties = schema["components"]["schemas"]["TicketCreate"]["properties"]
    assert {"problem_type", "identifier", "occurred_at", "error_message", "screenshots"} <= set(properties)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "Choisissez oui, non ou «\u00a0impossible\u00a0»."),
        ({"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.8"}, "Choose yes, no or “not possible”."),
    ],
)
def test_the_api_answers_in_the_language_the_client_asks_for(client, sign_in, marie, problem_types, headers, expected):
    sign_in(client, marie)
    answers = api_answers()
    answers.pop("other_browser_tried")
    response = client.post(TICKETS, answers, content_type="application/json", **headers)
    assert response.json()["other_browser_tried"] == [expected]


def test_refusals_before_the_view_follow_the_requested_language_too(client):
    assert "authentification" in client.get(TICKETS).json()["detail"].lower()
    assert "credentials" in client.get(TICKETS, HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert "credentials" in client.get(TICKETS + "?lang=en").json()["detail"]


def test_a_type_without_an_identifier_question_files_and_reads_answers_as_the_form_does(
    client, sign_in, marie, problem_types
):
    """Fields a problem type does not ask are checked as sent (true for a question is valid), never as defaulted."""
    from tickets.models import ProblemTypeField

    ProblemTypeField.objects.filter(problem_type__slug="quota", key="identifier").delete()
    sign_in(client, marie)
    answers = {"problem_type": "quota", "description": "Boîte pleine.", "vpn_used": True}
    response = client.post(TICKETS, answers, content_type="application/json")
    assert response.status_code == 201, response.json()
