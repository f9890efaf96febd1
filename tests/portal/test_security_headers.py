"""R34: the security headers on every kind of answer, not only the home page: pages, forms, account pages, API
answers, error pages, the admin, attachments; account pages and API answers are never stored by a cache; the
messages cookie is locked to the host in production."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.kb.helpers import corpus
from tests.portal.test_settings import PRODUCTION_ENV, run_django
from tests.tickets.helpers import PNG, login_failure_answers
from tickets.models import Attachment

pytestmark = pytest.mark.django_db

BASE = {
    "X-Frame-Options": {"DENY"},
    "X-Content-Type-Options": {"nosniff"},
    "Referrer-Policy": {"same-origin", "no-referrer"},  # attachments give away even less
    "Cross-Origin-Opener-Policy": {"same-origin"},
}


def check(response, *, stored: bool = True):
    for name, values in BASE.items():
        assert response.get(name) in values, (response.request["PATH_INFO"], name)
    assert (
        "frame-ancestors 'none'" in response["Content-Security-Policy"]
        or "sandbox" in response["Content-Security-Policy"]
    )
    assert "camera=()" in response["Permissions-Policy"]
    if not stored:
        assert "no-store" in response.get("Cache-Control", ""), response.request["PATH_INFO"]


def test_every_kind_of_answer_carries_the_headers(client, sign_in, marie, sophie, problem_types):
    corpus()
    visitor = Client()
    for path in ("/", "/aide/", "/aide/mot-de-passe-oublie/", "/aide/recherche/?q=code", "/compte/connexion/",
                 "/no-such-page/", "/api/kb/search/?q=code", "/api/no-such-thing/", "/api/docs/"):  # fmt: skip
        check(visitor.get(path), stored=not path.startswith(("/api/", "/compte/")))
    sign_in(client, marie)
    screenshot = SimpleUploadedFile("capture.png", PNG, content_type="image/png")
    filed = client.post("/incidents/signaler/echec-connexion/", {**login_failure_answers(), "screenshots": screenshot})
    check(filed)
    ticket_url = filed["Location"]
    for path in (ticket_url, "/incidents/", "/incidents/signaler/echec-connexion/"):
        check(client.get(path))
    for path in ("/compte/securite/", "/compte/double-authentification/", "/api/tickets/", "/api/problem-types/"):
        check(client.get(path), stored=False)
    download = client.get(f"{ticket_url}pieces-jointes/{Attachment.objects.get().pk}/")
    check(download, stored=False)
    helpdesk = sign_in(Client(), sophie)
    check(helpdesk.get("/admin/"))


def test_the_messages_cookie_is_host_locked_in_production(tmp_path):
    result = run_django(
        "from portal.web.message_storage import HostCookieStorage\nprint(HostCookieStorage.cookie_name)",
        PRODUCTION_ENV,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "__Host-messages"
