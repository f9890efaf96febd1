"""PostgreSQL restarted under a request, or its connection cut as a restart or a failover cuts it: the person gets
a clean 503 page (not a traceback), nothing is written, and the next request works without restarting anything
(Django's CONN_HEALTH_CHECKS and the broken connection dropped at the end of the request)."""

import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import close_old_connections, connection
from django.test import Client

from portal.models import Role, User
from tests.helpers import REQUIRE_SERVICES, requires_services, second_connection
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def cut_at_next_query(*, after: int = 0):
    """A query wrapper that, at query number ``after`` of the request, has the server end this connection's backend
    (pg_terminate_backend, what a restart does to it), then lets the query run into the closed connection."""
    seen = {"count": 0}

    def wrapper(execute, sql, params, many, context):
        if seen["count"] == after:
            pid = connection.connection.info.backend_pid
            with second_connection(autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        seen["count"] += 1
        return execute(sql, params, many, context)

    return wrapper


def end_of_request():
    """What Django's handler does when every request ends (the test client leaves it out): a connection that
    failed is closed, so the next request opens a new one."""
    close_old_connections()


def test_a_request_caught_by_a_restart_gets_a_503_page_and_the_next_one_works(client, marie, sign_in, problem_types):
    requires_services()
    sign_in(client, marie)
    assert client.get("/incidents/").status_code == 200
    client.raise_request_exception = False
    with connection.execute_wrapper(cut_at_next_query(after=2)):
        page = client.get("/incidents/")
    end_of_request()
    assert page.status_code == 503 and page["Retry-After"] == "30"
    body = page.content.decode()
    assert "ne répond pas" in body and "Traceback" not in body
    again = client.get("/incidents/")
    assert again.status_code == 200 and "Mes incidents" in again.content.decode()


def test_a_filing_caught_by_a_restart_writes_nothing_and_the_api_answers_json(client, marie, sign_in, problem_types):
    requires_services()
    from tests.tickets.helpers import login_failure_answers

    sign_in(client, marie)
    client.raise_request_exception = False
    with connection.execute_wrapper(cut_at_next_query(after=6)):
        page = client.post("/en/incidents/signaler/echec-connexion/", login_failure_answers())
    end_of_request()
    assert page.status_code == 503
    assert not Ticket.objects.exists()
    with connection.execute_wrapper(cut_at_next_query(after=1)):
        api = client.get("/api/tickets/")
    end_of_request()
    assert api.status_code == 503 and "detail" in api.json()


def restart_postgresql():
    """pg_ctl restart, fast mode: every connection is cut, and the server is back when it returns."""
    if not os.environ.get("GUICHET_TEST_PG_CTL"):
        message = "needs the PostgreSQL that scripts/with-services starts (GUICHET_TEST_PG_CTL), to restart it"
        pytest.fail(message) if REQUIRE_SERVICES else pytest.skip(message)
    data = os.environ["GUICHET_TEST_PG_DATA"]
    log = os.path.join(os.path.dirname(data), "server.log")
    command = [os.environ["GUICHET_TEST_PG_CTL"], "-D", data, "-l", log, "-m", "fast", "-w", "restart"]
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    # No pipes: the new server would inherit them and hold them open.
    subprocess.run([*as_postgres, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=60)  # fmt: skip


def restart_at_next_query(*, after: int = 0):
    """A query wrapper that restarts the PostgreSQL server at query number ``after`` of the request, then lets the
    query run into the cut connection."""
    seen = {"count": 0}

    def wrapper(execute, sql, params, many, context):
        if seen["count"] == after:
            restart_postgresql()
        seen["count"] += 1
        return execute(sql, params, many, context)

    return wrapper


def test_postgresql_restarted_under_a_request_gives_a_503_and_the_next_request_works(client, marie, sign_in):
    requires_services()
    sign_in(client, marie)
    client.raise_request_exception = False
    with connection.execute_wrapper(restart_at_next_query(after=2)):
        page = client.get("/incidents/")
    end_of_request()
    assert page.status_code == 503 and "ne répond pas" in page.content.decode()
    assert client.get("/incidents/").status_code == 200


IN_FLIGHT = 8


def test_postgresql_restarted_under_load_every_request_in_flight_gets_a_503_and_the_next_ones_work(
    live_server, marie, sign_in, problem_types
):
    """Eight people's "my incidents" pages waiting on the database (another session holds the tickets table) when
    the server restarts: each gets the 503 page, and the same web process then serves them all as usual."""
    requires_services()
    sessions = []
    for number in range(IN_FLIGHT):
        person = User.objects.create_user(f"agent.test{number}", f"p{number}@ac-exemple.fr", role=Role.STAFF)
        session = requests.Session()
        session.cookies.update({name: morsel.value for name, morsel in sign_in(Client(), person).cookies.items()})
        sessions.append(session)
    page = live_server.url + "/incidents/"
    assert sessions[0].get(page, timeout=30).status_code == 200

    holder = second_connection()
    holder.execute("LOCK TABLE tickets_ticket IN ACCESS EXCLUSIVE MODE")
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        in_flight = [pool.submit(session.get, page, timeout=60) for session in sessions]
        try:
            deadline = time.monotonic() + 30
            # Asked from a session of its own: inside the holder's transaction, pg_stat_activity would not change.
            with second_connection(autocommit=True) as watcher:
                while (blocked := watcher.execute(waiting).fetchone()[0]) < IN_FLIGHT and time.monotonic() < deadline:
                    time.sleep(0.05)
            assert blocked == IN_FLIGHT, f"{blocked} requests of {IN_FLIGHT} reached the database"
            restart_postgresql()
        finally:
            holder.close()  # the lock ends with the restart, or here if the test failed before it
        answers = [future.result() for future in in_flight]
    connection.close()  # this thread's connection was cut too

    assert [answer.status_code for answer in answers] == [503] * IN_FLIGHT
    assert all("ne répond pas" in answer.text and "Traceback" not in answer.text for answer in answers)
    again = [session.get(page, timeout=30) for session in sessions]
    assert [answer.status_code for answer in again] == [200] * IN_FLIGHT
    assert all("Mes incidents" in answer.text for answer in again)
