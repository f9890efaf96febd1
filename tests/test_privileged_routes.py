"""Every route of the URL map, opened by an agent whose session has not passed the second factor (R8).

The map is walked, not listed by hand: a route added later is checked without anyone remembering to. Only the
routes declared open below may answer; every other one must send the agent to enrol or to prove their second
factor (302), or refuse (403, or 405 for POST-only actions). API routes must refuse with 403.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RoutePattern

from portal.models import SignedInSession
from tests.conftest import enrol_totp

pytestmark = pytest.mark.django_db

# Open to anyone, signed in or not, verified or not: public pages, the sign-in steps, enrolment itself.
OPEN = {
    "home",
    "health",
    "api-schema",
    "portal:login",
    "portal:login_code",
    "portal:reauth",
    "portal:mfa_totp_add",
}
# Public knowledge-base pages and API (they filter by audience themselves; tested in tests/test_kb_*.py).
OPEN_PREFIXES = ("kb:", "kb-api:")
SAMPLE_ARGUMENTS = {"int": "1", "str": "sample", "slug": "sample", "path": "sample"}


def _routes(patterns, prefix="", namespace=""):
    """(name, concrete path) for every named route whose pattern is a route string (admin is checked apart)."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            child_namespace = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern), child_namespace)
        elif isinstance(entry, URLPattern) and entry.name and isinstance(entry.pattern, RoutePattern):
            route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_ARGUMENTS[m.group(1) or "str"], str(entry.pattern))
            yield f"{namespace}{entry.name}", "/" + prefix + route


def _admin_paths():
    yield reverse("admin:index")
    for model in admin.site._registry:
        meta = model._meta
        yield reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")


def _privileged_paths():
    paths = [(name, path) for name, path in _routes(get_resolver().url_patterns)]
    paths += [("admin", path) for path in _admin_paths()]
    checked = [(name, path) for name, path in paths if name not in OPEN and not name.startswith(OPEN_PREFIXES)]
    assert len(checked) > 15, "the walk found too few routes: the URL map changed shape"
    return checked


def _unverified_agent(agent, *, with_device: bool) -> Client:
    if with_device:
        enrol_totp(agent)
    client = Client()
    client.force_login(agent)  # a full sign-in would have verified the device: this session did not
    return client


@pytest.mark.parametrize("with_device", [False, True], ids=["no-device", "device-not-checked"])
def test_an_agent_without_a_checked_second_factor_reaches_no_privileged_route(agent, with_device):
    client = _unverified_agent(agent, with_device=with_device)
    answered = []
    for name, path in _privileged_paths():
        response = client.get(path)
        if path.startswith("/api/"):
            ok = response.status_code in (403, 405)
        else:
            ok = response.status_code in (403, 405) or (
                response.status_code == 302 and urlsplit(response["Location"]).path != path
            )
        if not ok:
            answered.append((name, path, response.status_code))
    assert answered == []


def test_the_walk_covers_the_helpdesk_admin_and_api_routes(agent):
    names = {name for name, _ in _privileged_paths()}
    assert {"portal:account_events", "portal:security", "admin"} <= names
    assert SignedInSession.objects.count() == 0  # nothing above signed anybody in
