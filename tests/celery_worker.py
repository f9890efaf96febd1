"""A real Celery worker (and, if asked, its beat) started for a test, on the test database and the real broker."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.db import connection

from portal.celery import app as celery_app
from tests.helpers import ROOT, requires_services


def wait_for(condition, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


# A short visibility timeout for a worker that must take over a killed worker's task (settings.py).
REDELIVERY = {"GUICHET_TASK_REDELIVERY_SECONDS": "2"}


def past_redelivery():
    """Waits until a task left unacknowledged by a killed worker can be given out again. A starting worker gives
    out such tasks once, then looks again only every 100 s (kombu's restore interval times its throttle), so the
    next worker must start after the visibility timeout has passed."""
    time.sleep(int(REDELIVERY["GUICHET_TASK_REDELIVERY_SECONDS"]) + 1)


def worker_started(directory: Path, *, beat: bool = False, env: dict | None = None):
    """Yields the worker's process; stops it afterwards and fails the test if its log holds a traceback. ``env``
    adds environment variables (the settings it reads)."""
    requires_services()
    # The worker must use the test database pytest-django created, not the one DATABASE_URL names.
    url = urlsplit(os.environ["DATABASE_URL"])
    test_db_url = urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))
    env = {**os.environ, "DATABASE_URL": test_db_url, "GUICHET_VAR_DIR": str(directory), **(env or {})}
    log_path = directory / "worker.log"
    log = open(log_path, "w+")  # noqa: SIM115 (closed below)
    command = [sys.executable, "-m", "celery", "-A", "portal", "worker", "--concurrency", "1", "--loglevel", "INFO",
               "--without-gossip", "--without-mingle", "--hostname", f"test-{os.getpid()}@%h"]  # fmt: skip
    if beat:
        command += ["--beat", "--schedule", str(directory / "beat-schedule")]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    celery_app.conf.task_always_eager = False
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.seek(0)
        output = log.read()
        log.close()
    assert "Traceback" not in output, output
