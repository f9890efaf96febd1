"""Parts of pages kept in each web process while what they were built from stays the same.

A *generation* is a random token in the shared cache, one per family of rows (the knowledge base's articles, the
workspace's catalogue of queues and teams). Every save or delete of one of those rows writes a new token, at once and
again when its transaction commits: a reader that built a part in between, from the rows before the commit, kept it
under the first token. A part is used only while the token it was built under is the cache's current one, so a
change is read on the next request in every web process. A token that disappears (cache cleared, restarted,
evicted) is replaced by a new random one, never by an old one. Writes that send no signal (``QuerySet.update``,
``bulk_create``, SQL typed by hand) are seen at the next save or after ``MAX_AGE`` at the latest.

The parts live in the process, not in the shared cache: a deployment (new templates, new translations) starts with
none, and a part built by one version is never served by another. Without the shared cache (it does not answer), and
with DEBUG on (a template being edited shows on the next reload), every part is built for each request.

Within one request a generation is read from the shared cache once (portal.web.cache.read_ahead): a page that uses
several kept parts pays one round trip, and sees them all under the same token. A page may read it ahead with the
other values it needs.

A whole page can be kept too (``Generation.kept_page``): rendered once with markers where the values of each request
go (its rows, its CSRF token), then filled in for every request.
"""

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from portal.web.cache import cache_unavailable, read_ahead

MAX_AGE = 300  # seconds


class Kept:
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


# A slot's marker in a kept page: letters, digits and dashes, which no escaping changes, and a random part no content
# can contain.
_MARKER_PREFIX = f"guichet-slot-{secrets.token_hex(8)}-"
_MARKER = re.compile(re.escape(_MARKER_PREFIX) + r"([a-z_]+)-")


def _marker(name: str) -> str:
    return f"{_MARKER_PREFIX}{name}-"


def _empty(slots: dict) -> dict:
    return {name: "" for name, value in slots.items() if not value}


def _new_token() -> int:
    # An integer: Django's Redis cache stores integers as they are, so reading one unpickles nothing.
    return secrets.randbits(62)


class Generation:
    """The token of one family of rows (``key`` in the shared cache), and the stores of the parts built from them."""

    def __init__(self, key: str):
        self.key = key
        self.stores: list[Kept] = []

    def store(self, size: int) -> Kept:
        """A new store of at most ``size`` parts, emptied whenever this process changes the generation."""
        kept = Kept(size)
        self.stores.append(kept)
        return kept

    def current(self) -> int | None:
        """The token parts are valid under now; None when the shared cache does not answer (then nothing is kept)."""
        backend = caches[DEFAULT_CACHE_ALIAS]
        try:
            # Read once per request (read_ahead), so that every part of a page is seen under the same token. The
            # shared cache degrades to a miss when it does not answer (portal.web.cache): then the add fails, the
            # second read misses too, and nothing is kept for this request.
            read_ahead(self.key)
            token = backend.get(self.key)
            if token is None:
                backend.add(self.key, _new_token(), timeout=None)
                token = backend.get(self.key)
        except Exception as error:  # any other cache: the page is still served, built for this request
            cache_unavailable(f"kept parts generation {self.key}", error)
            token = None
        return token

    def _usable(self) -> int | None:
        return None if settings.DEBUG else self.current()

    def kept(self, key: Hashable, build: Callable, *, store: Kept):
        """The part kept under ``key`` in ``store`` if it is still valid, else ``build()`` (kept for the next
        requests). Whatever ``build`` raises (Http404) is raised and nothing is kept."""
        generation = self._usable()
        if generation is None:
            return build()
        value = store.get(key, generation)
        if value is None:
            value = build()
            store.put(key, generation, value)
        return value

    def kept_many(self, keys: set, build: Callable[[set], dict], *, store: Kept) -> dict:
        """key -> part for each of ``keys``: those kept in ``store`` and still valid, the others from one call of
        ``build(missing keys)``, which answers a dict (kept for the next requests)."""
        generation = self._usable()
        parts = {}
        if generation is not None:
            for key in keys:
                value = store.get(key, generation)
                if value is not None:
                    parts[key] = value
        missing = keys - parts.keys()
        if missing:
            built = build(missing)
            parts.update(built)
            if generation is not None:
                for key, value in built.items():
                    store.put(key, generation, value)
        return parts

    def kept_page(self, key, *, request, template: str, context: Callable, slots: dict, store: Kept) -> SafeString:
        """``template`` rendered for ``request`` with ``context()`` and ``slots``, the values that change from one
        request to the next (the rows, the CSRF token). The page is kept under ``key`` with a marker in place of each
        slot, and each request fills the markers in with its own values, escaped as the template would print them;
        ``context`` is called only when the page is written. ``key`` must name everything else the page shows (the
        person, the language, the query); None renders without keeping (a form shown again with its errors,
        messages to show once).

        A slot may only be printed, never tested, filtered or looped over: the kept page would keep the first
        request's answer. An empty slot is not a marker but the empty value itself (the key then tells it apart), so
        ``{% if slot %}`` around its use is right."""
        filled = {name: conditional_escape(value) for name, value in slots.items() if value}
        if key is None:
            return mark_safe(render_to_string(template, {**context(), **filled, **_empty(slots)}, request))  # noqa: S308

        def build():
            markers = {name: mark_safe(_marker(name)) for name in filled}  # noqa: S308 (letters, digits, dashes)
            return _MARKER.split(render_to_string(template, {**context(), **markers, **_empty(slots)}, request))

        parts = self.kept((key, frozenset(filled)), build, store=store)
        # parts alternate: text, slot name, text, ..., text
        return mark_safe("".join(filled[part] if index % 2 else part for index, part in enumerate(parts)))  # noqa: S308

    def _renew(self) -> None:
        for kept in self.stores:
            kept.clear()
        try:  # the set also drops the token this request read ahead
            caches[DEFAULT_CACHE_ALIAS].set(self.key, _new_token(), timeout=None)
        except Exception as error:  # the other processes see the change after MAX_AGE at the latest
            cache_unavailable(f"kept parts new generation {self.key}", error)

    def changed(self, *, using=None) -> None:
        """Every part kept under this generation is stale, now and once the current transaction commits."""
        self._renew()
        transaction.on_commit(self._renew, using=using)
