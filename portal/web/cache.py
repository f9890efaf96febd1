"""The shared cache, degrading instead of failing: when Redis does not answer, a read is a miss and a write is
skipped, with a warning in the logs (at most one every WARNING_INTERVAL seconds per process and operation).

Everything the portal keeps in the cache can be rebuilt from the database (the major-incident flag, the queue
counts, the dashboard figures, the SLA clocks, the knowledge base's generation token), so a page asks the database
instead and is served as usual. What may not be rebuilt fails closed, each saying so where it is used:

- ``add`` answers False when Redis does not answer: "someone already has it". The single-use claims of the sign-in
  challenge (portal/identity/challenge.py) and of security-key challenges (portal/identity/webauthn.py) are then
  refused, rather than accepted twice; a sign-in that needs neither (no challenge asked, an authenticator app) is
  unaffected.
- The rate-limit counters (portal/web/ratelimit.py) talk to Redis directly and choose per scope.

The sign-in lock never depends on the cache: its counters are rows of the database (portal/identity/lockout.py).
Redis's client is also given short timeouts (settings: CACHES' OPTIONS), and a process whose Redis failed to answer
(no connection, a timeout) leaves it alone for RETRY_AFTER seconds, answering as if it had failed again: a Redis
that hangs costs one request one timeout, not every request every call.
"""

import logging
import threading
import time
from collections.abc import Callable

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.signals import request_finished, request_started
from redis.exceptions import ConnectionError, RedisError, TimeoutError

log = logging.getLogger(__name__)

WARNING_INTERVAL = 10.0  # seconds
RETRY_AFTER = 5.0  # seconds without asking a Redis that did not answer
_warned: dict[str, float] = {}
_down_until = 0.0


class RecentlyUnavailable(ConnectionError):
    """Not asked: Redis failed to answer this process less than RETRY_AFTER seconds ago."""


def _check_not_recently_down() -> None:
    if time.monotonic() < _down_until:
        raise RecentlyUnavailable("Redis did not answer a moment ago")


def cache_unavailable(operation: str, error: Exception) -> None:
    """Note that the cache did not answer (for RETRY_AFTER seconds when it was a connection error or a timeout) and
    log it, once per WARNING_INTERVAL for each operation."""
    global _down_until
    now = time.monotonic()
    if isinstance(error, (ConnectionError, TimeoutError)) and not isinstance(error, RecentlyUnavailable):
        _down_until = now + RETRY_AFTER
    if now - _warned.get(operation, -WARNING_INTERVAL) >= WARNING_INTERVAL:
        _warned[operation] = now
        log.warning("The shared cache (Redis) does not answer (%s: %s): served without it.", operation, error)


def redis_client(backend: RedisCache):
    """The Redis client of a Django Redis cache, for what talks to Redis directly (the rate-limit counters' pipelines).
    Raises RecentlyUnavailable, a RedisError, while Redis is left alone
    (see cache_unavailable)."""
    _check_not_recently_down()
    return backend._cache.get_client(write=True)


class KeptClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, keeping one ``redis.Redis`` per connection pool. Django's builds a new one for
    every call (its table of reply parsers with it), which cost as much CPU as the command itself; a ``redis.Redis``
    holds no state of its own beyond its pool, and is safe to share between threads."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


def _degrading(name: str, fallback: Callable):
    """RedisCache's method ``name``, answering ``fallback(*arguments)`` when Redis does not answer."""
    parent = getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        try:
            _check_not_recently_down()
            return parent(self, *args, **kwargs)
        except RedisError as error:
            cache_unavailable(name, error)
            return fallback(*args, **kwargs)

    method.__name__ = name
    return method


def _nothing(*args, **kwargs):
    return None


def _no(*args, **kwargs):
    return False


# What read_ahead brought back for the request this thread serves, by full key (a miss as _ABSENT); None outside a
# request (a job, a shell), where nothing is read ahead.
_ahead = threading.local()
_ABSENT = object()


def _request_begins(**kwargs) -> None:
    _ahead.values = {}


def _request_ends(**kwargs) -> None:
    _ahead.values = None


request_started.connect(_request_begins, dispatch_uid="portal_cache_request_started")
request_finished.connect(_request_ends, dispatch_uid="portal_cache_request_finished")


def read_ahead(*keys: str) -> None:
    """Ask the shared cache for ``keys`` in one round trip, for the rest of this request: ``cache.get`` of one of them
    answers from what came back, a miss included, until this process writes or deletes it. A page that needs several
    values learns them for the price of one. When the cache does not answer, nothing is remembered (each ``get``
    then degrades as usual); outside a request, nothing happens."""
    values = getattr(_ahead, "values", None)
    backend = caches[DEFAULT_CACHE_ALIAS]
    if values is None or not isinstance(backend, ResilientRedisCache):
        return
    wanted = {backend.make_and_validate_key(key): key for key in keys}
    wanted = {full: key for full, key in wanted.items() if full not in values}
    if not wanted:
        return
    try:
        _check_not_recently_down()
        found = RedisCache.get_many(backend, list(wanted.values()))
    except RedisError as error:
        cache_unavailable("read_ahead", error)
        return
    for full, key in wanted.items():
        values[full] = found.get(key, _ABSENT)


def _forgetting(name: str, keys_of: Callable, fallback: Callable):
    """The degrading method ``name`` (see _degrading), which first drops from what was read ahead the keys it
    writes."""
    method = _degrading(name, fallback)

    def forgetting(self, *args, **kwargs):
        _forget(self, keys_of(*args, **kwargs), kwargs.get("version"))
        return method(self, *args, **kwargs)

    forgetting.__name__ = name
    return forgetting


def _forget(backend, keys, version) -> None:
    values = getattr(_ahead, "values", None)
    if values:
        for key in keys:
            values.pop(backend.make_key(key, version=version), None)


def _first(key, *args, **kwargs):
    return [key]


def _all(keys, *args, **kwargs):
    return list(keys)


class ResilientRedisCache(RedisCache):
    """Reads miss (``get`` gives the default), writes are skipped, and ``add`` answers False: a claim that cannot
    be recorded is not granted (fails closed). ``get`` answers what read_ahead brought back, if it did."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient

    _get = _degrading("get", lambda key, default=None, version=None: default)

    def get(self, key, default=None, version=None):
        values = getattr(_ahead, "values", None)
        if values:
            value = values.get(self.make_key(key, version=version), None)
            if value is _ABSENT:
                return default
            if value is not None:
                return value
        return self._get(key, default, version)

    get_many = _degrading("get_many", lambda *args, **kwargs: {})
    has_key = _degrading("has_key", _no)
    add = _forgetting("add", _first, _no)
    set = _forgetting("set", _first, _nothing)
    set_many = _forgetting("set_many", _all, lambda data, *args, **kwargs: list(data))
    touch = _forgetting("touch", _first, _no)
    delete = _forgetting("delete", _first, _no)
    delete_many = _forgetting("delete_many", _all, _nothing)

    def incr(self, key, delta=1, version=None):
        _forget(self, [key], version)
        return super().incr(key, delta, version)

    def clear(self):
        values = getattr(_ahead, "values", None)
        if values:
            values.clear()
        return super().clear()
