"""R37: the Redis channel. The portal runs against a Redis that requires a password (and would refuse it without);
the messages a worker gets carry ids, never a password, a code, a token or an e-mail's text."""

import base64
import json
import shutil
import socket
import subprocess
import time

import pytest
from django.conf import settings

from portal.celery import app as celery_app
from tests.helpers import DEMO_PASSWORD, REQUIRE_SERVICES, requires_services
from tests.portal.test_settings import run_django

pytestmark = pytest.mark.django_db

PASSWORD = "r3dis-s3cret-for-the-test"


@pytest.fixture
def redis_with_password(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        if REQUIRE_SERVICES:
            pytest.fail("redis-server is not installed")
        pytest.skip("needs redis-server; run `make test`")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--requirepass",
            PASSWORD,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
    )
    for _ in range(50):
        with socket.socket() as attempt:
            if attempt.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield port
    process.terminate()
    process.wait(timeout=10)


HEALTH = (
    "from portal.site import health\nchecks = health.run_checks()\nprint(checks['cache']['ok'], checks['broker']['ok'])"
)


def test_the_portal_runs_against_a_redis_that_requires_a_password(redis_with_password, tmp_path):
    url = f"redis://:{PASSWORD}@127.0.0.1:{redis_with_password}/0"
    secret_file = tmp_path / "redis-url"
    secret_file.write_text(url)
    result = run_django(HEALTH, {"REDIS_URL_FILE": str(secret_file)}, tmp_path)  # the URL holds a secret: a file
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
    wrong = run_django(HEALTH, {"REDIS_URL": f"redis://:wrong@127.0.0.1:{redis_with_password}/0"}, tmp_path)
    assert wrong.stdout.split() == ["False", "False"]
    assert PASSWORD not in wrong.stderr and "wrong" not in wrong.stdout  # no connection string in the logs


def test_broker_messages_carry_no_secret(client, sign_in, marie, django_capture_on_commit_callbacks):
    requires_services()
    import redis

    celery_app.control.purge()
    celery_app.conf.task_always_eager = False  # really sent to Redis (no worker runs: the messages wait there)
    sign_in(client, marie)
    new = "une phrase toute neuve pour le test"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/compte/mot-de-passe/", {"current_password": DEMO_PASSWORD, "new_password": new, "confirmation": new}
        )
        client.post("/compte/securite/jetons/ajouter/", {"name": "script", "scopes": ["read"], "days": 7})
    from portal.models import ApiToken

    bodies = []
    for raw in redis.Redis.from_url(settings.CELERY_BROKER_URL).lrange("celery", 0, -1):
        message = json.loads(raw)
        bodies.append(base64.b64decode(message["body"]).decode())
    celery_app.control.purge()
    assert bodies, "the changes queued no task"
    everything = "\n".join(bodies)
    assert all(isinstance(json.loads(body)[0][0], int) for body in bodies)  # each task takes an id
    for secret in (new, DEMO_PASSWORD, marie.email, ApiToken.objects.get().secret_hash, "gch_"):
        assert secret not in everything
