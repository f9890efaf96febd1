"""/health/ tells a load balancer whether this instance can serve: 200 only when every dependency is up."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from portal.celery import app as celery_app
from portal.site import health

pytestmark = pytest.mark.django_db


def test_all_up_gives_200_with_every_check(client):
    health.record_worker_heartbeat()
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker", "worker"}
    assert all(check["ok"] for check in body["checks"].values())
    assert response["Cache-Control"].startswith("max-age=0")


def test_no_worker_heartbeat_gives_503(client):
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["worker"] == {
        "ok": False,
        "error": "no worker heartbeat recorded",
        "ms": pytest.approx(0, abs=50),
    }
    assert body["checks"]["database"]["ok"] is True


def test_stale_worker_heartbeat_gives_503(client, settings):
    stale = timezone.now() - timedelta(seconds=settings.GUICHET_WORKER_HEARTBEAT_MAX_AGE + 5)
    cache.set(health.HEARTBEAT_KEY, stale.isoformat())
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["last_heartbeat_seconds_ago"] > settings.GUICHET_WORKER_HEARTBEAT_MAX_AGE


def test_unreachable_broker_gives_503_without_leaking_the_address(client):
    health.record_worker_heartbeat()
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://:s3cret-password@127.0.0.1:1/0"
    try:
        response = client.get("/health/")
    finally:
        celery_app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert response.json()["checks"]["broker"]["error"] == "unreachable"
    assert b"s3cret" not in response.content
    assert b"127.0.0.1" not in response.content


@pytest.mark.parametrize(
    "backend", ["django.core.cache.backends.redis.RedisCache", "portal.web.cache.ResilientRedisCache"]
)
def test_unreachable_cache_gives_503(client, settings, backend):
    # The portal's own backend serves pages without the cache, and /health/ still says it is down.
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "redis://127.0.0.1:1/0"}}
    response = client.get("/health/")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["cache"]["ok"] is False
    assert checks["database"]["ok"] is True


def test_health_is_read_only(client):
    assert client.post("/health/").status_code == 405


def test_the_public_learns_only_up_or_down(client, settings):
    settings.GUICHET_METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.GUICHET_METRICS_TOKEN = "probe-token"
    public = client.get("/health/", REMOTE_ADDR="203.0.113.5").json()
    assert set(public) == {"status"}
    inside = client.get("/health/", REMOTE_ADDR="10.0.0.7").json()
    assert {"database", "cache", "broker", "worker"} <= set(inside["checks"])
    with_token = client.get("/health/", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer probe-token")
    assert "checks" in with_token.json()
