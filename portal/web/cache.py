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
Redis's client is also given short timeouts (settings: CACHES' OPTIONS), so a Redis that hangs costs a request at
most that long instead of a worker.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

WARNING_INTERVAL = 10.0  # seconds
_warned: dict[str, float] = {}


def cache_unavailable(operation: str, error: Exception) -> None:
    """Log that the cache did not answer, once per WARNING_INTERVAL for each operation."""
    now = time.monotonic()
    if now - _warned.get(operation, -WARNING_INTERVAL) >= WARNING_INTERVAL:
        _warned[operation] = now
        log.warning("The shared cache (Redis) does not answer (%s: %s): served without it.", operation, error)


class ResilientRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as error:
            cache_unavailable("get", error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError as error:
            cache_unavailable("get_many", error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError as error:
            cache_unavailable("has_key", error)
            return False

    def add(self, key, value, timeout=None, version=None):
        """False when Redis does not answer: a claim that cannot be recorded is not granted (fails closed)."""
        try:
            return super().add(key, value, timeout, version)
        except RedisError as error:
            cache_unavailable("add", error)
            return False

    def set(self, key, value, timeout=None, version=None):
        try:
            super().set(key, value, timeout, version)
        except RedisError as error:
            cache_unavailable("set", error)

    def set_many(self, data, timeout=None, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError as error:
            cache_unavailable("set_many", error)
            return list(data)

    def touch(self, key, timeout=None, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError as error:
            cache_unavailable("touch", error)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError as error:
            cache_unavailable("delete", error)
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except RedisError as error:
            cache_unavailable("delete_many", error)
