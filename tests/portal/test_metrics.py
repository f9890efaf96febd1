"""Operations: Prometheus metrics for the people who run the portal (and nobody else), and JSON logs on request."""

import json
import re

import pytest

from portal.celery import app as celery_app
from portal.models import AccountLockout
from tests.helpers import requires_services
from tests.portal.test_settings import run_django

pytestmark = pytest.mark.django_db


def metric(text: str, name: str, **labels) -> float | None:
    """The value of one series in the exposition format, or None."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))) == wanted:
            return float(match.group(2))
    return None


def test_metrics_are_not_public(client, settings):
    settings.GUICHET_METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.GUICHET_METRICS_TOKEN = "s3cret-scraper-token"
    outside = {"REMOTE_ADDR": "203.0.113.5"}
    assert client.get("/metrics/", **outside).status_code == 404  # as if there were nothing there
    assert client.get("/metrics/", HTTP_AUTHORIZATION="Bearer wrong", **outside).status_code == 404
    assert client.get("/metrics/", HTTP_AUTHORIZATION="Bearer s3cret-scraper-token", **outside).status_code == 200
    assert client.get("/metrics/", REMOTE_ADDR="10.1.2.3").status_code == 200
    settings.GUICHET_METRICS_TOKEN = ""
    assert client.get("/metrics/", HTTP_AUTHORIZATION="Bearer ", **outside).status_code == 404


def test_requests_latency_and_locks_are_counted(client):
    before = metric(client.get("/metrics/").content.decode(), "guichet_http_requests_total",
                    method="GET", view="kb:home", status="200") or 0  # fmt: skip
    client.get("/aide/")
    for attempt in range(5):  # five failures lock the identifier for 15 minutes
        client.post("/compte/connexion/", {"identifier": "personne.inconnue", "password": f"essai {attempt}"})
        AccountLockout.objects.update(last_attempt_at=None)  # no rapid-fire penalty between the test's tries
    text = client.get("/metrics/").content.decode()
    assert "# HELP guichet_http_requests_total" in text
    assert metric(text, "guichet_http_requests_total", method="GET", view="kb:home", status="200") == before + 1
    assert metric(text, "guichet_http_request_duration_seconds_count", method="GET", view="kb:home") >= 1
    assert metric(text, "guichet_signin_locks", kind="timed") == 1
    assert metric(text, "guichet_signin_locks", kind="reset") == 0
    # Paths never become labels: a thousand odd addresses are one series.
    for number in range(20):
        client.get(f"/nope-{number}/")
    text = client.get("/metrics/").content.decode()
    assert "nope" not in text
    assert metric(text, "guichet_http_requests_total", method="GET", view="unmatched", status="404") >= 20


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # send_task is meant to really send
def test_the_celery_queue_length_is_read_from_the_broker(client):
    requires_services()
    celery_app.control.purge()
    # Redis drops an empty list: the empty queue is still reported, as 0.
    assert metric(client.get("/metrics/").content.decode(), "guichet_celery_queue_messages", queue="celery") == 0
    celery_app.send_task("portal.tasks.worker_heartbeat")  # no worker runs here: it waits in the queue
    text = client.get("/metrics/").content.decode()
    assert metric(text, "guichet_celery_queue_messages", queue="celery") == 1
    celery_app.control.purge()


def test_logs_can_be_json_one_object_per_line(tmp_path):
    result = run_django(
        "import logging\nlogging.getLogger('guichet.test').warning('disk %s full', 'var')",
        {"GUICHET_LOG_FORMAT": "json"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines() if "guichet.test" in line]
    record = json.loads(line)
    assert record["message"] == "disk var full"
    assert (record["level"], record["logger"]) == ("WARNING", "guichet.test")
    assert {"time", "process"} <= set(record)


def test_an_unknown_log_format_is_an_error(tmp_path):
    result = run_django("print('started')", {"GUICHET_LOG_FORMAT": "xml"}, tmp_path)
    assert result.returncode != 0 and "GUICHET_LOG_FORMAT" in result.stderr


def test_several_web_processes_on_a_host_add_up(tmp_path):
    """gunicorn workers each write their counters into PROMETHEUS_MULTIPROC_DIR; any of them answers the sum."""
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    (tmp_path / "metrics").mkdir()
    count = "from portal.site.metrics import REQUESTS\nREQUESTS.labels('GET', 'home', '200').inc()"
    for _worker in range(2):
        assert run_django(count, env, tmp_path).returncode == 0
    scrape = "from prometheus_client import generate_latest\nfrom portal.site import metrics\n"
    scrape += "print(generate_latest(metrics._registry()).decode())"
    result = run_django(scrape, env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert metric(result.stdout, "guichet_http_requests_total", method="GET", view="home", status="200") == 2
