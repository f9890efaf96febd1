"""What every API client can count on: a schema in any format, documentation pages served from our own files,
documented refusals, clear 400s for bad parameters, refusals in the client's language, and a rate limit."""

import io

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from tests.tickets.helpers import login_failure_answers

pytestmark = pytest.mark.django_db

REFUSALS = {"400", "401", "403", "404", "429"}


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {},  # curl's */*
        {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},  # a browser's
        {"data": {"format": "yaml"}},
        {"data": {"format": "json"}},
    ],
)
def test_the_schema_answers_any_ordinary_request(client, request_kwargs):
    response = client.get("/api/schema/", **request_kwargs)
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)  # JSON is YAML too
    assert schema["info"]["title"] == "Guichet API"
    assert "/api/tickets/" in schema["paths"]


def test_the_schema_command_writes_a_valid_schema_without_a_warning(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target), "--validate", "--fail-on-warn", stderr=io.StringIO())
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


def test_every_operation_documents_its_refusals_and_the_language_parameter(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    operations = [
        (path, method, operation) for path, methods in schema["paths"].items() for method, operation in methods.items()
    ]
    assert len(operations) >= 10
    for path, method, operation in operations:
        assert set(operation["responses"]) >= REFUSALS, (method, path)
        assert "lang" in {parameter["name"] for parameter in operation["parameters"]}, (method, path)
        assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_the_interactive_documentation_is_served_from_our_own_files(client):
    for path in ("/api/docs/", "/api/docs/redoc/"):
        page = client.get(path)
        assert page.status_code == 200
        html = page.content.decode()
        assert "/static/drf_spectacular_sidecar/" in html
        assert "https://" not in html and "http://" not in html, "nothing may come from a CDN"
        assert "script-src 'self'" in page["Content-Security-Policy"]
    script = client.get("/api/docs/", {"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


@pytest.mark.parametrize(
    ("path", "params", "field", "message"),
    [
        ("/api/kb/search/", {"q": "code", "lang": "AAA"}, "lang", "Choose one of these languages: en, fr."),
        ("/api/problem-types/", {"lang": "\x00"}, "lang", "Choose one of these languages: en, fr."),
        ("/api/kb/search/", {"q": "code", "limit": "null"}, "limit", "A valid integer is required."),
        ("/api/kb/search/", {"q": "code", "limit": "0"}, "limit", "Ensure this value is greater than or equal to 1."),
        ("/api/kb/suggest/", {"text": "code", "limit": "99"}, "limit", "less than or equal to 10"),
        ("/api/kb/articles/", {"category": "nope"}, "category", "is not a valid choice"),
        ("/api/kb/articles/", {"page": "1e309"}, "page", "Give a page number"),
        ("/api/tickets/", {"problem_type": "nope"}, "problem_type", "Unknown problem type"),
        ("/api/tickets/", {"status": "lost"}, "status", "is not a valid choice"),
    ],
)
def test_invalid_parameters_get_a_400_that_says_which_and_why(
    client, sign_in, marie, problem_types, path, params, field, message
):
    sign_in(client, marie)
    response = client.get(path, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert message in response.json()[field][0]


def test_filters_narrow_ones_own_incidents(client, sign_in, marie, problem_types):
    sign_in(client, marie)
    answers = {**login_failure_answers(), "problem_type": "echec-connexion"}
    assert client.post("/api/tickets/", answers, content_type="application/json").status_code == 201
    assert client.get("/api/tickets/", {"problem_type": "echec-connexion"}).json()["count"] == 1
    assert client.get("/api/tickets/", {"problem_type": "quota"}).json()["count"] == 0
    assert client.get("/api/tickets/", {"status": "new"}).json()["count"] == 1


@pytest.mark.parametrize(
    ("headers", "words"),
    [({}, "jeton de sécurité"), ({"HTTP_ACCEPT_LANGUAGE": "en"}, "security token")],
)
def test_the_csrf_refusal_speaks_the_clients_language_and_says_what_to_do(marie, problem_types, headers, words):
    client = Client(enforce_csrf_checks=True)
    client.force_login(marie)
    response = client.post("/api/tickets/", {"problem_type": "quota"}, content_type="application/json", **headers)
    assert response.status_code == 403
    assert words in response.json()["detail"]
    assert "X-CSRFToken" in response.json()["detail"]


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({}, "Rien n'a été trouvé à cette adresse"),
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, "Nothing was found at this address"),
    ],
)
def test_not_found_is_json_in_the_clients_language(client, sign_in, marie, problem_types, headers, words):
    sign_in(client, marie)
    for path in ("/api/no-such-thing/", "/api/kb/articles/no-such-article/", "/api/tickets/INC-2026-999999/"):
        response = client.get(path, **headers)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert words in response.json()["detail"], path


def test_too_many_requests_get_a_429_with_the_wait(client, settings):
    settings.GUICHET_RATE_LIMITS = {**settings.GUICHET_RATE_LIMITS, "search": "3/min"}
    statuses = [client.get("/api/kb/search/", {"q": "code", "lang": "en"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/kb/search/", {"q": "code", "lang": "en"})
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith("Too many requests: wait ")
    assert client.get("/api/kb/articles/").status_code == 200  # another bucket


@pytest.mark.parametrize("page", ["9" * 5000, "0", "-1", "²"])
def test_a_page_number_of_any_length_is_answered_never_a_500(client, page):
    response = client.get("/api/kb/articles/", {"page": page})
    assert response.status_code in (400, 404)
