"""A generated helpdesk history for the workspace benchmarks: N tickets (1,000,000 by default) with their events.

Run by `make bench` before the server starts (``python -m bench.ticket_corpus --count 1000000``). On PostgreSQL
the rows go in through COPY (psycopg 3), a few minutes for a million tickets and two million events on a small
machine; elsewhere through batched inserts (use a small --count on SQLite). Deterministic (fixed seed) and
idempotent: nothing is generated when the database already holds the corpus.

The history looks like a year of an académie's helpdesk: 2,000 staff requesters, 12 agents who belong to every
queue, the nine problem types in their queues, two thirds of the tickets closed or solved, the rest open and
partly assigned; each ticket has its "filed" event and, for one in two, an agent's reply.
"""

import io
import json
import random
import time
from datetime import UTC, datetime, timedelta

from bench.corpus import corpus_main

REQUESTERS = 2000
AGENTS = 12
ERRORS = [
    "Identifiant ou mot de passe incorrect", "token badvalue", "Erreur 502 Bad Gateway", "Code invalide",
    "Votre boîte aux lettres a dépassé la limite de taille", "Compte verrouillé", "Session expirée",
    "NET::ERR_CERT_DATE_INVALID", "Boucle de redirection", "Trop de tentatives", "Accès refusé", "",
]  # fmt: skip
STATUSES = ["closed"] * 45 + ["solved"] * 22 + ["new"] * 13 + ["in_progress"] * 12 + ["waiting"] * 8
PRIORITIES = ["normal"] * 70 + ["low"] * 10 + ["high"] * 15 + ["urgent"] * 5
REFERENCE_BASE = 500_000  # INC-2026-500001…: far from the numbers the demo and real filings use


def _people():
    from portal.models import Role, User
    from tickets.models import Queue, QueueMembership

    staff = [
        User(username=f"bench.staff{n:04d}", email=f"bench.staff{n:04d}@bench.invalid", display_name=f"Staff {n}")
        for n in range(REQUESTERS)
    ]
    agents = [
        User(username=f"bench.agent{n:02d}", email=f"bench.agent{n:02d}@bench.invalid", display_name=f"Agent {n}",
             role=Role.AGENT)
        for n in range(AGENTS)
    ]  # fmt: skip
    for user in staff + agents:
        user.set_unusable_password()
    User.objects.bulk_create(staff + agents, ignore_conflicts=True)
    agent_ids = list(User.objects.filter(username__startswith="bench.agent").values_list("pk", flat=True))
    QueueMembership.objects.bulk_create(
        [QueueMembership(queue=queue, user_id=pk) for queue in Queue.objects.all() for pk in agent_ids],
        ignore_conflicts=True,
    )
    staff_ids = list(User.objects.filter(username__startswith="bench.staff").values_list("pk", flat=True))
    return staff_ids, agent_ids


def _rows(count: int, staff_ids, agent_ids, problem_types):
    """(ticket tuple, events) for each generated ticket, oldest first over the last year."""
    rng = random.Random(2026)
    end = datetime.now(UTC)
    start = end - timedelta(days=365)
    step = (end - start) / count
    for number in range(count):
        problem_type, queue_id = rng.choice(problem_types)
        created = start + step * number
        status = rng.choice(STATUSES)
        updated = created + timedelta(minutes=rng.randint(1, 60 * 24 * 3))
        updated = min(updated, end)
        closed = updated if status in ("solved", "closed") else None
        assignee = rng.choice(agent_ids) if status != "new" or rng.random() < 0.3 else None
        error = rng.choice(ERRORS)
        data = json.dumps({"error_message": error} if error else {}, ensure_ascii=False)
        ticket = (
            f"INC-2026-{REFERENCE_BASE + number + 1:06d}", rng.choice(staff_ids), problem_type, queue_id, status,
            rng.choice(PRIORITIES), "", data, assignee, created, updated, closed,
        )  # fmt: skip
        replies = [(assignee or agent_ids[0], updated)] if rng.random() < 0.5 else []
        yield ticket, replies


TICKET_COLUMNS = (
    "reference", "requester_id", "problem_type_id", "queue_id", "status", "priority", "title", "data",
    "assignee_id", "created_at", "updated_at", "closed_at",
)  # fmt: skip


