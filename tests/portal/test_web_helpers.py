"""The small helpers the apps share (portal/web/text.py, language.py, next_page.py; portal/identity/access.py)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import translation

from portal.identity.access import is_verified_agent
from portal.web.language import content_language
from portal.web.next_page import local_path, next_target
from portal.web.text import strip_accents


def test_accents_go_and_nothing_else_changes():
    assert strip_accents("Sécurité Élève Noël ça") == "Securite Eleve Noel ca"
    assert strip_accents("Œuvre, 12 €") == "Œuvre, 12 €"  # ligatures and symbols are the caller's business


@pytest.mark.parametrize(("active", "expected"), [(None, "fr"), ("fr", "fr"), ("en", "en"), ("en-gb", "en")])
def test_the_content_language_is_french_unless_english_is_active(active, expected):
    if active is None:
        translation.deactivate_all()
    else:
        translation.activate(active)
    assert content_language() == expected


@pytest.mark.parametrize("candidate", ["//evil.example/", "/\\evil.example/", "https://evil.example/", "home", ""])
def test_only_a_local_path_is_followed(candidate):
    request = RequestFactory().post("/", {"next": candidate})
    assert local_path(candidate, request) is None
    assert next_target(request) == "/"


def test_next_is_read_from_the_form_then_the_address():
    factory = RequestFactory()
    assert next_target(factory.post("/?next=/aide/", {"next": "/incidents/"})) == "/incidents/"
    assert next_target(factory.post("/?next=/aide/")) == "/aide/"
    assert next_target(factory.post("/?next=/aide/"), query=False) == "/"


@pytest.mark.django_db
def test_a_verified_agent_is_an_agent_whose_session_proved_a_second_factor(sophie, marie):
    assert not is_verified_agent(sophie)  # loaded without django-otp's middleware, as for an API token
    sophie.is_verified = lambda: True
    marie.is_verified = lambda: True
    assert is_verified_agent(sophie)
    assert not is_verified_agent(marie)
    assert not is_verified_agent(AnonymousUser())
    assert not is_verified_agent(None)


@pytest.mark.django_db
def test_values_read_ahead_are_answered_for_the_request_and_asked_again_once_written():
    from django.core.cache import cache

    from portal.web import cache as shared_cache

    cache.set("ahead:a", 1)
    cache.delete("ahead:b")
    shared_cache._request_begins()  # as request_started does
    try:
        shared_cache.read_ahead("ahead:a", "ahead:b")
        shared_cache.redis_client(cache).set(cache.make_key("ahead:a"), 2)  # another process writes it meanwhile
        assert cache.get("ahead:a") == 1, "what was read ahead, for the rest of this request"
        assert cache.get("ahead:b", "none") == "none", "a miss read ahead is a miss"
        cache.set("ahead:b", 3)
        assert cache.get("ahead:b") == 3, "written by this process: asked again"
    finally:
        shared_cache._request_ends()
    assert cache.get("ahead:a") == 2, "the next request asks the cache"
    shared_cache.read_ahead("ahead:a")  # outside a request: nothing is remembered
    shared_cache.redis_client(cache).set(cache.make_key("ahead:a"), 4)
    assert cache.get("ahead:a") == 4
