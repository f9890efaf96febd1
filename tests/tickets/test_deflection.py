""" "This solved it" ends the filing: no incident, a helpful vote for the article, a deflection counted."""

import pytest

from kb.models import Feedback
from tests.kb.helpers import make_article
from tickets.models import Deflection, Ticket

pytestmark = pytest.mark.django_db

DEFLECT = "/en/incidents/signaler/echec-connexion/resolu/"


@pytest.fixture
def article():
    return make_article(
        "erreur-token-badvalue", title="Session token error", language="en", errors="token badvalue", body="Close tabs."
    )


def test_this_solved_it_counts_a_deflection_and_a_helpful_vote(client, sign_in, marie, problem_types, article):
    sign_in(client, marie)
    response = client.post(DEFLECT, {"article": article.slug})
    assert response.status_code == 302 and response["Location"] == article.get_absolute_url()
    deflection = Deflection.objects.get()
    assert (deflection.user, deflection.problem_type.slug, deflection.article) == (marie, "echec-connexion", article)
    feedback = Feedback.objects.get()
    assert feedback.helpful is True and feedback.article == article and feedback.user == marie
    assert not Ticket.objects.exists()
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Glad it is solved. No incident was filed." in page


@pytest.mark.parametrize("value", ["", "no-such-article", "../../etc", "x" * 200, "1 OR 1=1"])
def test_a_tampered_article_value_never_gives_a_500(client, sign_in, marie, problem_types, value):
    sign_in(client, marie)
    response = client.post(DEFLECT, {"article": value})
    assert response.status_code in (302, 404)
    assert not Deflection.objects.exists() and not Feedback.objects.exists()


def test_an_article_the_person_may_not_read_cannot_be_used(client, sign_in, marie, problem_types):
    from kb.models import Audience

    hidden = make_article("procedure-interne", title="Internal", language="en", audience=Audience.AGENTS)
    sign_in(client, marie)
    assert client.post(DEFLECT, {"article": hidden.slug}).status_code == 404
    assert not Deflection.objects.exists()


def test_only_signed_in_people_and_post(client, sign_in, marie, problem_types, article):
    assert client.post(DEFLECT, {"article": article.slug}).status_code == 302
    assert not Deflection.objects.exists()
    sign_in(client, marie)
    assert client.get(DEFLECT).status_code == 405
