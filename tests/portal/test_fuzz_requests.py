"""A few thousand generated malformed requests to every page, form and API address, with DEBUG off: none gets a 5xx.

schemathesis (tests/portal/test_api_schemathesis.py) holds the API to its schema; this test covers everything else too:
the HTML forms and pages, the admin lists, every method, and bodies no schema describes (undecodable charsets,
broken multipart, JSON nested deep, fields of a megabyte, odd query strings and headers). Requests come from a
visitor, a signed-in staff member and a signed-in agent, with the CSRF token half of the time so the views' own
code runs, not only the CSRF refusal.

Seeded (GUICHET_FUZZ_SEED, printed with the figures), bounded by REQUESTS and SECONDS.
"""

import os
import random
import re
import string
import time
from collections import Counter

import pytest
from django.test import Client
from django.urls import get_resolver

from tests.helpers import SUMMARY_LINES
from tests.kb.helpers import corpus
from tests.portal.url_map import admin_paths, routes
from tests.tickets.helpers import PHISHING_EML, PNG, login_failure_answers

pytestmark = pytest.mark.django_db

REQUESTS = 4000
SECONDS = 150
TOKEN = "b" * 32
ODD_VALUES = [
    "", "\x00", "%FF", "\ufffd", "1e309", "-1", "0", "9" * 400, "../../etc/passwd", "<script>alert(1)</script>",
    "' OR 1=1 --", "x" * 5000, "null", "true", "[]", "{}", "😀", "\u202e", " ", "foo", "//evil.example/",
    "2026-02-30T25:61", "INC-2026-000001", "marie.dupont", "yes", "not_applicable",
]  # fmt: skip
FIELD_NAMES = [
    "identifier", "password", "code", "next", "q", "text", "lang", "page", "body", "helpful", "comment", "title",
    "error_message", "url", "occurred_at", "occurred_at_tz", "other_browser_tried", "description", "problem_type",
    "suggest", "new_password", "confirmation", "current_password", "credential", "challenge", "challenge_answer",
    "name", "device_id", "slug", "language", "status", "category", "audience", "base_version", "note", "save",
    "preview", "csrfmiddlewaretoken", "suspicious_message_headers", "screenshots", "files",
]  # fmt: skip


def _text(rng: random.Random) -> str:
    return (
        rng.choice(ODD_VALUES) if rng.random() < 0.7 else "".join(rng.choices(string.printable, k=rng.randint(1, 40)))
    )


def _fields(rng: random.Random, known: list[str]) -> dict:
    names = rng.sample(known or FIELD_NAMES, k=min(len(known or FIELD_NAMES), rng.randint(0, 8)))
    names += rng.sample(FIELD_NAMES, k=rng.randint(0, 3))
    return {name: _text(rng) for name in names}


def _body(rng: random.Random, known: list[str]) -> tuple[bytes | str, str]:
    """(body, content type) of one of the shapes a broken client or an attacker sends."""
    fields = _fields(rng, known)
    encoded = "&".join(f"{name}={value}" for name, value in fields.items())
    kind = rng.randrange(11)
    if kind == 0:
        return encoded.encode("utf-16"), "application/x-www-form-urlencoded; charset=utf-16"
    if kind == 1:
        return encoded, f"application/x-www-form-urlencoded; charset={rng.choice(['x-nope', 'latin-1', ''])}"
    if kind == 2:
        return (
            b'--XX\r\nContent-Disposition: form-data; name="identifier"\r\n\r\nmarie',
            "multipart/form-data; boundary=XX",
        )
    if kind == 3:
        return encoded, "multipart/form-data"
    if kind == 4:
        depth = rng.choice([50, 5_000, 100_000])
        return "[" * depth + "]" * depth, "application/json"
    if kind == 5:
        return rng.choice(["{", "nul", '{"a": NaN}', '"x"', "[1,2]", "\xff\xfe"]), "application/json"
    if kind == 6:
        return "&".join(
            f"p{number}=1" for number in range(rng.choice([900, 1500]))
        ), "application/x-www-form-urlencoded"
    if kind == 7:
        return f"{rng.choice(known or FIELD_NAMES)}=" + "x" * rng.choice([1_000_000, 3_000_000]), (
            "application/x-www-form-urlencoded"
        )
    if kind == 8:
        files = {"screenshots": PNG, "suspicious_message": PHISHING_EML, "files": b"\x00\x01garbage"}
        name = rng.choice(list(files))
        part = (
            f'--YY\r\nContent-Disposition: form-data; name="{name}"; filename="f.{rng.choice(["png", "eml", "exe"])}"'
        )
        body = part.encode() + b"\r\nContent-Type: application/octet-stream\r\n\r\n" + files[name] + b"\r\n--YY--\r\n"
        return body, "multipart/form-data; boundary=YY"
    if kind == 9:
        return encoded, rng.choice(["text/plain", "application/xml", "image/png", "", "multipart/mixed; boundary=Z"])
    return encoded, "application/x-www-form-urlencoded"


