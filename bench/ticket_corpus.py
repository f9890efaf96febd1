"""A generated helpdesk history for the workspace benchmarks: N tickets (1,000,000 by default) with their events.

Run by `make bench` before the server starts (``python -m bench.ticket_corpus --count 1000000``). On PostgreSQL
the rows go in through COPY (psycopg 3), a few minutes for a million tickets and two million events on a small
machine; elsewhere through batched inserts (use a small --count on SQLite). Deterministic (fixed seed) and
idempotent: nothing is generated when the database already holds the corpus.

The history looks like a year of an académie's helpdesk: 2,000 staff requesters, 12 agents who belong to every
queue, the nine problem types in their queues, two thirds of the tickets closed or solved, the rest open and
partly assigned. Each ticket has its "filed" event; most have a title, half a description in the requester's words
(with the establishment, the browser, a workstation number), half an agent's reply and one in six an internal note,
put together from phrases a helpdesk writes, so that the search has common, rare and reply-only words to find.
On PostgreSQL the search vectors are computed in SQL as the rows go from a staging table into the tickets table,
with tickets.search's own expression (the GIN index is built once, afterwards).
"""

import json
import random
import tempfile
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
TITLES = [
    "Impossible de me connecter au webmail",
    "Mot de passe oublié",
    "Code de validation refusé",
    "Boîte aux lettres pleine",
    "Messages bloqués dans la boîte d'envoi",
    "Thunderbird ne reçoit plus les messages",
    "Erreur de certificat sur le webmail",
    "Compte verrouillé après plusieurs essais",
    "Page blanche après connexion",
    "Le lien de l'intranet boucle",
    "Message suspect reçu",
    "Pièce jointe trop volumineuse",
    "Agenda partagé inaccessible",
    "Synchronisation du téléphone impossible",
    "Redirection des messages",
    "Signature électronique disparue",
    "Liste de diffusion de l'établissement",
    "Accès refusé au webmail",
    "",
    "",
    "",
    "",
]
TITLE_TAILS = [
    "",
    "",
    "",
    " depuis ce matin",
    " sur mon téléphone",
    " en télétravail",
    " depuis la mise à jour",
    " au secrétariat",
    " pour toute l'équipe",
]
PLACES = [f"{kind} {name}" for kind in ("collège", "lycée", "école", "circonscription") for name in (
    "Jean Moulin", "Victor Hugo", "Marie Curie", "Jules Ferry", "Louise Michel", "Pierre Brossolette",
    "Simone Veil", "Condorcet", "Voltaire", "Jacques Prévert", "Albert Camus", "Olympe de Gouges",
)]  # fmt: skip
BROWSERS = ["Firefox 128", "Chrome 131", "Edge 131", "Safari 17", "Firefox ESR 115", "Thunderbird 128", "Outlook"]
DESCRIPTIONS = [
    "Depuis ce matin je n'arrive plus à ouvrir ma messagerie.", "Le message d'erreur apparaît après la saisie du code.",
    "J'ai essayé depuis un autre ordinateur, même problème.", "Mes collègues du {place} ont le même souci.",
    "La page reste blanche après l'identification.", "Je dois envoyer les bulletins aux familles avant vendredi.",
    "Le téléphone ne synchronise plus l'agenda.", "Le code reçu par SMS est refusé à chaque fois.",
    "J'ai changé mon mot de passe hier soir.", "Je travaille depuis le poste {post} de la salle des professeurs.",
    "Navigateur utilisé : {browser}.", "Les pièces jointes de plus de 10 Mo ne partent pas.",
    "Un message me demande de confirmer mes identifiants, je n'ai pas cliqué.", "Le compte est bloqué depuis lundi.",
    "Je suis en télétravail avec le VPN académique.", "Cela fonctionnait encore la semaine dernière.",
]  # fmt: skip
REPLIES = [
    "Bonjour, pouvez-vous réessayer depuis une fenêtre de navigation privée ?",
    "Bonjour, votre compte est débloqué, vous pouvez vous reconnecter.",
    "Merci de vider le cache du navigateur puis de recharger la page.",
    "Le certificat du serveur a été renouvelé, l'alerte ne devrait plus apparaître.",
    "Votre quota a été porté à 5 Go ; pensez à archiver les anciens messages.",
    "Un nouveau code d'activation vous a été envoyé par courrier.",
    "Il s'agit d'une tentative d'hameçonnage : supprimez le message sans l'ouvrir.",
    "La synchronisation reprendra après la suppression puis l'ajout du compte sur le téléphone.",
    "Pouvez-vous nous indiquer l'heure exacte de l'erreur et le navigateur utilisé ?",
    "Le service a été rétabli après l'incident de ce matin sur la passerelle.",
    "Vérifiez que la date et l'heure de votre ordinateur sont justes.",
    "Nous avons réinitialisé votre mot de passe ; le lien est valable 24 heures.",
]
NOTES = [
    "Vu avec l'équipe système : la passerelle {gateway} redémarre en boucle.",
    "Appel de l'usager, il rappellera après la réunion.", "Doublon probable avec le ticket du {place}.",
    "Escalade niveau 2 : problème de jeton OTP désynchronisé.", "Relance faite par téléphone, pas de réponse.",
    "Compte vérifié dans l'annuaire, attribut mail correct.",
]  # fmt: skip
GATEWAYS = ["smtp-out-03", "imap-front-02", "sso-node-01", "webmail-lb-04"]
STATUSES = ["closed"] * 45 + ["solved"] * 22 + ["new"] * 13 + ["in_progress"] * 12 + ["waiting"] * 8
PRIORITIES = ["normal"] * 70 + ["low"] * 10 + ["high"] * 15 + ["urgent"] * 5
REFERENCE_BASE = 500_000  # INC-2026-500001…: far from the numbers the demo and real filings use
# The generated references, as SQL: past INC-2026-999999 they have seven digits, which sort before "INC-2026-5…".
GENERATED = f"(length(reference) > 15 OR reference > 'INC-2026-{REFERENCE_BASE:06d}')"


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
        answers = {"error_message": error} if error else {}
        if rng.random() < 0.5:
            answers["description"] = _sentences(rng, DESCRIPTIONS, rng.randint(1, 3))
        title = rng.choice(TITLES)
        title = title + rng.choice(TITLE_TAILS) if title else ""
        ticket = (
            f"INC-2026-{REFERENCE_BASE + number + 1:06d}", rng.choice(staff_ids), problem_type, queue_id, status,
            rng.choice(PRIORITIES), title, json.dumps(answers, ensure_ascii=False), assignee, created, updated, closed,
        )  # fmt: skip
        agent = assignee or agent_ids[0]
        events = []
        if rng.random() < 0.5:
            events.append(("tickets.ticket.replied", agent, updated, True, _sentences(rng, REPLIES, rng.randint(1, 2))))
        if rng.random() < 1 / 6:
            events.append(("tickets.ticket.note", agent, updated, False, _sentences(rng, NOTES, 1)))
        yield ticket, events


