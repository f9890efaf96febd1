"""Redis stopped: the portal degrades instead of falling (issue 16, the cache part).

A real redis-server is started for these tests on a free loopback port and the portal's cache pointed at it; each
test stops it, then does what a person would do and checks what they see. The sign-in lock is in the database and
holds; a limit whose loss would let a script send mail (password reset) refuses, as beyond the limit.
"""

import logging
import shutil
from datetime import timedelta

import pytest
from django.core.cache import cache

from portal.models import AccountLockout, PasswordResetRequest
from portal.web import cache as resilient_cache
from tests.helpers import DEMO_PASSWORD, REQUIRE_SERVICES, solved_challenge
from tests.kb.helpers import make_article
from tests.redis_server import ThrowawayRedis
from tests.tickets.helpers import login_failure_answers
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The cache pointed at a Redis of its own, which is then stopped: every page below runs without it."""
    if not shutil.which("redis-server"):
        if REQUIRE_SERVICES:
            pytest.fail("redis-server is missing")
        pytest.skip("needs redis-server")
    monkeypatch.setattr(resilient_cache, "_warned", {})  # each test sees its first warning
    server = ThrowawayRedis()
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.web.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{server.port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    cache.set("probe", 1)
    assert cache.get("probe") == 1  # the cache really is that server
    server.stop()
    yield server
    server.stop()


def test_home_choice_page_and_form_are_served_and_the_warning_is_logged(client, marie, sign_in, problem_types,
                                                                       redis_down, caplog):  # fmt: skip
    caplog.set_level(logging.WARNING, logger="portal.web.cache")
    assert "Guichet" in client.get("/").text
    sign_in(client, marie)
    assert "Guichet" in client.get("/").text  # the major-incident flag is read from the database
    assert 'href="/incidents/signaler/echec-connexion/"' in client.get("/incidents/signaler/").text
    assert 'name="error_message"' in client.get("/incidents/signaler/echec-connexion/").text
    assert "does not answer" in caplog.text


def test_an_incident_is_filed(client, marie, sign_in, problem_types, redis_down):
    sign_in(client, marie)
    response = client.post("/en/incidents/signaler/echec-connexion/", login_failure_answers())
    assert response.status_code == 302
    assert Ticket.objects.get().requester == marie


def test_the_help_search_answers(client, redis_down):
    make_article("quota-plein", title="Boîte pleine", category="quota", body="Archivez les messages anciens.")
    page = client.get("/aide/recherche/", {"q": "boite pleine"})
    assert page.status_code == 200 and "Boîte pleine" in page.text


def test_sign_in_works_and_the_sixth_attempt_is_locked(client, marie, redis_down, settings):
    settings.GUICHET_RAPID_FIRE_INTERVAL = timedelta(0)  # test requests arrive microseconds apart

    def attempt(password, ip):
        data = {"identifier": "marie.dupont", "password": password, **solved_challenge(ip)}
        return client.post("/compte/connexion/", data, REMOTE_ADDR=ip)

    assert attempt(DEMO_PASSWORD, "198.51.100.1").status_code == 302  # signed in (grace period, no second factor)
    client.logout()
    for number in range(5):
        attempt(f"wrong-{number}", f"203.0.113.{number}")
    refused = attempt(DEMO_PASSWORD, "203.0.113.50")
    assert refused.status_code == 200 and "Identifiant ou mot de passe incorrect" in refused.text
    assert AccountLockout.objects.get(key="marie.dupont").locked_until is not None


def test_a_password_reset_request_is_answered_as_usual_but_dropped(client, marie, redis_down):
    """The reset limit fails closed: without its counter, a script could mail anyone, so the request is dropped
    as beyond the limit, and the page is the one everybody sees (R20)."""
    response = client.post("/compte/mot-de-passe-oublie/", {"identifier": "marie.dupont"})
    assert response.status_code == 302 and response["Location"] == "/compte/mot-de-passe-oublie/envoye/"
    assert not PasswordResetRequest.objects.exists()


def test_the_queue_view_is_served_whole_without_the_cache(marie, sophie, sign_in, problem_types, redis_down):
    from django.test import Client

    from tests.tickets.test_desk import make, references

    made = make(marie, problem_types["quota"], 3)
    agent = sign_in(Client(), sophie)
    for _ in range(2):  # nothing can be kept: each answer is written whole, with its rows
        response = agent.get("/en/espace-agents/")
        assert response.status_code == 200 and "Incident queues" in response.text
        assert references(response) == [ticket.reference for ticket in reversed(made)]
