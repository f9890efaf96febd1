""" "This wasn't me" in security e-mails: a signed, single-use link that works without signing in; opening it changes
nothing, confirming ends every session and token, opens an urgent case for the security team and alerts them."""

import re

import pytest
from django.test import Client

from portal.models import ApiToken, EventKind, SecurityEvent
from tests.helpers import DEMO_PASSWORD
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(client, sign_in, marie, mailoutbox, settings):
    """The e-mail Marie gets when someone else, signed in as her, changes her password."""
    settings.GUICHET_SECURITY_TEAM_EMAILS = ["soc@ac-exemple.fr"]
    sign_in(client, marie)
    new = "une toute nouvelle phrase de passe"
    changed = client.post(
        "/compte/mot-de-passe/", {"current_password": DEMO_PASSWORD, "new_password": new, "confirmation": new}
    )
    assert changed.status_code == 302
    [mail] = [message for message in mailoutbox if marie.email in message.to]
    return re.search(r"https?://\S+/ce-netait-pas-moi/\S+/", mail.body).group(0)


def test_the_link_opens_a_page_that_changes_nothing_until_confirmed(alert, marie, problem_types):
    path = alert.split("//", 1)[1].split("/", 1)[1]
    page = Client().get("/" + path)  # a mail scanner, or the person not signed in
    assert page.status_code == 200
    assert "tout déconnecter et alerter l'équipe sécurité" in page.content.decode()
    assert not SecurityEvent.objects.filter(kind=EventKind.NOT_ME).exists()
    assert not Ticket.objects.exists()


def test_confirming_ends_everything_opens_a_case_and_alerts_the_team(
    alert, client, marie, problem_types, mailoutbox, sign_in
):
    path = "/" + alert.split("//", 1)[1].split("/", 1)[1]
    holder = sign_in(Client(), marie)
    ApiToken.objects.create(
        user=marie, name="x", prefix="abcdef01", secret_hash="0" * 64, scopes=["read"],
        stamp=marie.security_stamp, expires_at="2099-01-01T00:00Z",
    )  # fmt: skip
    mailoutbox.clear()
    response = Client().post(path)
    assert response.status_code == 200
    case = Ticket.objects.get()
    assert case.priority == "urgent" and case.queue.slug == "securite" and case.requester == marie
    assert case.reference in response.content.decode()
    assert holder.get("/incidents/").status_code == 302  # every session ended
    assert not ApiToken.objects.get().is_usable  # tokens too
    assert SecurityEvent.objects.filter(kind=EventKind.NOT_ME, user=marie).count() == 1
    assert any("soc@ac-exemple.fr" in message.to for message in mailoutbox)
    assert Client().post(path).status_code == 410  # single use


def test_a_forged_or_altered_link_is_refused(client, marie):
    assert client.get("/compte/ce-netait-pas-moi/abc:def/").status_code == 410
    assert client.post("/compte/ce-netait-pas-moi/eyJlIjoxfQ:1v:forged/").status_code == 410
