"""Rate limits where a script could flood: counted in the shared cache (Redis in production, so every web process
on every host counts together), per person when signed in, else per client address read as sign-in reads it.

One implementation for pages and API: ``limited(request, scope)`` returns the seconds to wait (None when the
request may go on), the ``rate_limited(scope)`` view decorator answers 429 with ``Retry-After``, and
portal.web.api.ScopedThrottle applies the same counters to the API. Limits (``GUICHET_RATE_LIMITS``, a count per
window, "60/min", "20/hour") are read at each request. Addresses of ``GUICHET_SHARED_EGRESS_NETWORKS`` (a school's
NAT) get ``GUICHET_SHARED_EGRESS_RATE_FACTOR`` times the limit, as they get a higher sign-in failure limit.

Counters are fixed windows: ``cache.add`` starts one, ``cache.incr`` counts, the key expires with the window.

When Redis does not answer, the limits of FAIL_CLOSED_SCOPES refuse (a reset or recovery message is then not sent,
as beyond the limit, and the page says what it always says: nothing to tell an attacker, no mail to bomb anyone
with); every other limit lets the request through, with a warning in the logs (portal.web.cache).
"""

import ipaddress
import time
from functools import wraps

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext, ngettext
from redis.exceptions import RedisError

from portal.web.cache import cache_unavailable, redis_client
from portal.web.network import client_ip

# Limits whose loss would let a script send mail to anyone: refused while the counters cannot be kept.
FAIL_CLOSED_SCOPES = frozenset({"password_reset", "recovery_request"})
PERIODS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "60/min" → (60, 60). Raises ValueError for anything else."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period.strip().lower()]


def _shared_egress(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in settings.GUICHET_SHARED_EGRESS_NETWORKS)


def limited(request, scope: str) -> int | None:
    """Count this request against ``scope``; the seconds to wait when over the limit, else None."""
    count, window = parse_rate(settings.GUICHET_RATE_LIMITS[scope])
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        ident = f"user-{user.pk}"
    else:
        address = client_ip(request)
        ident = f"ip-{address}"
        if _shared_egress(address):
            count *= settings.GUICHET_SHARED_EGRESS_RATE_FACTOR
    now = time.time()
    start = int(now // window) * window
    try:
        used = _count(f"guichet:rate:{scope}:{ident}:{start}", window + 1)
    except RedisError as error:
        # Redis does not answer: a flood limit lets the request through (what it protects is in the database, and
        # the sign-in lock never depends on the cache); a limit in FAIL_CLOSED_SCOPES refuses it.
        cache_unavailable(f"rate limit {scope}", error)
        return window if scope in FAIL_CLOSED_SCOPES else None
    if used <= count:
        return None
    return max(1, int(start + window - now + 0.999))


def _count(key: str, timeout: int) -> int:
    """Add one to the window's counter, creating it with its expiry; the new count."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        # One round trip instead of Django's three (SET NX, then EXISTS and INCRBY), on a client kept per cache
        # object: the counter is read before every sign-in and every mail login. Same key and value as the cache
        # API's (Django stores integers as they are, so that INCR works on them).
        full_key = backend.make_and_validate_key(key)
        pipe = redis_client(backend).pipeline(transaction=False)
        pipe.set(full_key, 0, ex=timeout, nx=True)
        pipe.incr(full_key)
        return pipe.execute()[1]
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this request opens the next window
        cache.add(key, 1, timeout=timeout)
        return 1


def wait_message(wait: int) -> str:
    return ngettext(
        "Too many requests: wait %(seconds)d second and try again.",
        "Too many requests: wait %(seconds)d seconds and try again.",
        wait,
    ) % {"seconds": wait}


def too_many_requests(request, wait: int) -> HttpResponse:
    """429 with Retry-After, as JSON for the API and as a page for people."""
    message = wait_message(wait)
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        body = loader.render_to_string("429.html", {"detail": message, "title": gettext("Too many requests")}, request)
        response = HttpResponse(body, status=429)
    response["Retry-After"] = str(wait)
    return response


def rate_limited(scope: str, *, methods=("POST",)):
    """A view decorator: requests of ``methods`` count against ``scope``; beyond the limit, 429 and the view does
    not run."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods:
                wait = limited(request, scope)
                if wait is not None:
                    return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
