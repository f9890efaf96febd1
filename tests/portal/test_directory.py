"""Accounts on a directory: sign-in by bind, accounts made from the entry, a reset or change that writes the
directory (checked with ldapwhoami, as a mail server would), the directory's policy in plain words, and a directory
that is down, slow or not the one its certificate says. All against the real slapd of scripts/with-services."""

import html
import socket
import threading
import time

import pytest
from django.core import mail
from django.test import Client

from portal.celery import app as celery_app
from portal.identity import credentials
from portal.identity.directory import Directory
from portal.models import AccountLockout, EventKind, Role, SecurityEvent, User
from tests.directory import MIN_AGE_POLICY
from tests.helpers import SUMMARY_LINES
from tests.portal.test_password_reset import choose, link_for, open_link

LOGIN = "/compte/connexion/"
FIRST = "Mot-de-passe-du-rectorat-2026"
NEW_PASSWORD = "une phrase de passe toute neuve"


@pytest.fixture
def claire(directory):
    """Claire is in the directory and has never opened the portal."""
    directory.add_person(
        "claire.petit",
        FIRST,
        name="Claire Pétit",
        mail="claire.petit@ac-exemple.fr",
        recovery="claire.perso@example.net",
    )
    return "claire.petit"


def page(response) -> str:
    return html.unescape(response.content.decode())


def password_step(identifier, password, client=None):
    client = client or Client()
    return client, client.post(LOGIN, {"identifier": identifier, "password": password})


def test_sign_in_binds_to_the_directory_and_creates_the_account_from_the_entry(claire):
    client, response = password_step("Claire.Petit", FIRST)
    assert response.status_code == 302, "the directory accepted the password: signed in"
    user = User.objects.get(username="claire.petit")
    assert (user.display_name, user.email, user.recovery_email) == (
        "Claire Pétit",
        "claire.petit@ac-exemple.fr",
        "claire.perso@example.net",
    )
    assert not user.has_usable_password(), "the portal keeps no copy of the mailbox password"
    assert user.password_changed_at is not None, "read from the directory's pwdChangedTime"
    assert client.get("/").context["user"].username == "claire.petit"


def test_a_wrong_password_is_refused_and_counted_like_any_other(claire):
    _, response = password_step("claire.petit", "pas-le-bon-mot-de-passe")
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in page(response)
    assert SecurityEvent.objects.filter(kind=EventKind.LOGIN_FAIL, submitted_identifier="claire.petit").count() == 1
    _, response = password_step("personne.inconnue", FIRST)
    assert "Identifiant ou mot de passe incorrect" in page(response)


def test_the_account_follows_its_entry_and_a_disabled_entry_closes_it(claire, directory, clock):
    password_step("claire.petit", FIRST)
    directory.replace("claire.petit", displayName="Claire Petit-Durand", mail="claire.durand@ac-exemple.fr")
    clock.advance(seconds=2)
    password_step("claire.petit", FIRST)
    user = User.objects.get(username="claire.petit")
    assert (user.display_name, user.email) == ("Claire Petit-Durand", "claire.durand@ac-exemple.fr")

    directory.replace("claire.petit", pwdAccountLockedTime="000001010000Z")  # disabled by the directory's admin
    clock.advance(seconds=2)
    _, response = password_step("claire.petit", FIRST)
    assert "Identifiant ou mot de passe incorrect" in page(response)
    assert not User.objects.get(username="claire.petit").is_active


@pytest.fixture
def sign_in_client(sign_in, clock):
    def signed(identifier, password):
        client, response = password_step(identifier, password)
        assert response.status_code == 302
        clock.advance(seconds=2)  # the next password typed for this identifier is not "rapid fire"
        return sign_in(client, User.objects.get(username=identifier))

    return signed


