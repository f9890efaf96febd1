"""Prometheus metrics at /metrics/: requests and their latency, the Celery queue, locks in force. Not public.

- ``guichet_http_requests_total{method,view,status}`` and ``guichet_http_request_duration_seconds{method,view}``,
  counted by ``MetricsMiddleware`` (first in the chain, so the whole request is timed). ``view`` is the URL name
  (``kb:article``), never the path, so the number of series stays bounded whatever is requested.
- At each scrape, read from the broker and the database: ``guichet_celery_queue_messages{queue}`` (tasks waiting),
  ``guichet_worker_heartbeat_age_seconds``, ``guichet_signin_locks{kind}`` (identifiers locked now; ``reset`` for
  those that need a reset or a helpdesk unlock), ``guichet_sources_throttled`` (client addresses over their limit
  in the current window) and ``guichet_challenge_periods_active``.

Several web processes: with ``PROMETHEUS_MULTIPROC_DIR`` set (in the environment: an empty directory per host,
which the service manager empties before each start), each gunicorn worker writes its counters there and any of
them answers the scrape with the sum. There are no per-process gauges, so a worker that exits needs no clean-up.
Each host is scraped on its own; the scrape-time figures are the deployment's, read by every host.

Access: from the networks of ``GUICHET_METRICS_ALLOWED_NETWORKS`` (loopback by default in development), or with
``Authorization: Bearer <GUICHET_METRICS_TOKEN>``; anyone else gets a 404, as if there were nothing there.
"""

import hmac
import ipaddress
import logging
import os
import time

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from portal.web.network import client_ip

log = logging.getLogger(__name__)

REQUESTS = Counter("guichet_http_requests", "HTTP requests answered.", ["method", "view", "status"])
LATENCY = Histogram(
    "guichet_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None else "unmatched"
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(method, view, str(response.status_code)).inc()
        LATENCY.labels(method, view).observe(time.perf_counter() - started)
        return response


class DeploymentCollector:
    """The figures read at scrape time; a source that cannot be read is left out (and logged), never an error."""

    def describe(self):
        return []  # nothing read when registered (at import): only when scraped

    def collect(self):
        yield from self._safely(self._queue)
        yield from self._safely(self._heartbeat)
        yield from self._safely(self._locks)

    def _safely(self, read):
        try:
            yield from read()
        except Exception:  # the scrape still answers with what could be read
            log.warning("metrics: could not read %s", read.__name__.strip("_"), exc_info=True)

    def _queue(self):
        from kombu.exceptions import ChannelError

        from portal.celery import app

        family = GaugeMetricFamily("guichet_celery_queue_messages", "Tasks waiting in the broker.", labels=["queue"])
        name = app.conf.task_default_queue
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=0, timeout=2)
            try:
                waiting = connection.default_channel.queue_declare(queue=name, passive=True).message_count
            except ChannelError:
                waiting = 0  # Redis drops an empty list: an empty queue does not "exist"
            family.add_metric([name], waiting)
        yield family

    def _heartbeat(self):
        from portal.site.health import worker_heartbeat_age

        age = worker_heartbeat_age()
        if age is not None:
            yield GaugeMetricFamily(
                "guichet_worker_heartbeat_age_seconds", "Seconds since a worker last said it was consuming.", age
            )

    def _locks(self):
        from portal.identity import lockout
        from portal.models import ChallengeMode

        locks = GaugeMetricFamily("guichet_signin_locks", "Identifiers whose sign-in is locked now.", labels=["kind"])
        for kind, count in lockout.lock_counts().items():
            locks.add_metric([kind], count)
        yield locks
        yield GaugeMetricFamily(
            "guichet_sources_throttled",
            "Client addresses over their failed sign-in limit in the current window.",
            lockout.blocked_source_count(),
        )
        yield GaugeMetricFamily(
            "guichet_challenge_periods_active",
            "Networks (or everyone) asked for the anti-robot check now.",
            ChallengeMode.objects.filter(active_until__gt=timezone.now()).count(),
        )


def _registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(DeploymentCollector())
        return registry
    return REGISTRY


if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    REGISTRY.register(DeploymentCollector())


def allowed(request) -> bool:
    token = settings.GUICHET_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in settings.GUICHET_METRICS_ALLOWED_NETWORKS)


@never_cache
@require_GET
def metrics_view(request):
    if not allowed(request):
        raise Http404
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
