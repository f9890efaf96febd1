"""R30: no security question or password hint anywhere, for anybody (self-service or helpdesk).

Every page of the URL map is opened by a signed-in agent with a checked second factor (who reaches the most pages),
and every form field's name and label is checked against the vocabulary of security questions.
"""

import re

import pytest
from django.test import Client
from django.urls import get_resolver

from tests.portal.url_map import routes

pytestmark = pytest.mark.django_db

FORBIDDEN = re.compile(
    r"question|secret[-_ ]answer|réponse secrète|indice|password[-_ ]hint|hint|jeune fille|maiden|"
    r"premier animal|first pet|ville de naissance|city of birth",
    re.IGNORECASE,
)


def _form_fields(html: str) -> list[str]:
    """Names of inputs, selects and text areas, and the text of their labels."""
    names = re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html)
    labels = re.findall(r"<label[^>]*>(.*?)</label>", html, flags=re.DOTALL)
    return names + [re.sub(r"<[^>]+>", "", label) for label in labels]


def test_no_page_asks_a_security_question_or_offers_a_password_hint(sophie, sign_in):
    browser = sign_in(Client(), sophie)
    anonymous = Client()
    opened = 0
    for _name, path in routes(get_resolver().url_patterns):
        if path.startswith("/api/") or "deconnexion" in path:
            continue
        for client in (browser, anonymous):
            response = client.get(path)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            opened += 1
            offending = [field for field in _form_fields(response.content.decode()) if FORBIDDEN.search(field)]
            assert offending == [], path
    assert opened > 10
