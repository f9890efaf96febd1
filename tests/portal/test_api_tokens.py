"""Personal API tokens (R42): issued only after the second factor, shown once and stored hashed, scoped, expiring,
listed and revoked on the security page, ended by a password change, "sign out my other sessions" or deactivation,
and checked with the sign-in counters of the client address."""

import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client

from portal.models import ApiToken, EventKind, SecurityEvent
from tests.helpers import DEMO_PASSWORD
from tests.tickets.helpers import login_failure_answers

pytestmark = pytest.mark.django_db

ADD = "/en/compte/securite/jetons/ajouter/"


def create_token(client, *, scopes=("read",), days=30, name="Inventory script") -> str:
    response = client.post(ADD, {"name": name, "scopes": list(scopes), "days": days})
    assert response.status_code == 200, response.content.decode()[:500]
    return re.search(r'value="(gch_[^"]+)"', response.content.decode()).group(1)


def program(token: str, **extra) -> Client:
    """A program holding the token: no cookies, no CSRF token, just the header."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def test_a_verified_person_creates_a_token_that_is_shown_once_and_stored_hashed(client, sign_in, marie):
    sign_in(client, marie)
    token = create_token(client)
    assert re.fullmatch(r"gch_[0-9a-f]{8}_[\w-]{40,}", token)
    row = ApiToken.objects.get()
    assert row.scopes == ["read"] and row.user == marie
    with connection.cursor() as cursor:  # grey-box: no column holds the secret or the whole token
        cursor.execute("SELECT * FROM portal_apitoken")
        assert not any(token.split("_", 2)[2] in str(value) for value in cursor.fetchone())
    page = client.get("/en/compte/securite/").content.decode()
    assert "Inventory script" in page and token not in page  # listed, never shown again
    assert SecurityEvent.objects.filter(kind=EventKind.API_TOKEN_CREATED, user=marie).exists()


def test_no_token_without_a_second_factor_checked_just_now(client, sign_in, marie, clock):
    client.force_login(marie)  # signed in, second factor not checked in this session
    response = client.get(ADD)
    assert response.status_code == 302 and urlsplit(response["Location"]).path != ADD  # sent to enrol first
    sign_in(client, marie)
    clock.advance(minutes=10)  # verified, but not recently: confirm it is you first
    response = client.post(ADD, {"name": "x", "scopes": ["read"], "days": 7})
    assert response.status_code == 302 and "/compte/confirmer/" in response["Location"]
    assert not ApiToken.objects.exists()


def test_a_token_reads_and_files_within_its_scopes_only(client, sign_in, marie, problem_types):
    sign_in(client, marie)
    reader = program(create_token(client, scopes=("read",)))
    assert reader.get("/api/tickets/").status_code == 200
    answers = {**login_failure_answers(), "problem_type": "echec-connexion"}
    refused = reader.post("/api/tickets/", answers, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403 and "“file” scope" in refused.json()["detail"]
    filer = program(create_token(client, scopes=("read", "file")))
    assert filer.post("/api/tickets/", answers, content_type="application/json").status_code == 201  # no CSRF needed


def test_an_agents_token_needs_the_agent_scope_which_staff_cannot_give(client, sign_in, sophie, marie):
    sign_in(client, marie)
    assert client.post(ADD, {"name": "x", "scopes": ["agent"], "days": 7}).status_code == 200
    assert not ApiToken.objects.exists()  # refused: not a choice for staff
    sign_in(client, sophie)
    plain = program(create_token(client, scopes=("read",)))
    refused = plain.get("/api/tickets/", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403 and "agent scope" in refused.json()["detail"]
    assert program(create_token(client, scopes=("read", "agent"))).get("/api/tickets/").status_code == 200


@pytest.mark.parametrize("ending", ["revoke", "password change", "sign out elsewhere", "deactivation", "expiry"])
def test_a_token_ends(client, sign_in, marie, clock, ending):
    sign_in(client, marie)
    token = create_token(client, days=7)
    holder = program(token)
    assert holder.get("/api/tickets/").status_code == 200
    if ending == "revoke":
        row = ApiToken.objects.get()
        assert client.post(f"/en/compte/securite/jetons/{row.prefix}/revoquer/").status_code == 302
    elif ending == "password change":
        new = "une phrase de passe toute neuve"
        client.post("/compte/mot-de-passe/", {"current_password": DEMO_PASSWORD, "new_password": new,
                                              "confirmation": new})  # fmt: skip
    elif ending == "sign out elsewhere":
        client.post("/compte/securite/deconnecter-autres-sessions/")
    elif ending == "deactivation":
        marie.is_active = False
        marie.save()
    else:
        clock.advance(days=8)
    refused = holder.get("/api/tickets/", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code in (401, 403)
    assert "not valid" in refused.json()["detail"]


def test_wrong_tokens_count_as_failed_sign_ins_from_the_address(client, marie, settings):
    settings.GUICHET_SOURCE_FAILURE_LIMIT = 5
    guesser = program("gch_00000000_" + "x" * 43)
    for _ in range(5):
        assert guesser.get("/api/tickets/").status_code in (401, 403)
    blocked = guesser.get("/api/tickets/")
    assert blocked.status_code == 429 and "Retry-After" in blocked
    # The same counter as sign-in: the right password from this address is refused now too.
    response = client.post("/compte/connexion/", {"identifier": marie.username, "password": DEMO_PASSWORD})
    assert response.status_code == 429


def test_the_schema_declares_bearer_tokens(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    assert schema["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"
