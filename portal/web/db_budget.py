"""A time budget for the database work of a block of code: once it is spent, the query in progress is cancelled
and no further query starts; the block raises ``OverBudget``.

For the answers somebody waits for with a timer of their own: Dovecot waits at most 2 s for the policy answer
(portal.identity.views.mail_policy), so a database that is slow (a lock held, an overloaded server) must cost it a
quick refusal it can act on, not a timeout. A statement_timeout would need a round trip to set and covers one
statement, not the whole answer; here one watchdog thread per process keeps the deadlines and, when one passes,
cancels the connection's running query (PostgreSQL's cancel request; ``interrupt`` on SQLite). Being watched costs
the request two lock operations and a check before each query.

A cancel sent just as the query ends can only reach the same connection's next query, and only when a deadline
has passed, which is rare by design. The time to open a connection is bounded by the database's connect timeout,
not by the budget.
"""

import heapq
import itertools
import logging
import os
import threading
import time
from contextlib import contextmanager

from django.db import DatabaseError, connections

log = logging.getLogger(__name__)
CANCEL_TIMEOUT = 1.0  # seconds to deliver a cancel request


class OverBudget(DatabaseError):
    """The block's database work took longer than its budget; its transaction, if any, was rolled back."""


class _Watch:
    __slots__ = ("connection", "deadline", "done", "fired")

    def __init__(self, connection, deadline: float):
        self.connection = connection
        self.deadline = deadline
        self.done = False
        self.fired = False

    def before_query(self, execute, sql, params, many, context):
        if self.fired or time.monotonic() >= self.deadline:
            self.fired = True
            raise OverBudget("the time budget of this request's database work is spent")
        return execute(sql, params, many, context)


def _cancel(connection) -> None:
    raw = connection.connection
    if raw is None:
        return
    try:
        if hasattr(raw, "cancel_safe"):  # psycopg: a cancel request on a connection of its own
            raw.cancel_safe(timeout=CANCEL_TIMEOUT)
        else:  # sqlite3
            raw.interrupt()
    except Exception:  # a cancel that fails leaves the query to finish; the next query is refused anyway
        log.warning("could not cancel a query past its time budget", exc_info=True)


class _Watchdog:
    """The deadlines of one process, in a heap, and the thread that acts on them (started on first use and again
    in a forked child, which inherits the heap but not the thread)."""

    def __init__(self):
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._pid = None

    def watch(self, connection, seconds: float) -> _Watch:
        watch = _Watch(connection, time.monotonic() + seconds)
        with self._condition:
            if self._pid != os.getpid():
                self._pid, self._heap = os.getpid(), []
                threading.Thread(target=self._run, name="db-budget-watchdog", daemon=True).start()
            heapq.heappush(self._heap, (watch.deadline, next(self._order), watch))
            if self._heap[0][2] is watch:  # earlier than what the thread sleeps towards
                self._condition.notify()
        return watch

    def forget(self, watch: _Watch) -> None:
        with self._condition:  # after this, the thread will not cancel anything for this watch
            watch.done = True
            while self._heap and self._heap[0][2].done:
                heapq.heappop(self._heap)

    def _run(self):
        with self._condition:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._condition.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                _deadline, _order, watch = heapq.heappop(self._heap)
                watch.fired = True
                _cancel(watch.connection)  # under the lock: the request cannot go on to other work meanwhile


_watchdog = _Watchdog()


@contextmanager
def database_budget(seconds: float, *, using: str = "default"):
    """Run the block with at most ``seconds`` of database time; raises OverBudget past it."""
    connection = connections[using]
    watch = _watchdog.watch(connection, seconds)
    try:
        with connection.execute_wrapper(watch.before_query):
            yield
    except DatabaseError as error:
        if watch.fired and not isinstance(error, OverBudget):
            raise OverBudget("a query was cancelled when the time budget was spent") from error
        raise
    finally:
        _watchdog.forget(watch)
