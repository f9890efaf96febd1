"""Lost phone, self-service: a recovery code signs the person in, they add the app on the new phone, remove the
lost one and get new codes, all through the pages, and the old phone's codes stop working."""

import pytest
from django.test import Client

from portal.models import AuthenticatorApp, EventKind, RecoveryCodeDevice, SecurityEvent
from tests.helpers import DEMO_PASSWORD, enrol_totp, totp_now

pytestmark = pytest.mark.django_db


def test_with_a_recovery_code_the_person_replaces_the_lost_phone_alone(marie, clock):
    lost = enrol_totp(marie, name="Ancien téléphone")
    codes = RecoveryCodeDevice.objects.create(user=marie, name="Codes de secours", confirmed=True).regenerate()
    client = Client()

    # The code step points to the guide, which leads back to sign-in with a recovery code.
    client.post("/en/compte/connexion/", {"identifier": "marie.dupont", "password": DEMO_PASSWORD})
    assert "/en/compte/telephone-perdu/" in client.get("/en/compte/connexion/code/").text
    guide = client.get("/en/compte/telephone-perdu/").text
    assert "recovery codes" in guide and "minutes" in guide and "/en/aide/nouveau-telephone/" in guide
    signed_in = client.post("/en/compte/connexion/code/", {"code": codes[0]})
    assert signed_in["Location"] == "/en/compte/double-authentification/"

    # Add the app on the new phone (the page shows a new key), then remove the lost phone.
    client.get("/en/compte/double-authentification/application/ajouter/")
    new = AuthenticatorApp.objects.get(user=marie, confirmed=False)
    added = client.post(
        "/en/compte/double-authentification/application/ajouter/", {"name": "Nouveau téléphone", "code": totp_now(new)}
    )
    assert added.status_code == 302
    removed = client.post(f"/en/compte/double-authentification/{lost.pk}/supprimer/")
    assert removed.status_code == 302
    assert list(AuthenticatorApp.objects.filter(user=marie).values_list("name", flat=True)) == ["Nouveau téléphone"]

    # A new set of codes; the old set no longer works, nor does the lost phone.
    fresh = client.post("/en/compte/double-authentification/codes-de-secours/", {"generation": _generation(client)})
    assert "Save these codes now" in fresh.text or "recovery codes" in fresh.text
    assert SecurityEvent.objects.filter(user=marie, kind=EventKind.RECOVERY_CODES_REGENERATED).exists()
    clock.advance(minutes=1)
    again = Client()
    again.post("/compte/connexion/", {"identifier": "marie.dupont", "password": DEMO_PASSWORD})
    assert again.post("/compte/connexion/code/", {"code": codes[1]}).status_code == 200
    clock.advance(seconds=5)
    assert again.post("/compte/connexion/code/", {"code": totp_now(lost)}).status_code == 200
    clock.advance(seconds=5)
    new.refresh_from_db()
    assert again.post("/compte/connexion/code/", {"code": totp_now(new, 1)}).status_code == 302


def _generation(client) -> str:
    import re

    page = client.get("/en/compte/double-authentification/codes-de-secours/").text
    found = re.search(r'name="generation" value="([^"]*)"', page)
    return found.group(1) if found else ""
