"""The knowledge-base API: reading articles, search and suggestions, open to anyone but filtered by audience."""

import pytest

from kb.api import ArticleViewSet, SearchApi, SuggestApi
from tests.kb.helpers import corpus

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles():
    return corpus()


def slugs(response):
    return [row["slug"] for row in response.json()["results"]]


def test_the_public_endpoints_declare_their_permission_and_keep_session_authentication():
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.permissions import AllowAny

    for view in (ArticleViewSet, SearchApi, SuggestApi):
        assert view.permission_classes == [AllowAny]
        # portal.web.api's session authentication (DRF's, with the CSRF refusal in the request's language), after the
        # personal tokens.
        token, session = view.authentication_classes
        assert issubclass(session, SessionAuthentication)
        assert token.__name__ == "TokenAuthentication"


def test_search_returns_ranked_results_with_escaped_snippets(client, articles):
    response = client.get("/api/kb/search/", {"q": "mots de passe oubliés", "lang": "fr"})
    assert response.status_code == 200
    data = response.json()
    assert data["language"] == "fr"
    first = data["results"][0]
    assert first["slug"] == "mot-de-passe-oublie"
    assert first["url"] == "/aide/mot-de-passe-oublie/"
    assert first["score"] > 0
    assert "<mark>" in first["snippet_html"]


def test_suggestions_complete_what_is_being_typed(client, articles):
    response = client.get("/api/kb/suggest/", {"text": "token badval", "lang": "fr"})
    assert response.status_code == 200
    assert slugs(response)[0] == "erreur-token-badvalue"
    assert set(response.json()["results"][0]) == {"slug", "language", "title", "summary", "category", "url", "score"}


def test_the_language_comes_from_the_parameter_or_the_browser(client, articles):
    assert client.get("/api/kb/search/", {"q": "forgotten password", "lang": "en"}).json()["results"][0]["url"] == (
        "/en/aide/mot-de-passe-oublie/"
    )
    response = client.get("/api/kb/search/", {"q": "forgotten password"}, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    assert response.json()["language"] == "en"
    assert client.get("/api/kb/search/", {"q": "x"}).json()["language"] == "fr"


def test_agents_only_articles_never_leak_through_the_api(client, articles, marie, sign_in):
    for user in (None, marie):
        if user:
            sign_in(client, user)
        assert "procedure-deverrouillage" not in slugs(client.get("/api/kb/search/", {"q": "procédure déverrouillage"}))
        suggestions = client.get("/api/kb/suggest/", {"text": "procédure interne déverrouillage"})
        assert "procedure-deverrouillage" not in slugs(suggestions)
        assert client.get("/api/kb/articles/procedure-deverrouillage/").status_code == 404
        assert client.get("/api/kb/articles/brouillon-vpn/").status_code == 404
        listed = {row["slug"] for row in client.get("/api/kb/articles/").json()["results"]}
        assert "procedure-deverrouillage" not in listed and "brouillon-vpn" not in listed


def test_verified_agents_read_everything(client, articles, sophie, sign_in):
    sign_in(client, sophie)
    assert client.get("/api/kb/articles/procedure-deverrouillage/").status_code == 200
    assert "procedure-deverrouillage" in slugs(client.get("/api/kb/search/", {"q": "procédure déverrouillage"}))


def test_reading_an_article_gives_sanitised_html_and_its_translations(client, articles):
    response = client.get("/api/kb/articles/mot-de-passe-oublie/", {"lang": "fr"})
    assert response.status_code == 200
    data = response.json()
    assert data["language"] == "fr"
    assert "<strong>oublié</strong>" in data["body_html"]
    assert data["errors"] == ["identifiant incorrect"]
    assert data["translations"] == {"en": "/en/aide/mot-de-passe-oublie/"}
    english = client.get("/api/kb/articles/mot-de-passe-oublie/", {"lang": "en"}).json()
    assert english["title"] == "Forgotten password"


def test_the_list_is_paginated_and_filtered_by_category(client, articles):
    data = client.get("/api/kb/articles/", {"category": "browser"}).json()
    assert data["count"] == 1
    assert data["results"][0]["slug"] == "erreur-token-badvalue"


@pytest.mark.parametrize("query", ["", "\x00", "x" * 5000, "%%%", "' OR 1=1 --"])
def test_odd_queries_never_fail(client, articles, query):
    assert client.get("/api/kb/search/", {"q": query}).status_code == 200
    assert client.get("/api/kb/suggest/", {"text": query}).status_code == 200
    # A limit that is not a number is refused and explained, not silently replaced.
    refused = client.get("/api/kb/suggest/", {"text": query, "limit": "abc", "lang": "en"})
    assert refused.status_code == 400
    assert refused.json() == {"limit": ["A valid integer is required."]}


def test_the_schema_describes_the_knowledge_base_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/kb/search/", "/api/kb/suggest/", "/api/kb/articles/", "/api/kb/articles/{slug}/"} <= set(paths)
    parameters = {parameter["name"] for parameter in paths["/api/kb/search/"]["get"]["parameters"]}
    assert {"q", "lang", "limit"} <= parameters
