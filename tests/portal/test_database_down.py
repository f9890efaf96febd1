"""PostgreSQL restarted under a request, or its connection cut as a restart or a failover cuts it: the person gets
a clean 503 page (not a traceback), nothing is written, and the next request works without restarting anything
(Django's CONN_HEALTH_CHECKS and the broken connection dropped at the end of the request)."""

import os
import subprocess

import pytest
from django.db import close_old_connections, connection

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


def restart_at_next_query(*, after: int = 0):
    """A query wrapper that restarts the PostgreSQL server itself (pg_ctl restart, fast mode: every connection is
    cut) at query number ``after`` of the request, then lets the query run into the cut connection."""
    seen = {"count": 0}

    def wrapper(execute, sql, params, many, context):
        if seen["count"] == after:
            data = os.environ["GUICHET_TEST_PG_DATA"]
            log = os.path.join(os.path.dirname(data), "server.log")
            command = [os.environ["GUICHET_TEST_PG_CTL"], "-D", data, "-l", log, "-m", "fast", "-w", "restart"]
            as_postgres = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
            # No pipes: the new server would inherit them and hold them open.
            subprocess.run([*as_postgres, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=60)  # fmt: skip
        seen["count"] += 1
        return execute(sql, params, many, context)

    return wrapper


def test_postgresql_restarted_under_a_request_gives_a_503_and_the_next_request_works(client, marie, sign_in):
    requires_services()
    if not os.environ.get("GUICHET_TEST_PG_CTL"):
        message = "needs the PostgreSQL that scripts/with-services starts (GUICHET_TEST_PG_CTL), to restart it"
        pytest.fail(message) if REQUIRE_SERVICES else pytest.skip(message)
    sign_in(client, marie)
    client.raise_request_exception = False
    with connection.execute_wrapper(restart_at_next_query(after=2)):
        page = client.get("/incidents/")
    end_of_request()
    assert page.status_code == 503 and "ne répond pas" in page.content.decode()
    assert client.get("/incidents/").status_code == 200
