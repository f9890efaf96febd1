"""Every route of the URL map, opened by an agent whose session has not passed the second factor (R8).

The map is walked, not listed by hand: a route added later is checked without anyone remembering to. Only the
routes declared open below may answer; every other one must send the agent to enrol or to prove their second
factor (302), or refuse (403, or 405 for POST-only actions). API routes must refuse with 403.
"""

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import get_resolver

from portal.models import SignedInSession
from tests.helpers import enrol_totp
from tests.portal.url_map import admin_paths, routes

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
# Public knowledge-base pages and API (they filter by audience themselves; tested in tests/kb/).
OPEN_PREFIXES = ("kb:", "kb-api:")


def _privileged_paths():
    paths = [(name, path) for name, path in routes(get_resolver().url_patterns)]
    paths += [("admin", path) for path in admin_paths()]
    checked = [(name, path) for name, path in paths if name not in OPEN and not name.startswith(OPEN_PREFIXES)]
    assert len(checked) > 15, "the walk found too few routes: the URL map changed shape"
    return checked


def _unverified_agent(sophie, *, with_device: bool) -> Client:
    if with_device:
        enrol_totp(sophie)
    client = Client()
    client.force_login(sophie)  # a full sign-in would have verified the device: this session did not
    return client


@pytest.mark.parametrize("with_device", [False, True], ids=["no-device", "device-not-checked"])
def test_an_agent_without_a_checked_second_factor_reaches_no_privileged_route(sophie, with_device):
    client = _unverified_agent(sophie, with_device=with_device)
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


def test_the_walk_covers_the_helpdesk_admin_and_api_routes(sophie):
    names = {name for name, _ in _privileged_paths()}
    assert {"portal:account_events", "portal:security", "admin"} <= names
    assert SignedInSession.objects.count() == 0  # nothing above signed anybody in