def _query(rng: random.Random, known: list[str]) -> str:
    if rng.random() < 0.3:
        return ""
    if rng.random() < 0.05:
        return "?" + "&".join(f"p{number}=1" for number in range(1500))
    parts = [f"{name}={_text(rng)}" for name in rng.sample(FIELD_NAMES + known, k=rng.randint(1, 4))]
    return "?" + "&".join(parts).replace(" ", "%20").replace("#", "%23")


def _form_fields(html: str) -> list[str]:
    return sorted(set(re.findall(r'name="([\w-]+)"', html)))


@pytest.fixture
def people(client, sign_in, marie, sophie, problem_types):
    corpus()
    from tickets.fields.context import FillContext
    from tickets.forms import IncidentForm
    from tickets.services import ticket_create

    form = IncidentForm(
        login_failure_answers(), problem_type=problem_types["echec-connexion"], context=FillContext(marie)
    )
    assert form.is_valid(), form.errors
    ticket = ticket_create(requester=marie, problem_type=problem_types["echec-connexion"], submission=form.submission)
    clients = {"visitor": Client(raise_request_exception=False, enforce_csrf_checks=True)}
    for name, user in (("staff", marie), ("agent", sophie)):
        clients[name] = sign_in(Client(raise_request_exception=False, enforce_csrf_checks=True), user)
    for each in clients.values():
        each.cookies["csrftoken"] = TOKEN
    return clients, {"reference": ticket.reference, "slug": "mot-de-passe-oublie"}


def test_thousands_of_malformed_requests_never_get_a_server_error(people, request):
    clients, arguments = people
    seed = int(os.environ.get("GUICHET_FUZZ_SEED", "20261202"))
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    paths = sorted({path for _name, path in routes(get_resolver().url_patterns, arguments=arguments)})
    paths += list(admin_paths()) + ["/", "/en/", "/no-such-page/", "/api/no-such-endpoint/"]
    known: dict[str, list[str]] = {}
    statuses: Counter = Counter()
    errors, started = [], time.monotonic()
    for number in range(REQUESTS):
        if time.monotonic() - started > SECONDS:
            break
        who = rng.choice(list(clients))
        client, path = clients[who], rng.choice(paths)
        if path not in known:
            page = client.get(path)
            body = b"".join(page.streaming_content) if page.streaming else page.content
            known[path] = _form_fields(body.decode(errors="replace")) if page.status_code == 200 else []
        method = rng.choice(["GET", "GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
        headers = {"HTTP_X_CSRFTOKEN": TOKEN} if rng.random() < 0.5 else {}
        if rng.random() < 0.3:
            headers["HTTP_ACCEPT_LANGUAGE"] = rng.choice(["en", "xx", "fr;q=abc", "*", "\x00", "en-GB,en;q=0.8"])
        if rng.random() < 0.1:
            headers["HTTP_ACCEPT"] = rng.choice(["application/xml", "text/html", "*/*", "application/json;q=x"])
        target = path + _query(rng, known[path])
        if method in ("GET", "HEAD", "OPTIONS", "DELETE"):
            response = client.generic(method, target, **headers)
        else:
            body, content_type = _body(rng, known[path])
            response = client.generic(method, target, body, content_type=content_type, **headers)
        if path == "/health/" and response.status_code == 503:
            # Its documented answer when a dependency is down (no worker runs here), not a fault.
            statuses["health 503"] += 1
            continue
        statuses[f"{response.status_code // 100}xx"] += 1
        if response.status_code >= 500:
            errors.append((number, who, method, target[:120], response.status_code))
    sent = sum(statuses.values())
    request.config.stash[SUMMARY_LINES].append(
        f"fuzz: {len(paths)} addresses, {sent} malformed requests in {time.monotonic() - started:.0f} s (seed {seed}): "
        + ", ".join(f"{family}: {count}" for family, count in sorted(statuses.items()))
        + f"; 5xx: {statuses['5xx']}"
    )
    assert sent >= 1000, "the time bound cut the run too short to mean anything"
    assert errors == [], errors[:20]
