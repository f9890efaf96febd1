""" "Did this solve your problem?": readers answer once per article, agents see which articles fail to help."""

import pytest

from kb.models import Feedback
from kb.services import articles_failing_to_help
from tests.kb.helpers import corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles():
    return corpus()


def answer(client, slug, helpful, comment="", language_prefix=""):
    data = {"helpful": "yes" if helpful else "no", "comment": comment}
    return client.post(f"{language_prefix}/aide/{slug}/avis/", data)


def test_a_reader_answers_without_javascript_and_comes_back_to_the_article(client, articles):
    response = answer(client, "mot-de-passe-oublie", False, "Le lien de réinitialisation manque.")
    assert response.status_code == 302
    assert response["Location"] == "/aide/mot-de-passe-oublie/#feedback"
    feedback = Feedback.objects.get()
    assert (feedback.article, feedback.helpful) == (articles["password"], False)
    assert feedback.comment == "Le lien de réinitialisation manque."
    page = client.get("/en/aide/mot-de-passe-oublie/")  # the English version: another article, another answer
    assert 'action="/en/aide/mot-de-passe-oublie/avis/"' in page.content.decode()


def test_one_answer_per_article_and_session(client, articles):
    answer(client, "mot-de-passe-oublie", True)
    answer(client, "mot-de-passe-oublie", True)
    answer(client, "mot-de-passe-oublie", False)
    assert Feedback.objects.count() == 1
    html = client.get("/aide/mot-de-passe-oublie/").content.decode()
    assert 'action="/aide/mot-de-passe-oublie/avis/"' not in html  # the form is replaced by a thank-you


def test_a_missing_choice_is_explained_next_to_the_form(client, articles):
    response = client.post("/en/aide/mot-de-passe-oublie/avis/", {"comment": "?"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="form-errors" role="alert"' in html
    assert "Choose yes or no." in html
    assert not Feedback.objects.exists()


def test_no_feedback_on_articles_the_reader_cannot_see(client, articles):
    assert answer(client, "procedure-deverrouillage", False).status_code == 404
    assert answer(client, "brouillon-vpn", False).status_code == 404
    assert not Feedback.objects.exists()


def test_signed_in_answers_remember_who_gave_them(client, articles, marie, sign_in):
    sign_in(client, marie)
    answer(client, "archivage-annuel", True)
    assert Feedback.objects.get().user == marie


def test_overlong_comments_are_refused(client, articles):
    response = answer(client, "mot-de-passe-oublie", False, "x" * 1001)
    assert response.status_code == 400
    assert not Feedback.objects.exists()


def _votes(article, yes, no):
    for _ in range(yes):
        Feedback.objects.create(article=article, helpful=True)
    for number in range(no):
        Feedback.objects.create(article=article, helpful=False, comment=f"Manque {number}" if number < 5 else "")


def test_agents_see_the_articles_that_most_often_fail_to_help(client, articles, sophie, sign_in):
    _votes(articles["password"], yes=10, no=2)
    _votes(articles["token"], yes=1, no=6)
    _votes(articles["security"], yes=5, no=0)
    rows = articles_failing_to_help(days=90)
    assert [(row.article.slug, row.no, row.yes) for row in rows] == [
        ("erreur-token-badvalue", 6, 1),
        ("mot-de-passe-oublie", 2, 10),
    ]
    assert rows[0].failure_rate == 86
    assert [feedback.comment for feedback in rows[0].comments] == ["Manque 4", "Manque 3", "Manque 2"]

    sign_in(client, sophie)
    html = client.get("/en/aide/retours/").content.decode()
    assert html.index("Erreur de jeton de session") < html.index("Mot de passe oublié")
    assert "Sécurité sur un ordinateur partagé" not in html
    assert "Manque 4" in html


def test_old_answers_leave_the_period(articles, clock):
    _votes(articles["token"], yes=0, no=3)
    clock.advance(days=31)
    assert articles_failing_to_help(days=30) == []
    assert len(articles_failing_to_help(days=90)) == 1


def test_the_failing_list_is_for_agents_only(client, articles, marie, sign_in):
    response = client.get("/aide/retours/")
    assert response.status_code == 302
    sign_in(client, marie)
    assert client.get("/aide/retours/").status_code == 403


def test_agents_see_the_counts_on_the_article_page(client, articles, sophie, sign_in):
    _votes(articles["english"], yes=3, no=1)
    sign_in(client, sophie)
    html = client.get("/en/aide/mot-de-passe-oublie/").content.decode()
    assert "Feedback: 3 found it helpful, 1 did not." in html
    assert "found it helpful" not in client.get("/en/").content.decode()


def test_the_thanks_appear_in_the_feedback_section(client, articles):
    response = answer(client, "mot-de-passe-oublie", True, language_prefix="/en")
    assert response["Location"] == "/en/aide/mot-de-passe-oublie/#feedback"
    html = client.get("/en/aide/mot-de-passe-oublie/").content.decode()
    section = html[html.index('id="feedback"') :]
    assert '<p role="status">Thank you: your answer for this article is recorded.</p>' in section
