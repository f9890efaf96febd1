"""200 parallel filings through the API and 200 through the form, on a live server over PostgreSQL: every one is
stored, every reference is unique, and the per-year counter leaves no gap."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.test import Client
from django.utils import timezone

from portal.models import Role, User
from tests.helpers import DEMO_PASSWORD, requires_services
from tests.tickets.helpers import login_failure_answers
from tickets.models import Ticket, TicketEvent, TicketEventKind
from tickets.references import format_reference

pytestmark = pytest.mark.django_db(transaction=True)

SUBMISSIONS = 200
WORKERS = 20
PEOPLE = 10
FORM = "/en/incidents/signaler/echec-connexion/"


@pytest.fixture
def people(sign_in, problem_types):
    """Ten signed-in staff members: their session cookies and a CSRF token each."""
    sessions = []
    for number in range(PEOPLE):
        user = User.objects.create_user(
            f"staff.test{number}", f"p{number}@ac-exemple.fr", DEMO_PASSWORD, role=Role.STAFF
        )
        client = sign_in(Client(), user)
        sessions.append({"user": user, "cookies": {name: morsel.value for name, morsel in client.cookies.items()}})
    return sessions


def with_csrf(base_url: str, person: dict) -> requests.Session:
    session = requests.Session()
    session.cookies.update(person["cookies"])
    page = session.get(base_url + FORM, timeout=30)
    assert page.status_code == 200, page.status_code
    session.headers["X-CSRFToken"] = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.headers["Referer"] = base_url + FORM
    return session


def run_in_parallel(task) -> tuple[list, float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(task, range(SUBMISSIONS)))
    return results, time.perf_counter() - started


def check_stored(expected_total: int) -> set[str]:
    year = timezone.localdate().year
    references = list(Ticket.objects.values_list("reference", flat=True))
    assert len(references) == expected_total
    assert len(set(references)) == expected_total, "duplicate references"
    wanted = {format_reference(year, number) for number in range(1, expected_total + 1)}
    assert set(references) == wanted, "a reference was skipped or reused"
    assert TicketEvent.objects.filter(kind=TicketEventKind.CREATED).count() == expected_total
    return set(references)


def test_two_hundred_parallel_filings_through_the_api_then_the_form(live_server, people, settings):
    # Twenty filings each is beyond the per-person limit: this test is about references, not rate limits.
    settings.GUICHET_RATE_LIMITS = dict.fromkeys(settings.GUICHET_RATE_LIMITS, "100000/hour")
    requires_services()
    base = live_server.url
    sessions = [with_csrf(base, person) for person in people]

    def through_api(number):
        person = people[number % PEOPLE]
        answers = {
            **login_failure_answers(identifier=person["user"].username, description=f"api {number}"),
            "problem_type": "echec-connexion",
            "other_browser_tried": False,
        }
        response = sessions[number % PEOPLE].post(base + "/api/tickets/", json=answers, timeout=60)
        return response.status_code, response.json().get("reference") if response.status_code == 201 else None

    api_results, api_seconds = run_in_parallel(through_api)
    api_statuses = [status for status, _ in api_results]
    api_references = [reference for _, reference in api_results if reference]
    print(
        f"\nAPI: {SUBMISSIONS} parallel submissions ({WORKERS} threads) in {api_seconds:.1f} s: "
        f"{api_statuses.count(201)} answered 201, {Ticket.objects.count()} rows, "
        f"{len(set(api_references))} distinct references"
    )
    assert api_statuses == [201] * SUBMISSIONS
    stored = check_stored(SUBMISSIONS)
    assert set(api_references) == stored

    def through_form(number):
        person = people[number % PEOPLE]
        answers = login_failure_answers(identifier=person["user"].username, description=f"form {number}")
        answers["csrfmiddlewaretoken"] = sessions[number % PEOPLE].headers["X-CSRFToken"]
        response = sessions[number % PEOPLE].post(base + FORM, data=answers, allow_redirects=False, timeout=60)
        location = response.headers.get("Location", "")
        return response.status_code, location.rstrip("/").rsplit("/", 1)[-1]

    form_results, form_seconds = run_in_parallel(through_form)
    form_statuses = [status for status, _ in form_results]
    form_references = [reference for status, reference in form_results if status == 302]
    print(
        f"Form: {SUBMISSIONS} parallel submissions ({WORKERS} threads) in {form_seconds:.1f} s: "
        f"{form_statuses.count(302)} redirected to their incident, {Ticket.objects.count() - SUBMISSIONS} new rows, "
        f"{len(set(form_references))} distinct references"
    )
    assert form_statuses == [302] * SUBMISSIONS
    all_references = check_stored(2 * SUBMISSIONS)
    assert set(form_references) == all_references - stored
    # Each person owns exactly the incidents they filed.
    for person in people:
        assert Ticket.objects.filter(requester=person["user"]).count() == 2 * SUBMISSIONS // PEOPLE
    print(f"Total: {Ticket.objects.count()} incidents, references {min(all_references)} … {max(all_references)}")