def build(count: int) -> None:
    from django.db import connection, transaction

    from tickets.models import ProblemType, ReferenceCounter, Ticket

    existing = Ticket.objects.filter(reference__gte=f"INC-2026-{REFERENCE_BASE:06d}").count()
    if existing >= count:
        print(f"ticket corpus: {existing} generated tickets already there")
        return
    started = time.monotonic()
    with transaction.atomic():
        staff_ids, agent_ids = _people()
        problem_types = list(ProblemType.objects.values_list("pk", "queue_id"))
        Ticket.objects.filter(reference__gte=f"INC-2026-{REFERENCE_BASE:06d}").delete()
        if connection.vendor == "postgresql":
            _copy(connection, count, staff_ids, agent_ids, problem_types)
        else:
            _insert(count, staff_ids, agent_ids, problem_types)
        ReferenceCounter.objects.update_or_create(year=2026, defaults={"last": REFERENCE_BASE + count})
    print(f"ticket corpus: {count} tickets generated in {time.monotonic() - started:.0f} s")


def _copy(connection, count, staff_ids, agent_ids, problem_types) -> None:
    """Tickets through COPY, then their events through COPY joined back by reference."""
    raw = connection.connection  # psycopg 3
    with raw.cursor() as cursor:
        replies_buffer = io.StringIO()
        with cursor.copy(f"COPY tickets_ticket ({', '.join(TICKET_COLUMNS)}) FROM STDIN") as copy:
            for ticket, replies in _rows(count, staff_ids, agent_ids, problem_types):
                copy.write_row(ticket)
                for actor, moment in replies:
                    replies_buffer.write(f"{ticket[0]}\t{actor}\t{moment.isoformat()}\n")
        cursor.execute("CREATE TEMP TABLE bench_replies (reference text, actor_id bigint, created_at timestamptz)")
        replies_buffer.seek(0)
        with cursor.copy("COPY bench_replies FROM STDIN") as copy:
            while chunk := replies_buffer.read(1 << 20):
                copy.write(chunk)
        cursor.execute(
            """INSERT INTO tickets_ticketevent (ticket_id, kind, actor_id, created_at, data, notify, public, body)
               SELECT id, 'tickets.ticket.created', requester_id, created_at, '{"source": "portal"}', false, true, ''
               FROM tickets_ticket WHERE reference >= %s""",
            [f"INC-2026-{REFERENCE_BASE:06d}"],
        )
        cursor.execute(
            """INSERT INTO tickets_ticketevent (ticket_id, kind, actor_id, created_at, data, notify, public, body)
               SELECT t.id, 'tickets.ticket.replied', r.actor_id, r.created_at, '{}', false, true,
                      'Bonjour, pouvez-vous réessayer depuis une fenêtre de navigation privée ?'
               FROM bench_replies r JOIN tickets_ticket t ON t.reference = r.reference"""
        )
        cursor.execute("DROP TABLE bench_replies")


def _insert(count, staff_ids, agent_ids, problem_types, batch: int = 2000) -> None:
    from tickets.models import Ticket, TicketEvent

    buffer = []
    for ticket, replies in _rows(count, staff_ids, agent_ids, problem_types):
        buffer.append((ticket, replies))
        if len(buffer) == batch:
            _insert_batch(buffer, Ticket, TicketEvent)
            buffer = []
    if buffer:
        _insert_batch(buffer, Ticket, TicketEvent)


def _insert_batch(buffer, Ticket, TicketEvent) -> None:
    made = Ticket.objects.bulk_create(
        Ticket(**dict(zip(TICKET_COLUMNS, values[:7] + (json.loads(values[7]),) + values[8:], strict=True)))
        for values, _replies in buffer
    )
    events = []
    for ticket, (_values, replies) in zip(made, buffer, strict=True):
        events.append(TicketEvent(ticket=ticket, kind="tickets.ticket.created", actor_id=ticket.requester_id,
                                  created_at=ticket.created_at, data={"source": "portal"}))  # fmt: skip
        events += [TicketEvent(ticket=ticket, kind="tickets.ticket.replied", actor_id=actor, created_at=moment,
                               body="Bonjour, pouvez-vous réessayer ?") for actor, moment in replies]  # fmt: skip
    TicketEvent.objects.bulk_create(events)


def main() -> None:
    corpus_main(
        description=__doc__, default_count=1_000_000, build=build, tables=["tickets_ticket", "tickets_ticketevent"]
    )


if __name__ == "__main__":
    main()
