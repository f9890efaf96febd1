"""Rate limits where a script could flood: per person when signed in, per address otherwise (sign-in's reading of
the address), in the shared cache, with 429 and Retry-After; a shared school network gets more room."""

import pytest
from django.test import Client

from kb.models import Feedback
from tests.kb.helpers import corpus
from tests.tickets.helpers import login_failure_answers
from tickets.models import MajorIncident, Ticket

pytestmark = pytest.mark.django_db


def until_refused(send, *, at_most=50):
    """How many requests went through before the first 429, and that 429."""
    for number in range(at_most):
        response = send()
        if response.status_code == 429:
            return number, response
    raise AssertionError(f"no 429 after {at_most} requests")


def test_the_help_search_page_is_limited_per_address(client, settings):
    corpus()
    settings.GUICHET_RATE_LIMITS = {**settings.GUICHET_RATE_LIMITS, "search": "5/min"}
    allowed, refused = until_refused(lambda: client.get("/en/aide/recherche/", {"q": "mot de passe"}))
    assert allowed == 5
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "Too many requests: wait" in refused.content.decode()
    other = Client(REMOTE_ADDR="198.51.100.9")
    assert other.get("/en/aide/recherche/", {"q": "code"}).status_code == 200  # another address, another count


def test_a_shared_school_network_gets_more_room(client, settings):
    settings.GUICHET_RATE_LIMITS = {**settings.GUICHET_RATE_LIMITS, "search": "2/min"}
    settings.GUICHET_SHARED_EGRESS_NETWORKS = ["203.0.113.0/24"]
    settings.GUICHET_SHARED_EGRESS_RATE_FACTOR = 10
    school = Client(REMOTE_ADDR="203.0.113.40")
    allowed, _refused = until_refused(lambda: school.get("/api/kb/search/", {"q": "code"}), at_most=40)
    assert allowed == 20


def test_filing_is_limited_per_person_and_correcting_a_refused_form_costs_nothing(
    client, sign_in, marie, problem_types, settings
):
    settings.GUICHET_RATE_LIMITS = {**settings.GUICHET_RATE_LIMITS, "filing": "2/hour"}
    sign_in(client, marie)
    form = "/en/incidents/signaler/echec-connexion/"
    for _ in range(5):
        assert client.post(form, login_failure_answers(url="")).status_code == 400  # refused by the form
    assert client.post(form, login_failure_answers()).status_code == 302
    api = client.post("/api/tickets/", {**login_failure_answers(), "problem_type": "echec-connexion"},
                      content_type="application/json")  # fmt: skip
    assert api.status_code == 201  # the page and the API share one count
    refused = client.post(form, login_failure_answers())
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert Ticket.objects.count() == 2


def test_im_affected_too_and_replies_are_limited(client, sign_in, marie, sophie, problem_types, settings):
    settings.GUICHET_RATE_LIMITS = {**settings.GUICHET_RATE_LIMITS, "affected": "3/hour", "reply": "2/hour"}
    incident = MajorIncident.objects.create(
        title_fr="Panne", title_en="Outage", problem_type=problem_types["echec-connexion"], opened_by=sophie
    )
    sign_in(client, marie)
    allowed, refused = until_refused(
        lambda: client.post(f"/en/incidents/incidents-majeurs/{incident.pk}/je-suis-concerne/")
    )
    assert allowed == 3 and "Retry-After" in refused
    client.post("/en/incidents/signaler/echec-connexion/", login_failure_answers())
    reference = Ticket.objects.get().reference
    allowed, _ = until_refused(lambda: client.post(f"/en/incidents/{reference}/repondre/", {"body": "Toujours là."}))
    assert allowed == 2


def test_api_calls_are_limited_per_person(client, sign_in, marie, problem_types, settings):
    settings.GUICHET_RATE_LIMITS = {**settings.GUICHET_RATE_LIMITS, "api": "4/min"}
    sign_in(client, marie)
    allowed, refused = until_refused(lambda: client.get("/api/problem-types/", HTTP_ACCEPT_LANGUAGE="en"))
    assert allowed == 4
    assert refused.json()["detail"].startswith("Too many requests: wait")
    assert int(refused["Retry-After"]) > 0


def test_feedback_answers_are_limited(client, settings):
    corpus()
    settings.GUICHET_RATE_LIMITS = {**settings.GUICHET_RATE_LIMITS, "feedback": "3/hour"}
    allowed, _ = until_refused(
        lambda: Client().post("/en/aide/mot-de-passe-oublie/avis/", {"helpful": "no"}), at_most=10
    )
    assert allowed == 3  # fresh sessions from one address share the address's count
    assert Feedback.objects.count() <= 3


def test_fifty_fresh_sessions_from_one_address_weigh_as_one_reader(settings):
    corpus()
    for _ in range(50):
        Client().post("/en/aide/mot-de-passe-oublie/avis/", {"helpful": "no", "comment": "Rien compris."})
    assert Feedback.objects.filter(helpful=False).count() == 1
    Client(REMOTE_ADDR="198.51.100.20").post("/en/aide/mot-de-passe-oublie/avis/", {"helpful": "yes"})
    assert Feedback.objects.count() == 2  # another reader counts
    assert all(len(row.source) == 16 and "." not in row.source for row in Feedback.objects.all())  # no address kept


def test_a_signed_in_person_answers_once_per_article_and_may_change_their_mind(client, sign_in, marie):
    corpus()
    sign_in(client, marie)
    client.post("/en/aide/mot-de-passe-oublie/avis/", {"helpful": "no"})
    session = client.session
    session["kb_feedback_given"] = []  # another browser of the same person
    session.save()
    client.post("/en/aide/mot-de-passe-oublie/avis/", {"helpful": "yes"})
    assert list(Feedback.objects.values_list("helpful", flat=True)) == [True]


def test_the_api_429_says_the_wait_once(client, settings):
    settings.GUICHET_RATE_LIMITS = {**settings.GUICHET_RATE_LIMITS, "search": "1/min"}
    client.get("/api/kb/suggest/", {"text": "code", "lang": "en"})
    refused = client.get("/api/kb/suggest/", {"text": "code", "lang": "en"})
    wait = int(refused["Retry-After"])
    assert refused.json() == {
        "detail": f"Too many requests: wait {wait} second{'s' if wait > 1 else ''} and try again."
    }