def _sentences(rng, pool, count: int) -> str:
    fill = {"place": rng.choice(PLACES), "post": rng.randint(1000, 9999), "browser": rng.choice(BROWSERS),
            "gateway": rng.choice(GATEWAYS)}  # fmt: skip
    return " ".join(sentence.format(**fill) for sentence in rng.sample(pool, count))


TICKET_COLUMNS = (
    "reference", "requester_id", "problem_type_id", "queue_id", "status", "priority", "title", "data",
    "assignee_id", "created_at", "updated_at", "closed_at",
)  # fmt: skip


def build(count: int) -> None:
    from django.db import connection, transaction
    from django.db.models import Q
    from django.db.models.functions import Length

    from tickets.models import ProblemType, ReferenceCounter, Ticket

    first = f"INC-2026-{REFERENCE_BASE:06d}"
    generated = Ticket.objects.alias(size=Length("reference")).filter(Q(size__gt=len(first)) | Q(reference__gt=first))
    existing = generated.count()
    if existing >= count:
        print(f"ticket corpus: {existing} generated tickets already there")
        return
    started = time.monotonic()
    with transaction.atomic():
        staff_ids, agent_ids = _people()
        problem_types = list(ProblemType.objects.values_list("pk", "queue_id"))
        generated.delete()
        if connection.vendor == "postgresql":
            _copy(connection, count, staff_ids, agent_ids, problem_types)
        else:
            _insert(count, staff_ids, agent_ids, problem_types)
        ReferenceCounter.objects.update_or_create(year=2026, defaults={"last": REFERENCE_BASE + count})
    print(f"ticket corpus: {count} tickets generated in {time.monotonic() - started:.0f} s")


