"""The anti-robot check runs in a real browser: after ten failures from the address, signing in still works."""

import time

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from portal.models import SourceThrottle
from tests.e2e.test_home import assert_accessible
from tests.helpers import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_browser_solves_the_check_and_the_person_signs_in(page: Page, live_server, axe, marie):
    SourceThrottle.objects.create(ip="127.0.0.1", window_started_at=timezone.now(), failures=10)
    page.goto(live_server.url + "/compte/connexion/")
    expect(page.get_by_text("courte vérification automatique anti-robot")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Vérification anti-robot terminée.", timeout=30_000)
    assert_accessible(page, axe)
    page.get_by_label("Identifiant").fill("marie.dupont")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    started = time.monotonic()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible(timeout=30_000)
    print(f"\nsign-in after the anti-robot check took {time.monotonic() - started:.2f} s in Chromium")


def test_a_submit_made_before_the_check_ends_waits_for_it(page: Page, live_server, marie):
    SourceThrottle.objects.create(ip="127.0.0.1", window_started_at=timezone.now(), failures=10)
    # Hold the browser's hashing until released, as on a slow computer, so the click surely comes first.
    page.add_init_script(
        """
        const digest = crypto.subtle.digest.bind(crypto.subtle);
        let release;
        const gate = new Promise((resolve) => { release = resolve; });
        window.releaseHashing = () => release();
        crypto.subtle.digest = (...args) => gate.then(() => digest(...args));
        """
    )
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Identifiant").fill("marie.dupont")
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("status")).to_contain_text("envoyée automatiquement")
    expect(page).to_have_url(live_server.url + "/compte/connexion/")
    page.evaluate("window.releaseHashing()")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible(timeout=30_000)
