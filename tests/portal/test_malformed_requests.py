"""No request, however malformed, gets a 500: each of these gets a 4xx with a short message in its language.

Replayed with DEBUG off (as in production) through the whole middleware chain, a CSRF cookie set as a browser would
have it, on the pages and API addresses a visitor or a signed-in person can reach.
"""

import pytest
from django.test import Client

from tests.helpers import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "a" * 32
FORM = "application/x-www-form-urlencoded"
DEEP_JSON = "[" * 100_000 + "]" * 100_000
MANY_PARAMETERS = "&".join(f"p{number}=1" for number in range(1500))
TRUNCATED_MULTIPART = b'--XX\r\nContent-Disposition: form-data; name="identifier"\r\n\r\nmarie'
SIGN_IN = "/compte/connexion/"


@pytest.fixture
def visitor():
    client = Client(raise_request_exception=False, enforce_csrf_checks=True)
    client.cookies["csrftoken"] = TOKEN
    return client


@pytest.fixture
def person(visitor, sign_in, marie, problem_types):
    return sign_in(visitor, marie)


def post(client, path, body, content_type, *, csrf_header=True):
    headers = {"HTTP_X_CSRFTOKEN": TOKEN} if csrf_header else {}
    return client.generic("POST", path, body, content_type=content_type, **headers)


CASES = {
    # The CSRF check looks for the token in the body, which cannot be decoded.
    "utf-16 form on sign-in": lambda c: post(
        c, SIGN_IN, "a=b".encode("utf-16"), f"{FORM}; charset=utf-16", csrf_header=False
    ),
    "utf-16 form to the API": lambda c: post(
        c, "/api/tickets/", "a=b".encode("utf-16"), f"{FORM}; charset=utf-16", csrf_header=False
    ),
    "utf-16 form on the help feedback": lambda c: post(
        c, "/aide/mot-de-passe-oublie/avis/", "helpful=yes".encode("utf-16"), f"{FORM}; charset=utf-16"
    ),
    "unknown charset": lambda c: post(c, SIGN_IN, b"a=b", f"{FORM}; charset=x-nope"),
    "JSON nested 100,000 deep": lambda c: post(c, "/api/tickets/", DEEP_JSON, "application/json"),
    "1,500 query parameters": lambda c: c.get("/aide/recherche/?" + MANY_PARAMETERS),
    "1,500 form fields": lambda c: post(c, SIGN_IN, MANY_PARAMETERS, FORM),
    "truncated multipart": lambda c: post(c, SIGN_IN, TRUNCATED_MULTIPART, "multipart/form-data; boundary=XX"),
    "multipart without boundary": lambda c: post(c, SIGN_IN, b"identifier=x", "multipart/form-data"),
    "a field of 3 MB": lambda c: post(c, SIGN_IN, "identifier=" + "x" * 3_000_000, FORM),
    "a field of 1 MB": lambda c: post(c, SIGN_IN, "identifier=" + "x" * 1_000_000 + "&password=y", FORM),
    "page=1e309 on a category": lambda c: c.get("/aide/categorie/connection/", {"page": "1e309"}),
    "page=1e309 on my incidents": lambda c: c.get("/incidents/", {"ouverts": "1e309", "clos": "-1"}),
    "lang=%00 on the API": lambda c: c.get("/api/kb/search/?lang=%00"),
    "next=%FF on sign-in": lambda c: c.get(SIGN_IN + "?next=%FF"),
    "next=foo on sign-in": lambda c: c.get(SIGN_IN + "?next=foo"),
}


@pytest.mark.parametrize("case", CASES)
def test_malformed_requests_from_a_visitor_get_a_4xx(visitor, problem_types, case):
    response = CASES[case](visitor)
    assert response.status_code < 500, (case, response.status_code)


@pytest.mark.parametrize("case", CASES)
def test_malformed_requests_from_a_signed_in_person_get_a_4xx(person, case):
    response = CASES[case](person)
    assert response.status_code < 500, (case, response.status_code)


@pytest.mark.parametrize(
    "next_value", ["foo", "kb:home", "//evil.example/", "/\\evil.example", "https://evil.example/"]
)
def test_a_next_that_is_not_a_local_path_leads_home_after_a_successful_sign_in(client, marie, next_value):
    """The password is accepted and the session saved, then the person lands on the home page."""
    response = client.post(SIGN_IN, {"identifier": marie.username, "password": DEMO_PASSWORD, "next": next_value})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/incidents/").status_code == 200  # signed in


def test_a_local_next_is_followed(client, marie):
    response = client.post(SIGN_IN, {"identifier": marie.username, "password": DEMO_PASSWORD, "next": "/aide/"})
    assert response["Location"] == "/aide/"


def test_the_code_step_and_im_affected_too_ignore_a_bare_word_next(client, marie, sign_in, problem_types):
    from tests.helpers import enrol_totp, totp_now

    device = enrol_totp(marie)
    client.post(SIGN_IN, {"identifier": marie.username, "password": DEMO_PASSWORD})
    response = client.post("/compte/connexion/code/", {"code": totp_now(device), "next": "foo"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/incidents/").status_code == 200
