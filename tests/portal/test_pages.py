"""Home, error pages and language: French by default, English under /en/, accessible structure."""

import re

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.test import Client
from django.urls import path

from portal import urls as portal_urls

# The home page reads the database: ongoing major incidents are shown first (tickets.major_incidents).
pytestmark = pytest.mark.django_db


def broken_view(request):
    raise RuntimeError("boom")


urlpatterns = [*portal_urls.urlpatterns, *i18n_patterns(path("boom/", broken_view), prefix_default_language=False)]


@pytest.fixture
def html(client):
    def get(url, status=200):
        response = client.get(url)
        assert response.status_code == status
        return response.content.decode()

    return get


def test_home_is_in_french_by_default_whatever_the_browser_asks(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in body
    assert "Signaler un incident" in body
    assert "Report an incident" not in body


def test_home_in_english_under_en(html):
    body = html("/en/")
    assert '<html lang="en">' in body
    assert "Report an incident" in body
    assert "Signaler un incident" not in body


def test_language_switch_links_to_the_same_page_in_the_other_language(html):
    french = html("/?ref=mail")
    assert re.search(r'<a href="/en/\?ref=mail" hreflang="en" lang="en">English', french)
    english = html("/en/")
    assert re.search(r'<a href="/" hreflang="fr" lang="fr">Français', english)


def test_home_has_landmarks_skip_link_and_one_heading(html):
    body = html("/")
    assert re.search(r'<a class="skip-link" href="#content">Aller au contenu principal</a>', body)
    assert '<main id="content"' in body
    for landmark in ("<header", "<nav aria-label=", "<footer"):
        assert landmark in body
    assert body.count("<h1") == 1
    assert '<meta name="viewport"' in body
    assert "Accueil – Guichet" in body


@pytest.mark.parametrize(
    ("url", "text", "lang"),
    [("/page-qui-n-existe-pas/", "Page introuvable", "fr"), ("/en/no-such-page/", "Page not found", "en")],
)
def test_not_found_page_speaks_the_language_of_the_url(html, url, text, lang):
    body = html(url, status=404)
    assert text in body
    assert f'<html lang="{lang}">' in body
    other = {"fr": '<a href="/en/page-qui-n-existe-pas/"', "en": '<a href="/no-such-page/"'}[lang]
    assert other in body


@pytest.mark.parametrize(
    ("url", "text"),
    [("/boom/", "Un problème est survenu de notre côté"), ("/en/boom/", "Something went wrong on our side")],
)
def test_server_error_page_in_both_languages(settings, url, text):
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 500
    body = response.content.decode()
    assert text in body
    assert "boom" not in body
    assert "Traceback" not in body


def test_pages_carry_security_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_openapi_schema_is_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert b"Guichet API" in response.content


def current_links(html: str) -> list[str]:
    """The main menu's links marked current (aria-current), by their text."""
    menu = html.split('aria-label="Main menu"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'aria-current="(?:page|true)">([^<]+)</a>', menu)


def test_only_the_current_section_is_marked_current_in_the_header(client):
    assert current_links(client.get("/en/").content.decode()) == ["Home"]
    assert current_links(client.get("/en/aide/").content.decode()) == ["Help"]  # the help home is not "Home"
    assert current_links(client.get("/en/aide/contact/").content.decode()) == ["Help"]
    assert current_links(client.get("/en/compte/connexion/").content.decode()) == []


def test_the_home_page_has_one_call_to_action_and_cards_that_lead_somewhere(client):
    html = client.get("/en/").content.decode()
    assert len(re.findall(r'class="button primary"', html)) == 1
    assert re.search(r'<a class="button primary" href="/en/incidents/signaler/">Report an incident</a>', html)
    cards = re.findall(r'<li class="card card-link">\s*<h3><a href="([^"]+)">', html)
    assert cards == ["/en/incidents/signaler/", "/en/aide/", "/en/aide/mot-de-passe-oublie/", "/en/incidents/"]


def test_agents_reach_their_workspace_from_the_header_and_staff_do_not_see_it(client, sign_in, marie, sophie):
    sign_in(client, marie)
    assert "Agents' workspace" not in client.get("/en/").content.decode()
    sign_in(client, sophie)
    assert '<a href="/en/espace-agents/">Agents\' workspace</a>' in client.get("/en/").content.decode()
