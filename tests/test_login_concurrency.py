"""Parallel attacks on a real server: the lock holds under concurrency (R1, R6), and refusals take the same time
whatever the account (R3). Runs against the live server on PostgreSQL."""

import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from portal.models import EventKind, SecurityEvent
from tests.conftest import DEMO_PASSWORD, requires_services

pytestmark = pytest.mark.django_db(transaction=True)

LOGIN = "/compte/connexion/"


def csrf_session(base_url: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(base_url + LOGIN, timeout=10).text
    return session, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def post_login(base_url, identifier, password):
    session, token = csrf_session(base_url)
    started = time.perf_counter()
    response = session.post(
        base_url + LOGIN,
        data={"csrfmiddlewaretoken": token, "identifier": identifier, "password": password},
        headers={"Referer": base_url + LOGIN},
        allow_redirects=False,
        timeout=30,
    )
    return response.status_code, time.perf_counter() - started


def test_a_hundred_parallel_wrong_passwords_are_mostly_not_evaluated(live_server, staff):
    requires_services()
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda i: post_login(live_server.url, "marie.dupont", f"wrong-{i}"), range(100)))
    assert {status for status, _ in results} == {200}
    evaluated = SecurityEvent.objects.filter(kind=EventKind.LOGIN_FAIL, data__reason="credentials").count()
    refused_unevaluated = SecurityEvent.objects.filter(kind=EventKind.LOGIN_FAIL, data__reason="locked").count()
    print(f"\n100 parallel wrong passwords: {evaluated} evaluated, {refused_unevaluated} refused before evaluation")
    assert evaluated + refused_unevaluated == 100
    assert 1 <= evaluated <= 5
    # Still locked: the right password is refused too.
    assert post_login(live_server.url, "marie.dupont", DEMO_PASSWORD)[0] == 200


def test_unknown_identifier_and_wrong_password_take_the_same_time(live_server, staff, settings):
    requires_services()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    settings.GUICHET_LOCKOUT_TIERS = [(10_000, settings.GUICHET_LOCKOUT_TIERS[0][1])]
    settings.GUICHET_SOURCE_FAILURE_LIMIT = 10_000
    staff.set_password(DEMO_PASSWORD)
    staff.save()
    unknown, known = [], []
    for i in range(40):
        unknown.append(post_login(live_server.url, f"zz.nouser{i % 5}", "wrong password")[1])
        known.append(post_login(live_server.url, "marie.dupont", "wrong password")[1])
    difference_ms = abs(statistics.median(unknown) - statistics.median(known)) * 1000
    print(
        f"\nmedian login POST: unknown {statistics.median(unknown) * 1000:.1f} ms, "
        f"wrong password {statistics.median(known) * 1000:.1f} ms, difference {difference_ms:.1f} ms"
    )
    assert difference_ms < 10
