"""The knowledge base as people read it: home by category, article, search, contact; and who may see what."""

import re
from datetime import timedelta

import pytest

from kb.models import Article, Audience, Status
from tests.kb.helpers import corpus, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles():
    return corpus()


def body(response) -> str:
    return response.content.decode()


def test_help_home_lists_articles_by_category_with_a_search_form(client, articles):
    response = client.get("/en/aide/")
    assert response.status_code == 200
    html = body(response)
    assert '<form method="get" action="/en/aide/recherche/" role="search"' in html
    assert 'href="/en/aide/categorie/mot-de-passe/"' in html
    assert "Password" in html  # category heading
    assert "Mot de passe oublié" not in html  # French articles are not listed on the English page
    assert "Forgotten password" in html
    french = body(client.get("/aide/"))
    assert "Mot de passe oublié" in french
    assert "Sécurité sur un ordinateur partagé" in french


def test_the_main_menu_links_to_the_help(client):
    html = body(client.get("/en/"))
    assert re.search(r'<a href="/en/aide/">Help</a>', html)
    assert re.search(r'<a href="/en/aide/" aria-current="page">Help</a>', body(client.get("/en/aide/")))


def test_an_article_page_shows_the_text_the_translation_and_related_articles(client, articles):
    Article.objects.filter(slug="mot-de-passe-oublie", language="fr").update(related="erreur-token-badvalue")
    response = client.get("/aide/mot-de-passe-oublie/")
    assert response.status_code == 200
    html = body(response)
    assert html.count("<h1") == 1
    assert "<strong>oublié</strong>" in html
    assert '<a href="/en/aide/mot-de-passe-oublie/" hreflang="en" lang="en">Read this article in English</a>' in html
    assert '<time datetime="' in html
    assert 'href="/aide/erreur-token-badvalue/"' in html  # related, listed first
    assert 'action="/aide/mot-de-passe-oublie/avis/"' in html  # the feedback form
    assert "<code>identifiant incorrect</code>" in html
    assert "/static/js/kb-copy.js" in html
    assert "<script>" not in html  # the CSP forbids inline scripts: none is written


def test_an_article_missing_in_english_is_shown_in_french_marked_as_such(client, articles):
    html = body(client.get("/en/aide/erreur-token-badvalue/"))
    assert '<article class="kb-article" lang="fr">' in html
    assert "not available in your language yet" in html


def test_agents_only_articles_and_drafts_are_hidden_from_staff_and_anonymous(client, articles, marie, sign_in):
    for path in ("/aide/procedure-deverrouillage/", "/aide/brouillon-vpn/"):
        assert client.get(path).status_code == 404
    assert "Procédure interne" not in body(client.get("/aide/"))
    assert "Procédure interne" not in body(client.get("/aide/categorie/connexion/"))
    sign_in(client, marie)
    for path in ("/aide/procedure-deverrouillage/", "/aide/brouillon-vpn/"):
        assert client.get(path).status_code == 404
    assert "Procédure interne" not in body(client.get("/aide/"))
    assert client.get("/aide/archivage-annuel/").status_code == 200  # staff articles are for signed-in people


def test_staff_articles_need_a_sign_in(client, articles):
    assert client.get("/aide/archivage-annuel/").status_code == 404


def test_agents_read_agents_only_articles_and_preview_drafts(client, articles, sophie, sign_in):
    sign_in(client, sophie)
    assert client.get("/aide/procedure-deverrouillage/").status_code == 200
    draft = body(client.get("/aide/brouillon-vpn/"))
    assert '<p class="warning">' in draft  # "draft: only agents see it"
    assert 'href="/aide/brouillon-vpn/modifier/"' in draft


def test_an_agent_whose_second_factor_is_not_checked_reads_like_staff(client, articles, sophie, sign_in):
    sign_in(client, sophie, verified=False)
    response = client.get("/aide/procedure-deverrouillage/")
    assert response.status_code in (302, 404)  # sent to prove the factor, or simply not found


def test_category_page_lists_its_articles(client, articles):
    html = body(client.get("/aide/categorie/navigateur/"))
    assert "Erreur de jeton de session" in html
    assert "Mot de passe oublié" not in html
    assert client.get("/aide/categorie/inconnue/").status_code == 404


def test_search_page_finds_plural_forms_and_highlights_matches(client, articles):
    html = body(client.get("/aide/recherche/", {"q": "mots de passe oubliés"}))
    assert 'href="/aide/mot-de-passe-oublie/"' in html
    assert "<mark>" in html


def test_search_page_escapes_the_query(client, articles):
    html = body(client.get("/en/aide/recherche/", {"q": '<script>alert("x")</script> mot'}))
    assert '<script>alert("x")' not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize("query", ["", "   ", "%%%", "\x00", "mot\x00passe", "x" * 5000, "' OR 1=1"])
def test_search_page_answers_any_query(client, articles, query):
    assert client.get("/aide/recherche/", {"q": query}).status_code == 200