def test_a_reset_writes_the_directory_and_the_old_password_stops_working_there(claire, directory, request):
    secret = link_for("claire.petit@ac-exemple.fr")
    assert sorted(mail.outbox[-1].to) == ["claire.perso@example.net", "claire.petit@ac-exemple.fr"]
    response = choose(open_link(secret))
    assert response.status_code == 302 and response["Location"] == LOGIN, "the sign-in page, nobody signed in"

    old, new = directory.whoami("claire.petit", FIRST), directory.whoami("claire.petit", NEW_PASSWORD)
    request.config.stash[SUMMARY_LINES].append(
        f"reset against the test slapd: ldapwhoami with the new password -> {new.stdout.strip() or new.stderr.strip()}"
        f"; with the old one -> {old.stderr.strip().splitlines()[0] if old.stderr.strip() else old.stdout.strip()}"
    )
    assert new.returncode == 0 and new.stdout.strip() == "dn:uid=claire.petit,ou=people,dc=guichet,dc=test"
    assert old.returncode == 49, "the directory itself refuses the old password (invalid credentials)"
    assert password_step("claire.petit", NEW_PASSWORD)[1].status_code == 302


def test_the_password_change_page_checks_and_writes_the_directory(claire, directory, sign_in_client):
    client = sign_in_client("claire.petit", FIRST)
    response = client.post(
        "/compte/mot-de-passe/",
        {"current_password": FIRST, "new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert directory.whoami("claire.petit", NEW_PASSWORD).returncode == 0
    assert directory.whoami("claire.petit", FIRST).returncode == 49


def test_the_directory_policy_is_told_in_plain_words_and_the_link_keeps_working(claire, request):
    client = open_link(link_for("claire.petit"))
    too_short = "Zebre-orange-42"  # 15 characters: enough for the portal (12), not for this directory (16)
    response = choose(client, too_short)
    text = page(response)
    assert response.status_code == 200
    assert "L’annuaire refuse ce mot de passe : il est trop court." in text
    request.config.stash[SUMMARY_LINES].append(
        "directory policy refusal shown to the person: « L’annuaire refuse ce mot de passe : il est trop court. »"
    )
    assert choose(client).status_code == 302, "the same link, another password: done"


def test_a_password_from_the_history_is_refused_by_the_directory(claire):
    assert choose(open_link(link_for("claire.petit"))).status_code == 302
    response = choose(open_link(link_for("claire.petit")), FIRST)  # the one before: in the directory's history
    assert "L’annuaire refuse ce mot de passe : vous l’avez déjà utilisé récemment." in page(response)


def test_a_password_changed_too_recently_is_explained(directory):
    directory.add_person("paul.roux", FIRST, name="Paul Roux", mail="paul.roux@ac-exemple.fr", policy=MIN_AGE_POLICY)
    response = choose(open_link(link_for("paul.roux")))
    assert "votre mot de passe a été changé trop récemment" in page(response)
    assert directory.whoami("paul.roux", FIRST).returncode == 0, "nothing changed"


# --- The directory down, slow, or not who it claims to be -----------------------------------------------------


def _assert_unavailable_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "L’annuaire de l’organisation, qui vérifie les mots de passe, ne répond pas." in page(response)


def test_a_stopped_directory_gives_the_unavailable_page_and_counts_no_failure(claire, settings):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        settings.GUICHET_LDAP_URL = f"ldap://127.0.0.1:{free.getsockname()[1]}"  # nothing listens there
    _, response = password_step("claire.petit", FIRST)
    _assert_unavailable_page(response)
    assert not SecurityEvent.objects.filter(kind=EventKind.LOGIN_FAIL).exists()
    assert not AccountLockout.objects.filter(failures__gt=0).exists()


@pytest.fixture
def silent_directory():
    """A server that accepts connections and never answers, like a directory stuck under load."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"ldap://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def test_a_silent_directory_gives_the_unavailable_page_within_its_timeout(claire, settings, silent_directory):
    settings.GUICHET_LDAP_URL = silent_directory
    settings.GUICHET_LDAP_TIMEOUT = 1
    started = time.monotonic()
    _, response = password_step("claire.petit", FIRST)
    elapsed = time.monotonic() - started
    _assert_unavailable_page(response)
    assert elapsed < 3, f"answered after {elapsed:.1f} s for a 1 s timeout"


def test_a_directory_whose_certificate_is_not_from_the_configured_authority_is_refused(claire, settings, tmp_path):
    import subprocess

    other_ca = tmp_path / "other-ca.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Someone else",
         "-keyout", str(tmp_path / "key.pem"), "-out", str(other_ca)],
        check=True, capture_output=True,
    )  # fmt: skip
    settings.GUICHET_LDAP_CA_FILE = str(other_ca)
    _, response = password_step("claire.petit", FIRST)
    _assert_unavailable_page(response)


def test_a_service_account_refused_by_the_directory_is_an_outage_not_a_wrong_password(claire, settings):
    settings.GUICHET_LDAP_BIND_PASSWORD = "not-the-service-password"
    with pytest.raises(credentials.DirectoryUnavailable):
        Directory().lookup(identifier="claire.petit")


def test_english_pages_say_it_in_english(claire, settings):
    settings.GUICHET_LDAP_TIMEOUT = 1
    settings.GUICHET_LDAP_URL = "ldap://127.0.0.1:1"
    response = Client().post("/en/compte/connexion/", {"identifier": "claire.petit", "password": FIRST})
    assert response.status_code == 503
    assert "The organisation's directory, which checks passwords, is not answering." in page(response)


def test_a_reset_asked_while_the_directory_is_down_is_answered_as_usual_and_sent_when_it_is_back(
    claire, settings, clock
):
    from portal.tasks import deliver_pending_password_resets
    from tests.portal.test_password_reset import SENT, ask

    working_url = settings.GUICHET_LDAP_URL
    settings.GUICHET_LDAP_URL = "ldap://127.0.0.1:1"
    celery_app.conf.task_eager_propagates = False  # as on a worker: the task fails, the page does not
    response = ask("claire.petit")
    assert response.status_code == 302 and response["Location"] == SENT
    assert mail.outbox == []

    settings.GUICHET_LDAP_URL = working_url
    clock.advance(minutes=1)
    assert deliver_pending_password_resets() == 1
    assert sorted(mail.outbox[0].to) == ["claire.perso@example.net", "claire.petit@ac-exemple.fr"]


def test_a_helpdesk_reset_ends_with_a_password_the_directory_holds(claire, directory, problem_types, sign_in, clock):
    """R40 on a directory: after the agents' reset and the pass, the person's new password is the mailbox's."""
    from tests.helpers import enrol_totp, totp_now
    from tests.portal.test_mfa_helpdesk_reset import PASS_PASSWORD, approve, pass_sign_in, started

    password_step("claire.petit", FIRST)
    enrol_totp(User.objects.get(username="claire.petit"), name="Téléphone perdu")
    sophie, paul = (
        User.objects.create_user(name, f"{name}@ac-exemple.fr", role=Role.AGENT) for name in ("sophie.b", "paul.a")
    )
    access_pass = approve(sign_in(Client(), paul), started(sign_in(Client(), sophie), "claire.petit"))
    client, _ = pass_sign_in(access_pass, "claire.petit")
    client.get("/compte/double-authentification/application/ajouter/")
    app = User.objects.get(username="claire.petit").authenticatorapp_set.get(confirmed=False)
    client.post("/compte/double-authentification/application/ajouter/", {"name": "Nouveau", "code": totp_now(app)})

    short = "lilas-orage-42"  # long enough for the portal, too short for the directory's policy (16)
    refused = client.post(PASS_PASSWORD, {"new_password": short, "confirmation": short})
    assert "L’annuaire refuse ce mot de passe : il est trop court." in page(refused)
    assert directory.whoami("claire.petit", FIRST).returncode == 0, "nothing changed"
    done = client.post(PASS_PASSWORD, {"new_password": NEW_PASSWORD, "confirmation": NEW_PASSWORD})
    assert done.status_code == 302, page(done)[:2000]
    assert directory.whoami("claire.petit", NEW_PASSWORD).returncode == 0
    assert directory.whoami("claire.petit", FIRST).returncode == 49
