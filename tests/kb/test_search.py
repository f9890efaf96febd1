"""Searching the knowledge base: what a person types finds the right article, on PostgreSQL and in the fallback.

Each behaviour runs against both backends: PostgreSQL full-text search (skipped without PostgreSQL, failed under
`make test`) and the portable Python implementation, which the tests call directly on whatever database is there.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from kb.models import Article
from kb.search import (
    MAX_QUERY_LENGTH,
    PostgresSearch,
    PythonSearch,
    parse_query,
    search_articles,
    suggest_articles,
)
from tests.helpers import requires_services
from tests.kb.helpers import corpus, make_article, slugs

pytestmark = pytest.mark.django_db

ANONYMOUS = AnonymousUser()


@pytest.fixture
def articles():
    return corpus()


@pytest.fixture
def verified_agent(sophie):
    sophie.is_verified = lambda: True  # what django-otp's middleware sets after the second factor
    return sophie


def search(backend, query, user=ANONYMOUS, language="fr"):
    return search_articles(query=query, user=user, language=language, backend=backend)


def test_plural_forms_find_the_singular_title(backend, articles):
    assert slugs(search(backend, "mots de passe oubliés"))[0] == "mot-de-passe-oublie"


@pytest.mark.parametrize("query", ["securite", "SÉCURITÉ", "Securité partagé"])
def test_accents_and_case_do_not_matter(backend, articles, query):
    assert slugs(search(backend, query))[0] == "securite-poste-partage"


@pytest.mark.parametrize("query", ["token badvalu", "tokne badvalue", "token badvalue"])
def test_a_typo_in_an_error_message_still_finds_its_article(backend, articles, query):
    assert slugs(search(backend, query))[0] == "erreur-token-badvalue"


def test_a_typo_in_a_title_error_still_finds_it(backend, articles):
    assert slugs(search(backend, "identifiant incorect"))[0] == "mot-de-passe-oublie"


def test_tags_are_searched(backend, articles):
    assert "erreur-token-badvalue" in slugs(search(backend, "cookies"))


def test_one_word_too_many_still_gives_answers(backend, articles):
    assert slugs(search(backend, "mot de passe oublié hier soir"))[0] == "mot-de-passe-oublie"


def test_agents_only_articles_never_reach_staff_or_anonymous(backend, articles, marie, sophie, verified_agent):
    for user in (ANONYMOUS, marie):
        assert "procedure-deverrouillage" not in slugs(search(backend, "procédure déverrouillage", user))
        assert "procedure-deverrouillage" not in slugs(search(backend, "compte verrouillé agents", user))
    assert "procedure-deverrouillage" in slugs(search(backend, "procédure déverrouillage", verified_agent))


def test_an_agent_without_a_verified_second_factor_reads_like_staff(backend, articles, sophie):
    sophie.is_verified = lambda: False
    assert "procedure-deverrouillage" not in slugs(search(backend, "procédure déverrouillage", sophie))
    assert "archivage-annuel" in slugs(search(backend, "archiver", sophie))


def test_staff_articles_need_a_signed_in_person(backend, articles, marie):
    assert "archivage-annuel" not in slugs(search(backend, "archiver boîte"))
    assert "archivage-annuel" in slugs(search(backend, "archiver boîte", marie))


def test_drafts_are_found_by_agents_only(backend, articles, marie, verified_agent):
    assert slugs(search(backend, "brouillon VPN")) == []
    assert slugs(search(backend, "brouillon VPN", marie)) == []
    assert slugs(search(backend, "brouillon VPN", verified_agent)) == ["brouillon-vpn"]


def test_results_are_in_the_requested_language(backend, articles):
    english = search(backend, "forgotten password", language="en")
    assert [(hit.article.slug, hit.article.language) for hit in english][0] == ("mot-de-passe-oublie", "en")
    assert all(hit.article.language == "fr" for hit in search(backend, "mot de passe"))


@pytest.mark.parametrize(
    "query",
    ["", "   ", "?!… --", "\x00", "mot\x00de passe", "a" * 10_000, "' OR 1=1 --", "&|!:*()<->", "de la", "\ue000"],
)
def test_odd_queries_answer_without_error(backend, articles, query):
    hits = search(backend, query)
    assert isinstance(hits, list)
    assert suggest_articles(text=query, user=ANONYMOUS, language="fr", backend=backend) is not None


def test_long_queries_are_cut():
    parsed = parse_query("mot " * 1000, language="fr")
    assert len(parsed.text) <= MAX_QUERY_LENGTH


def test_snippets_highlight_the_matches_and_escape_everything_else(backend):
    make_article(
        "jeton-script",
        title="Jeton et code",
        body='Le jeton `<script>alert("x")</script>` expire. <img src=x onerror=alert(1)> Fin du jeton.',
    )
    [hit] = search(backend, "jeton <b>gras</b>")
    assert "<mark>" in hit.snippet
    assert "<script" not in hit.snippet
    assert "<img" not in hit.snippet
    assert "<b>" not in hit.snippet
    assert "alert(&quot;x&quot;)" in hit.snippet  # the article's own text, escaped (PostgreSQL drops tag-like words)


def test_suggestions_complete_the_word_being_typed(backend, articles):
    suggestions = suggest_articles(text="mot de pas", user=ANONYMOUS, language="fr", backend=backend)
    assert slugs(suggestions)[0] == "mot-de-passe-oublie"
    assert all(hit.score > 0 for hit in suggestions)
    assert [hit.score for hit in suggestions] == sorted((hit.score for hit in suggestions), reverse=True)


def test_suggestions_find_an_error_message_inside_a_sentence(backend, articles):
    text = "Depuis ce matin j'ai l'erreur token badvalue quand j'ouvre le webmail"
    assert slugs(suggest_articles(text=text, user=ANONYMOUS, language="fr", backend=backend))[0] == (
        "erreur-token-badvalue"
    )


def test_suggestions_respect_the_audience(backend, articles):
    text = "procédure interne de déverrouillage"
    assert "procedure-deverrouillage" not in slugs(
        suggest_articles(text=text, user=ANONYMOUS, language="fr", backend=backend)
    )


# --- PostgreSQL specifics ------------------------------------------------------------------------------------------


def test_the_search_vector_follows_every_save():
    requires_services()
    article = make_article("vecteur", title="Quota de la boîte", body="Archivez.")
    article.title = "Hameçonnage signalé"
    article.save()
    found = Article.objects.filter(pk=article.pk, search_vector="hameconnage")
    assert found.exists()
    assert not Article.objects.filter(pk=article.pk, search_vector="quota").exists()


def test_the_migration_created_the_search_configuration_and_indexes():
    requires_services()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_tsvector('fr_unaccent', 'Sécurités') = to_tsvector('fr_unaccent', 'securite')")
        assert cursor.fetchone()[0] is True
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'kb_article'")
        indexes = {row[0] for row in cursor.fetchall()}
    assert {"kb_article_search_vector_gin", "kb_article_match_text_trgm"} <= indexes


def test_the_python_fallback_is_the_default_elsewhere():
    from kb.search import backend_for_database

    expected = PostgresSearch if connection.vendor == "postgresql" else PythonSearch
    assert isinstance(backend_for_database(), expected)