def test_search_page_says_when_nothing_matches_and_points_to_the_support(client, articles):
    html = body(client.get("/en/aide/recherche/", {"q": "zzzyyyxxx"}))
    assert "No article for “zzzyyyxxx”" in html
    assert 'href="/en/aide/contact/"' in html


def test_contact_page_gives_the_hours_and_says_honestly_the_delay_is_not_measured(client, settings):
    settings.GUICHET_SUPPORT_HOURS = {"fr": "Lundi-vendredi 8 h – 18 h", "en": "Monday to Friday, 8 am to 6 pm"}
    english = body(client.get("/en/aide/contact/"))
    assert "Monday to Friday, 8 am to 6 pm" in english
    assert "Not measured yet" in english
    assert "Lundi-vendredi 8 h – 18 h" in body(client.get("/aide/contact/"))


def test_contact_page_shows_the_measured_delay(client, monkeypatch):
    monkeypatch.setattr("portal.site.views.contact.average_first_response", lambda days: timedelta(hours=3, minutes=20))
    html = body(client.get("/en/aide/contact/"))
    assert "3 hours 20 minutes" in html
    assert "Not measured yet" not in html


def _queries_of(client, path) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        client.get(path)
    return len(context)


def _one_statement_on_postgresql(queries: int) -> int:
    from django.db import connection

    return 1 if connection.features.supports_slicing_ordering_in_compound else queries


def test_article_page_query_count_is_pinned(client, articles, marie, sign_in, django_assert_num_queries):
    Article.objects.filter(slug="mot-de-passe-oublie").update(related="erreur-token-badvalue")
    related = _one_statement_on_postgresql(2)  # the chosen related articles, the latest of the category
    with django_assert_num_queries(1 + related):  # the article with its translation, the related articles
        assert client.get("/aide/mot-de-passe-oublie/").status_code == 200
    with django_assert_num_queries(0):  # then kept rendered (kb.page_cache) until an article changes
        assert client.get("/aide/mot-de-passe-oublie/").status_code == 200
    sign_in(client, marie)
    # Signed in, the session and account checks of the portal's middleware come on top (measured on a page that
    # runs no query of its own, a 404). Marie may read more than an anonymous reader: her page is built for her,
    # with the same two queries, then kept too.
    session_queries = _queries_of(client, "/page-qui-n-existe-pas/")
    with django_assert_num_queries(session_queries + 1 + related):
        assert client.get("/aide/mot-de-passe-oublie/").status_code == 200
    with django_assert_num_queries(session_queries):
        assert client.get("/aide/mot-de-passe-oublie/").status_code == 200


def test_article_page_queries_do_not_grow_with_its_related_articles(client, articles, django_assert_num_queries):
    chosen = [make_article(f"choisi-{number}", title=f"Choisi {number}", category="browser") for number in range(8)]
    for number in range(12):
        make_article(f"voisin-{number}", title=f"Voisin {number}", category="password")
    Article.objects.filter(slug="mot-de-passe-oublie", language="fr").update(
        related=", ".join(article.slug for article in reversed(chosen))
    )
    with django_assert_num_queries(1 + _one_statement_on_postgresql(2)):
        html = body(client.get("/aide/mot-de-passe-oublie/"))
    listed = re.findall(r'href="/aide/(choisi-\d|voisin-\d+)/"', html)
    assert len(listed) == 5  # RELATED_ARTICLES, chosen ones first
    assert set(listed) <= {article.slug for article in chosen}


def test_an_edit_shows_on_the_next_view_of_every_article_page(client, articles, sophie, django_assert_num_queries):
    from kb.services import article_save

    client.get("/aide/mot-de-passe-oublie/")
    client.get("/en/aide/mot-de-passe-oublie/")
    article = Article.objects.get(slug="mot-de-passe-oublie", language="fr")
    article.title, article.body = "Mot de passe perdu", "Un mot de passe **perdu** se remplace."
    article_save(article=article, by=sophie)
    html = body(client.get("/aide/mot-de-passe-oublie/"))
    assert "Mot de passe perdu" in html and "<strong>perdu</strong>" in html
    assert "Mot de passe oublié" not in html
    # Another page's related articles follow as well: the latest of a category, a deletion.
    newest = make_article("nouveau-mot-de-passe", title="Choisir un nouveau mot de passe", category="password")
    assert 'href="/aide/nouveau-mot-de-passe/"' in body(client.get("/aide/mot-de-passe-oublie/"))
    newest.delete()
    assert 'href="/aide/nouveau-mot-de-passe/"' not in body(client.get("/aide/mot-de-passe-oublie/"))
    # The English page, kept before all this, is built again too (it has no chosen related articles: two queries).
    with django_assert_num_queries(2):
        assert client.get("/en/aide/mot-de-passe-oublie/").status_code == 200