def _copy(connection, count, staff_ids, agent_ids, problem_types) -> None:
    """Tickets and their threads through COPY into staging tables, then into the tickets table with their search
    vectors computed on the way (one pass: no second version of a million rows), then the events."""
    from tickets.search import INDEX_NAME, own_vector_sql, replies_vector_sql

    columns = ", ".join(TICKET_COLUMNS)
    raw = connection.connection  # psycopg 3
    with raw.cursor() as cursor, tempfile.TemporaryFile("w+", encoding="utf-8") as events_file:
        cursor.execute(
            f"CREATE TEMP TABLE bench_tickets ON COMMIT DROP AS SELECT {columns} FROM tickets_ticket WITH NO DATA"  # noqa: S608
        )
        cursor.execute("ALTER TABLE bench_tickets ADD COLUMN thread text")
        cursor.execute(
            """CREATE TEMP TABLE bench_events (reference text, kind text, actor_id bigint, created_at timestamptz,
                                               public boolean, body text) ON COMMIT DROP"""
        )
        with cursor.copy(f"COPY bench_tickets ({columns}, thread) FROM STDIN") as copy:
            for ticket, events in _rows(count, staff_ids, agent_ids, problem_types):
                copy.write_row((*ticket, " ".join(event[-1] for event in events)))
                for kind, actor, moment, public, body in events:
                    events_file.write(f"{ticket[0]}\t{kind}\t{actor}\t{moment.isoformat()}\t{public}\t{body}\n")
        events_file.seek(0)
        with cursor.copy("COPY bench_events FROM STDIN") as copy:
            while chunk := events_file.read(1 << 20):
                copy.write(chunk)
        cursor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")
        cursor.execute(
            f"""INSERT INTO tickets_ticket ({columns}, search_vector)
                SELECT {columns}, {own_vector_sql("t")} || {replies_vector_sql("t.thread")} FROM bench_tickets t"""  # noqa: S608
        )
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign-key checks, before the index
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(f"CREATE INDEX {INDEX_NAME} ON tickets_ticket USING gin (search_vector)")
        cursor.execute(
            f"""INSERT INTO tickets_ticketevent (ticket_id, kind, actor_id, created_at, data, notify, public, body)
               SELECT id, 'tickets.ticket.created', requester_id, created_at, '{{"source": "portal"}}', false, true, ''
               FROM tickets_ticket WHERE {GENERATED}"""  # noqa: S608
        )
        cursor.execute(
            """INSERT INTO tickets_ticketevent (ticket_id, kind, actor_id, created_at, data, notify, public, body)
               SELECT t.id, e.kind, e.actor_id, e.created_at, '{}', false, e.public, e.body
               FROM bench_events e JOIN tickets_ticket t ON t.reference = e.reference"""
        )


def _insert(count, staff_ids, agent_ids, problem_types, batch: int = 2000) -> None:
    from tickets.models import Ticket, TicketEvent

    buffer = []
    for ticket, events in _rows(count, staff_ids, agent_ids, problem_types):
        buffer.append((ticket, events))
        if len(buffer) == batch:
            _insert_batch(buffer, Ticket, TicketEvent)
            buffer = []
    if buffer:
        _insert_batch(buffer, Ticket, TicketEvent)


def _insert_batch(buffer, Ticket, TicketEvent) -> None:
    made = Ticket.objects.bulk_create(
        Ticket(**dict(zip(TICKET_COLUMNS, values[:7] + (json.loads(values[7]),) + values[8:], strict=True)))
        for values, _events in buffer
    )
    rows = []
    for ticket, (_values, events) in zip(made, buffer, strict=True):
        rows.append(TicketEvent(ticket=ticket, kind="tickets.ticket.created", actor_id=ticket.requester_id,
                                created_at=ticket.created_at, data={"source": "portal"}))  # fmt: skip
        rows += [TicketEvent(ticket=ticket, kind=kind, actor_id=actor, created_at=moment, public=public, body=body)
                 for kind, actor, moment, public, body in events]  # fmt: skip
    TicketEvent.objects.bulk_create(rows)


def main() -> None:
    corpus_main(
        description=__doc__, default_count=1_000_000, build=build, tables=["tickets_ticket", "tickets_ticketevent"]
    )


if __name__ == "__main__":
    main()
