"""The parts of the article page that are the same for every reader of one kind, and the search and suggestion
answers (kb.search), kept in each web process and dropped as soon as any article or thesaurus concept changes.

The article page is the knowledge base's most read page, and most of it is the same for everyone who reads it in
one language with the same rights (anonymous, signed in, verified agent): the breadcrumb, the article, the link to
its translation, the related articles, the empty feedback form. Building that takes two queries through the ORM
and most of the page's rendering (the page took 5.8 ms in one process, 20,000 articles on PostgreSQL; 1.3 ms with
its parts kept): with them kept, a request costs one read of the shared cache and no query.

When a kept part may be used: every save or delete of an article (``post_save``/``post_delete``, connected in
``KbConfig.ready``) writes a new random *generation* token into the shared cache, at once and again when its
transaction commits (a reader that rendered in between, from the rows before the commit, kept its part under the
first token); a part is used only while the token it was rendered under is the cache's current one. An edit is
therefore read on the next request, in every web process, and the related articles of every other page follow
it too (a new article may be the latest of its category). A token that disappears (cache cleared, restarted,
evicted) is replaced by a new random one, never by an old one. Writes that send no signal (``QuerySet.update``,
``bulk_create``, SQL typed by hand) are seen at the next save or after ``MAX_AGE`` at the latest.

The parts live in the process, not in the shared cache: a deployment (new templates, new translations) starts with
none, and a part rendered by one version is never served by another. Without the shared cache (it does not
answer), and with DEBUG on (a template being edited shows on the next reload), the page is built for each
request, as before.
"""

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

from portal.web.cache import cache_unavailable, redis_client

GENERATION_KEY = "kb:articles:generation"
MAX_AGE = 300  # seconds
MAX_ENTRIES = 1000  # parts kept per process, the least recently used dropped first (about 10 KB each)
MAX_ANSWERS = 2000  # search and suggestion answers kept per process, likewise


class _Kept:
    """A bounded map of key -> (generation, expiry, value), least recently used first; safe across threads."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable, generation: int):
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry[0] != generation or entry[1] < time.monotonic():
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
            return entry[2]

    def put(self, key: Hashable, generation: int, value) -> None:
        with self.lock:
            self.entries[key] = (generation, time.monotonic() + MAX_AGE, value)
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


PAGES = _Kept(MAX_ENTRIES)
# The search and suggestion answers (kb.search) apart: typing makes a new one at every pause, and they must not push
# the article pages out.
ANSWERS = _Kept(MAX_ANSWERS)


def _new_token() -> int:
    # An integer: Django's Redis cache stores integers as they are, so that _read can GET it without unpickling.
    return secrets.randbits(62)


def _read(backend) -> int | None:
    if isinstance(backend, RedisCache):
        # One GET on the client kept per cache object (portal.web.cache.redis_client), on every article page.
        value = redis_client(backend).get(backend.make_and_validate_key(GENERATION_KEY))
        return None if value is None else int(value)
    return backend.get(GENERATION_KEY)


def current_generation() -> int | None:
    """The token parts are valid under now; None when the shared cache does not answer (then nothing is kept)."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    try:
        token = _read(backend)
        if token is None:
            backend.add(GENERATION_KEY, _new_token(), timeout=None)
            token = _read(backend)
        return token
    except Exception as error:  # Redis down: the page is still served, built for this request
        cache_unavailable("kb page cache generation", error)
        return None


def kept(key: Hashable, build: Callable, *, store: _Kept = PAGES):
    """The part kept under ``key`` in ``store`` if it is still valid, else ``build()`` (kept for the next requests).
    Whatever ``build`` raises (Http404) is raised and nothing is kept."""
    generation = None if settings.DEBUG else current_generation()
    if generation is None:
        return build()
    value = store.get(key, generation)
    if value is None:
        value = build()
        store.put(key, generation, value)
    return value


def _new_generation() -> None:
    PAGES.clear()
    ANSWERS.clear()
    try:
        caches[DEFAULT_CACHE_ALIAS].set(GENERATION_KEY, _new_token(), timeout=None)
    except Exception as error:  # the other processes see the change after MAX_AGE at the latest
        cache_unavailable("kb page cache new generation", error)


def articles_changed(sender=None, *, using=None, **kwargs) -> None:
    """Receiver of Article's and Concept's post_save and post_delete: every kept part is stale, now and once
    committed."""
    _new_generation()
    transaction.on_commit(_new_generation, using=using)