def test_a_kept_article_page_shows_each_reader_only_what_they_may_read(client, articles, marie, sophie, sign_in):
    from django.test import Client

    Article.objects.filter(slug="mot-de-passe-oublie", language="fr").update(
        related="archivage-annuel, procedure-deverrouillage, brouillon-vpn"
    )
    agent, staff, anonymous = sign_in(Client(), sophie), sign_in(Client(), marie), Client()
    for reader, shown in ((agent, 3), (staff, 1), (anonymous, 0), (agent, 3), (staff, 1), (anonymous, 0)):
        html = body(reader.get("/aide/mot-de-passe-oublie/"))
        links = re.findall(r'href="/aide/(archivage-annuel|procedure-deverrouillage|brouillon-vpn)/"', html)
        assert len(links) == shown
        assert ('href="/aide/mot-de-passe-oublie/modifier/"' in html) == (reader is agent)
    assert client.get("/aide/brouillon-vpn/").status_code == 404


def test_kept_pages_are_dropped_again_when_the_change_commits(articles, django_capture_on_commit_callbacks):
    """A page built between a save and its commit read the rows before the change: it must not outlive the commit."""
    from kb import page_cache

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        make_article("nouvel-article-vpn", title="VPN", category="network")
        during = page_cache.current_generation()
    assert callbacks
    assert page_cache.current_generation() not in (None, during)


def test_with_debug_on_the_article_page_is_built_for_each_request(client, articles, settings):
    """A template being edited on a development machine shows on the next reload."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.DEBUG = True
    client.get("/aide/mot-de-passe-oublie/")
    with CaptureQueriesContext(connection) as context:
        client.get("/aide/mot-de-passe-oublie/")
    assert any("kb_article" in query["sql"] for query in context.captured_queries)


def test_the_article_page_is_served_when_the_shared_cache_does_not_answer(client, articles, monkeypatch):
    from portal.web import kept

    class Down:
        def __getattr__(self, name):
            raise ConnectionError("the cache does not answer")

    monkeypatch.setattr(kept, "caches", {"default": Down()})
    for _ in range(2):
        assert "<strong>oublié</strong>" in body(client.get("/aide/mot-de-passe-oublie/"))


def test_search_page_query_count_is_pinned(client, articles, django_assert_num_queries):
    from django.db import connection

    # The thesaurus and the word counts; then on PostgreSQL the ranked matches and the snippets of that page, where
    # the Python fallback reads the candidates once; and, for a reader not signed in, whether staff articles match.
    expected = 5 if connection.vendor == "postgresql" else 4
    for query in ("mot de passe", "j'ai oublié mon mot de passe, je veux le remplacer en libre-service"):
        with django_assert_num_queries(expected):
            assert client.get("/aide/recherche/", {"q": query}).status_code == 200
    # A word no French article uses: whether the English ones do (is the question in English?).
    with django_assert_num_queries(expected + 1):
        assert client.get("/aide/recherche/", {"q": "mot de passe oublié zorglub"}).status_code == 200


def test_home_query_count_does_not_grow_with_the_number_of_articles(client, articles, django_assert_num_queries):
    for number in range(30):
        make_article(f"article-{number}", title=f"Article {number}", category="browser")
    from kb.categories import CATEGORIES

    with django_assert_num_queries(_one_statement_on_postgresql(len(CATEGORIES))):  # the first few of each category
        assert client.get("/aide/").status_code == 200


def test_a_reserved_path_cannot_be_an_article_slug():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        make_article("recherche", title="Conflit", status=Status.PUBLISHED, audience=Audience.PUBLIC)


def test_a_pasted_query_with_a_nul_character_is_still_searched(client, articles):
    html = body(client.get("/aide/recherche/", {"q": "mot de\x00passe oublié"}))
    assert 'href="/aide/mot-de-passe-oublie/"' in html


def test_the_editor_shows_no_error_alert_until_there_is_an_error(client, sign_in, sophie):
    """The article model has a field named "errors", which {% if form.errors %} used to find instead."""
    sign_in(client, sophie)
    page = client.get("/en/aide/nouvel-article/").content.decode()
    assert 'class="form-errors"' not in page
    refused = client.post("/en/aide/nouvel-article/", {"save": "1"}).content.decode()
    assert 'class="form-errors"' in refused


def test_the_contact_page_shows_the_configured_ways_to_reach_the_helpdesk(client, settings):
    settings.GUICHET_SUPPORT_PHONE = "01 99 00 12 34"
    settings.GUICHET_SUPPORT_EMAIL = "assistance@ac-exemple.fr"
    settings.GUICHET_SUPPORT_ADDRESS = {"fr": "Rectorat, bureau 12", "en": "Rectorate, office 12"}
    page = client.get("/en/aide/contact/").content.decode()
    assert '<a href="tel:+33199001234">01 99 00 12 34</a>' in page
    assert '<a href="mailto:assistance@ac-exemple.fr">assistance@ac-exemple.fr</a>' in page
    assert "Rectorate, office 12" in page
    assert "Rectorat, bureau 12" in client.get("/aide/contact/").content.decode()
    settings.GUICHET_SUPPORT_PHONE = ""
    assert "tel:" not in client.get("/en/aide/contact/").content.decode()  # what is not configured is not shown
