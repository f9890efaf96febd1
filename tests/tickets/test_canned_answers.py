"""Canned answers and "solved by this article": the answer goes in the requester's language with the article's
address (without JavaScript, the page comes back with the text filled in), and an incident solved by an article
counts for it."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client

from kb.models import Audience, Status
from tests.kb.helpers import make_article
from tests.tickets.test_desk import QUOTA, SIGN_IN_FAILURE, make, page
from tickets.models import ArticleSolution, CannedAnswer, TicketEvent, TicketEventKind, TicketStatus
from tickets.seed import canned_answers_seed
from tickets.services import TicketActionRefused
from tickets.solutions import ticket_solve_with_article

pytestmark = pytest.mark.django_db

SITE = "http://testserver"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def settings_article():
    french = make_article("parametres-messagerie", title="Paramètres de messagerie", category="mail-clients")
    make_article("parametres-messagerie", title="Mail settings", language="en", category="mail-clients")
    return french


@pytest.fixture
def canned(settings_article, problem_types):
    return CannedAnswer.objects.create(
        title_fr="Paramètres du logiciel",
        title_en="Mail client settings",
        body_fr="Bonjour, voici les réglages.",
        body_en="Hello, here are the settings.",
        article=settings_article,
        queue=problem_types[QUOTA].queue,
    )


def reply_path(ticket) -> str:
    return f"/en/incidents/{ticket.reference}/repondre/"


def test_inserting_without_javascript_fills_the_message_in_the_requesters_language(
    marie, sophie, problem_types, sign_in, canned
):
    marie.language = "en"
    marie.save(update_fields=["language"])
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    agent = sign_in(Client(), sophie)
    response = agent.post(
        f"/incidents/{ticket.reference}/repondre/",
        {"insert": "1", "canned": str(canned.pk), "body": "Déjà tapé.", "visibility": "note"},
    )
    assert response.status_code == 200
    form = response.context["reply_form"]
    assert (
        form.initial["body"] == f"Déjà tapé.\n\nHello, here are the settings.\n\n{SITE}/en/aide/parametres-messagerie/"
    )
    assert form.initial["visibility"] == "note", "the agent's choice is kept"
    assert response.context["solved_form"].initial["article"] == "parametres-messagerie"
    assert not TicketEvent.objects.filter(ticket=ticket).exists(), "inserting saves nothing"


def test_each_option_carries_its_text_for_the_script_and_other_queues_answers_are_not_offered(
    marie, sophie, problem_types, sign_in, canned
):
    CannedAnswer.objects.create(title_fr="Inactif", title_en="Inactive", body_fr="x", body_en="x", is_active=False)
    CannedAnswer.objects.create(title_fr="Pour tous", title_en="For everyone", body_fr="Merci.", body_en="Thanks.")
    quota = make(marie, problem_types[QUOTA], 1)[0]
    login = make(marie, problem_types[SIGN_IN_FAILURE], 1, start=1)[0]
    agent = sign_in(Client(), sophie)
    text = page(agent.get(f"/en/incidents/{quota.reference}/"))
    assert f'data-text="Bonjour, voici les réglages.\n\n{SITE}/aide/parametres-messagerie/"' in text
    assert 'data-article="parametres-messagerie"' in text and "For everyone" in text and "Inactive" not in text
    assert "/static/js/canned-answers.js" in text
    other = page(agent.get(f"/en/incidents/{login.reference}/"))
    assert "Mail client settings" not in other and "For everyone" in other


def test_a_stale_or_missing_choice_is_said_and_never_blocks_a_reply(marie, sophie, problem_types, sign_in, canned):
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    agent = sign_in(Client(), sophie)
    response = agent.post(reply_path(ticket), {"insert": "1", "canned": "999", "body": "Mon texte"})
    assert response.status_code == 200 and "Choose a canned answer to insert." in page(response)
    assert response.context["reply_form"].initial["body"] == "Mon texte"
    sent = agent.post(reply_path(ticket), {"canned": "999", "body": "Réponse."})
    assert sent.status_code == 302 and TicketEvent.objects.filter(kind=TicketEventKind.REPLIED).count() == 1


def test_canned_answers_are_edited_with_their_own_permission(sophie, sign_in, problem_types):
    admin_add = "/admin/tickets/cannedanswer/add/"
    agent = sign_in(Client(), sophie)
    assert agent.get("/admin/tickets/cannedanswer/").status_code == 200, "agents read them"
    assert agent.get(admin_add).status_code == 403
    sophie.user_permissions.add(*Permission.objects.filter(codename__in=["add_cannedanswer", "change_cannedanswer"]))
    assert sign_in(Client(), sophie).get(admin_add).status_code == 200


def test_the_demo_seeds_answers_linking_real_articles_once(problem_types):
    make_article("cache-cookies", title="Vider le cache", category="browser")
    make_article("parametres-messagerie", title="Paramètres", category="mail-clients")
    assert canned_answers_seed() >= 3
    assert canned_answers_seed() == 0, "never twice"
    linked = dict(CannedAnswer.objects.exclude(article=None).values_list("title_en", "article__slug"))
    assert linked["Mail client settings"] == "parametres-messagerie"
    assert linked["Clear the browser cache"] == "cache-cookies"
    assert CannedAnswer.objects.get(title_en="Try another network (4G)").article is None, "its article is not loaded"


# --- Solved by this article --------------------------------------------------------------------------------------


def test_solved_by_an_article_replies_with_its_link_solves_and_counts(marie, sophie, problem_types, settings_article):
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    mail.outbox.clear()
    ticket_solve_with_article(ticket=ticket, article=settings_article, by=sophie)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED and ticket.can_reopen()
    reply = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.REPLIED)
    assert reply.public and reply.body.endswith(f"Paramètres de messagerie\n{SITE}/aide/parametres-messagerie/")
    recorded = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.SOLVED_BY_ARTICLE)
    assert not recorded.public and recorded.data["article"] == "parametres-messagerie"
    assert ArticleSolution.objects.get().article == settings_article
    assert {message.to[0] for message in mail.outbox} == {"marie.dupont@ac-exemple.fr"}


def test_an_english_requester_gets_the_english_version(marie, sophie, problem_types, settings_article):
    marie.language = "en"
    marie.save(update_fields=["language"])
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    ticket_solve_with_article(ticket=ticket, article=settings_article, by=sophie, body="See this guide.")
    reply = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.REPLIED)
    assert reply.body == f"See this guide.\n\nMail settings\n{SITE}/en/aide/parametres-messagerie/"
    assert ArticleSolution.objects.get().article.language == "en"


def test_a_closed_ticket_is_not_solved_by_an_article_and_nothing_is_left(
    marie, sophie, problem_types, settings_article
):
    ticket = make(marie, problem_types[QUOTA], 1, status=TicketStatus.CLOSED)[0]
    with pytest.raises(TicketActionRefused):
        ticket_solve_with_article(ticket=ticket, article=settings_article, by=sophie)
    assert not TicketEvent.objects.exists() and not ArticleSolution.objects.exists()


def test_the_page_offers_only_articles_a_requester_may_read(marie, sophie, problem_types, sign_in, settings_article):
    make_article("procedure-interne", title="Procédure interne", audience=Audience.AGENTS)
    make_article("brouillon", title="Brouillon", status=Status.DRAFT)
    ticket = make(marie, problem_types[QUOTA], 1)[0]
    agent = sign_in(Client(), sophie)
    offered = {
        value
        for value, _label in agent.get(f"/incidents/{ticket.reference}/")
        .context["solved_form"]
        .fields["article"]
        .choices
    }
    assert offered == {"", "parametres-messagerie"}
    path = f"/en/espace-agents/incidents/{ticket.reference}/resolu-par-article/"
    for refused in ("procedure-interne", "brouillon", "", "../../x"):
        assert agent.post(path, {"article": refused}).status_code == 400, refused
    assert not ArticleSolution.objects.exists()
    done = agent.post(path, {"article": "parametres-messagerie"})
    assert done.status_code == 302
    assert ArticleSolution.objects.count() == 1
    admin = page(
        agent.get("/en/admin/tickets/articlesolution/") if False else agent.get("/admin/tickets/articlesolution/")
    )
    assert ticket.reference in admin
