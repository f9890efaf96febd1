"""A reset link used by 50 browsers at once changes the password once (live server, PostgreSQL), and the request
page answers in the same time whether the account exists or not (R19)."""

import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.contrib.auth import authenticate
from django.core import mail
from django.test import Client

from portal.celery import app as celery_app
from portal.models import EventKind, SecurityEvent
from tests.helpers import SUMMARY_LINES, requires_services
from tests.portal.test_password_reset import LINK, REQUEST

NEW = "/compte/mot-de-passe-oublie/nouveau/"


def _csrf(session: requests.Session, url: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(url, timeout=30).text).group(1)


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_submissions_of_one_link_change_the_password_once(live_server, marie, request):
    requires_services()
    marie.recovery_email = "marie.perso@example.net"
    marie.save()
    Client().post(REQUEST, {"identifier": "marie.dupont"})
    secret = LINK.search(mail.outbox[-1].body).group(1)

    # Fifty browsers each open the link and reach the form first, then all submit together.
    browsers = []
    for n in range(50):
        session = requests.Session()
        session.get(f"{live_server.url}/compte/mot-de-passe-oublie/lien/{secret}/", timeout=30)
        browsers.append((session, _csrf(session, live_server.url + NEW), f"phrase de passe numéro {n} du test"))

    def submit(browser):
        session, token, password = browser
        response = session.post(
            live_server.url + NEW,
            data={"csrfmiddlewaretoken": token, "new_password": password, "confirmation": password},
            headers={"Referer": live_server.url + NEW},
            allow_redirects=False,
            timeout=60,
        )
        return response.status_code, password

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(submit, browsers))
    winners = [password for status, password in results if status == 302]
    statuses = sorted({status for status, _ in results})
    line = f"50 parallel submissions of one reset link: {len(winners)} succeeded, statuses {statuses}"
    request.config.stash[SUMMARY_LINES].append(line)
    assert len(winners) == 1, line
    assert statuses == [302, 410]
    assert SecurityEvent.objects.filter(kind=EventKind.PASSWORD_CHANGE, user=marie).count() == 1
    assert authenticate(username="marie.dupont", password=winners[0]) is not None


@pytest.mark.django_db
def test_the_request_takes_the_same_time_for_an_existing_and_an_unknown_account(marie, settings, request):
    """Timed in-process like the sign-in comparison (tests/portal/test_login_concurrency.py): 200 requests each,
    alternated. Tasks really go to the broker, as in production: the worker's part (finding the account, mailing)
    is not in the page's time, which is the point of R19."""
    settings.GUICHET_RATE_LIMITS = {**settings.GUICHET_RATE_LIMITS, "password_reset": "10000/hour"}
    marie.recovery_email = "marie.perso@example.net"
    marie.save()
    client = Client()

    def timed(identifier):
        started = time.perf_counter()
        response = client.post(REQUEST, {"identifier": identifier})
        assert response.status_code == 302
        return time.perf_counter() - started

    existing, unknown = [], []
    celery_app.conf.task_always_eager = False
    try:
        for n in range(200):
            existing.append(timed("marie.dupont"))
            unknown.append(timed(f"personne.inconnue{n}"))
    finally:
        celery_app.control.purge()  # nobody consumes them here
    known_ms, unknown_ms = statistics.median(existing) * 1000, statistics.median(unknown) * 1000
    line = (
        f"reset request, median of 200 each: existing account {known_ms:.2f} ms, unknown {unknown_ms:.2f} ms "
        f"(difference {abs(known_ms - unknown_ms):.2f} ms)"
    )
    request.config.stash[SUMMARY_LINES].append(line)
    assert abs(known_ms - unknown_ms) < 10, line
