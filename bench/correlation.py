"""The correlation of simultaneous reports, measured: one outage reported 5,000 times plus 2,000 unrelated reports,
all filed within ten minutes, then one run of the correlation job, the confirmation of its proposal and the
resolution of the 5,000 linked tickets.

``python -m bench --only correlation`` (through ``scripts/with-services`` for PostgreSQL) runs it on a fresh
database; ``python -m bench.correlation --outage 5000 --unrelated 2000`` runs it alone. The reports are written in
batches, each with the signature filing computes (tickets.correlation.report_key, as tickets.services._file does),
and created at random instants of the last ten minutes. Each outage report types the same message as a person
would: its casing, accents, trailing punctuation, a time, their identifier, sometimes a typo. The unrelated ones are
other problem types, and for a third the outage's own problem type with other messages (some of them near, such as
another 50x code). Deterministic (fixed seed). Prints one JSON object and a summary.

The same generator serves tests/tickets/test_correlation.py at a smaller scale.
"""

import argparse
import json
import os
import random
import time
from datetime import timedelta

OUTAGE_TYPE = "echec-connexion"
OUTAGE_MESSAGE = "Impossible de se connecter au webmail : erreur 502 Bad Gateway, le serveur ne répond pas"
# Same problem type, other errors: some near the outage's in words or codes, none the same error.
SAME_TYPE_OTHERS = [
    "Identifiant ou mot de passe incorrect",
    "Impossible de se connecter au webmail : erreur 504 Gateway Timeout, le serveur ne répond pas",
    "Impossible de se connecter au webmail : erreur 503 Service Unavailable",
    "Votre compte est verrouillé, réessayez plus tard",
    "Session expirée, veuillez vous reconnecter",
    "Trop de tentatives de connexion",
    "La page reste blanche après la connexion",
    "Erreur 403 Accès refusé",
    "Le certificat du site n'est pas valide NET::ERR_CERT_DATE_INVALID",
    "Boucle de redirection entre le webmail et l'ENT",
]
OTHER_TYPES = {
    "quota": ["Votre boîte aux lettres a dépassé la limite de taille", "Boîte pleine, impossible d'envoyer"],
    "otp-mfa": ["Code invalide", "Le code OTP est refusé", "token badvalue"],
    "sso": ["Boucle de redirection", "Erreur SAML : assertion expirée"],
    "mot-de-passe": ["Le lien de réinitialisation a expiré", "Mot de passe refusé : trop court"],
}
WORDS = [
    "depuis", "ce", "matin", "toujours", "encore", "aujourd'hui", "sur", "mon", "poste", "au", "bureau", "en",
    "télétravail", "avec", "firefox", "chrome",
]  # fmt: skip
TYPOS = {"connecter": "conecter", "serveur": "serveru", "Gateway": "Gatway", "répond": "repond", "webmail": "webmal"}


def _cased(rng: random.Random, text: str) -> str:
    return rng.choice([text, text.lower(), text.upper(), text.capitalize(), text.title()])


def _accents(rng: random.Random, text: str) -> str:
    if rng.random() < 0.3:
        import unicodedata

        decomposed = unicodedata.normalize("NFKD", text)
        return "".join(char for char in decomposed if not unicodedata.combining(char))
    return text


def _moment(rng: random.Random) -> str:
    hour, minute, second = rng.randrange(7, 19), rng.randrange(60), rng.randrange(60)
    return rng.choice(
        [f"à {hour}h{minute:02d}", f"({hour:02d}:{minute:02d}:{second:02d})", f"le 12/11/2026 à {hour}:{minute:02d}"]
    )


def outage_message(rng: random.Random, identifier: str) -> str:
    """The outage's error as one person types it."""
    text = OUTAGE_MESSAGE
    if rng.random() < 0.15:
        word = rng.choice(list(TYPOS))
        text = text.replace(word, TYPOS[word], 1)
    text = _accents(rng, _cased(rng, text))
    extras = rng.random()
    if extras < 0.25:
        text = f"{text} {_moment(rng)}"
    elif extras < 0.45:
        text = f"{text} pour {identifier}"
    elif extras < 0.55:
        text = f"{_moment(rng)} {text} (compte {identifier})"
    return text + rng.choice(["", "", ".", " !", "!!", "...", " ?"])


def unrelated_report(rng: random.Random, identifier: str, number: int) -> tuple[str, str]:
    """(problem type slug, error message) of a report of something else."""
    if number % 3 == 0:
        text = rng.choice(SAME_TYPE_OTHERS)
        slug = OUTAGE_TYPE
    else:
        slug = rng.choice(list(OTHER_TYPES))
        text = rng.choice(OTHER_TYPES[slug])
    if rng.random() < 0.5:
        text = f"{text} {' '.join(rng.sample(WORDS, 2))}"  # people add words of their own
    if rng.random() < 0.2:
        text = f"{text} {_moment(rng)}"
    return slug, _accents(rng, _cased(rng, text)) + rng.choice(["", ".", " !"])


def generate(*, outage: int, unrelated: int, seed: int = 2026, minutes: int = 10, prefix: str = "corr") -> dict:
    """Write the reports; returns the ids of the outage's and of the unrelated ones."""
    from django.utils import timezone

    from portal.models import Role, User
    from tickets.correlation import report_key
    from tickets.models import ProblemType, Ticket
    from tickets.references import format_reference

    rng = random.Random(seed)
    total = outage + unrelated
    people = [
        User(username=f"{prefix}.{n:05d}", email=f"{prefix}.{n:05d}@ac-exemple.fr", display_name=f"Agent Public {n}",
             role=Role.STAFF)
        for n in range(total)
    ]  # fmt: skip
    for person in people:
        person.set_unusable_password()
    User.objects.bulk_create(people, batch_size=2000)
    people = list(User.objects.filter(username__startswith=f"{prefix}.").order_by("username"))
    types = {problem_type.slug: problem_type for problem_type in ProblemType.objects.all()}
    now = timezone.now()
    base = Ticket.objects.count()
    rows, kinds = [], []
    order = list(range(total))
    rng.shuffle(order)  # the outage and the rest interleaved, as they arrive
    for position, number in enumerate(order):
        person = people[number]
        if number < outage:
            slug, text = OUTAGE_TYPE, outage_message(rng, person.username)
        else:
            slug, text = unrelated_report(rng, person.username, number)
        problem_type = types[slug]
        answers = {"identifier": person.username, "error_message": text}
        created = now - timedelta(seconds=rng.uniform(0, minutes * 60))
        rows.append(
            Ticket(
                reference=format_reference(2026, 900_000 + base + position),
                requester=person,
                problem_type=problem_type,
                queue_id=problem_type.queue_id,
                data=answers,
                correlation_key=report_key(answers=answers, requester=person, identifier=person.username),
                created_at=created,
                updated_at=created,
            )
        )
        kinds.append(number < outage)
    Ticket.objects.bulk_create(rows, batch_size=2000)
    references = {row.reference: is_outage for row, is_outage in zip(rows, kinds, strict=True)}
    ids = dict(Ticket.objects.filter(reference__in=list(references)).values_list("reference", "pk"))
    return {
        "outage": {ids[ref] for ref, is_outage in references.items() if is_outage},
        "unrelated": {ids[ref] for ref, is_outage in references.items() if not is_outage},
    }


def outcome(ids: dict) -> dict:
    """What the job did with the generated reports: the proposal most outage reports went to, how many outage
    reports it holds and misses, how many unrelated ones it wrongly holds, and the other proposals."""
    from collections import Counter

    from tickets.models import MajorIncident, Ticket

    linked = dict(
        Ticket.objects.filter(pk__in=ids["outage"] | ids["unrelated"], major_incident__isnull=False).values_list(
            "pk", "major_incident_id"
        )
    )
    per_incident = Counter(linked[pk] for pk in ids["outage"] if pk in linked)
    main = per_incident.most_common(1)[0][0] if per_incident else None
    others = MajorIncident.objects.exclude(pk=main)
    mixed = [
        incident.pk
        for incident in others
        if any(linked.get(pk) == incident.pk for pk in ids["outage"])
        and any(linked.get(pk) == incident.pk for pk in ids["unrelated"])
    ]
    key = MajorIncident.objects.filter(pk=main).values_list("correlation_key", flat=True).first()
    exact = Ticket.objects.filter(pk__in=ids["outage"], major_incident_id=main, correlation_key=key).count()
    return {
        "incident": main,
        "outage_linked_by_similarity": sum(1 for pk in ids["outage"] if linked.get(pk) == main) - exact,
        "outage_linked": sum(1 for pk in ids["outage"] if linked.get(pk) == main),
        "outage_missed": sum(1 for pk in ids["outage"] if linked.get(pk) != main),
        "wrongly_linked": sum(1 for pk in ids["unrelated"] if linked.get(pk) == main and main is not None),
        "other_proposals": others.count(),
        "other_proposals_mixing_outage_and_unrelated": len(mixed),
        "unrelated_linked_elsewhere": sum(1 for pk in ids["unrelated"] if pk in linked and linked[pk] != main),
    }


def run(*, outage: int, unrelated: int, affected: int = 500) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.models import Role, User
    from tickets.correlation import correlate
    from tickets.major_incidents import major_incident_confirm, major_incident_join, major_incident_resolve
    from tickets.models import MajorIncident, TicketEvent, TicketStatus
    from tickets.seed import standard_catalog_seed

    standard_catalog_seed()
    started = time.perf_counter()
    ids = generate(outage=outage, unrelated=unrelated)
    generated_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE tickets_ticket")

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        first = correlate()
    job_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second = correlate()
    second_seconds = time.perf_counter() - started
    result = outcome(ids)

    agent = User.objects.filter(role=Role.ADMIN).first() or User.objects.create_user(
        "corr.admin", "corr.admin@ac-exemple.fr", None, role=Role.ADMIN
    )
    incident = MajorIncident.objects.get(pk=result["incident"])
    started = time.perf_counter()
    major_incident_confirm(
        major_incident=incident,
        by=agent,
        title_fr="Le webmail ne répond plus",
        title_en="The webmail is not answering",
        public_message_fr="Le serveur du webmail est en panne ; nos équipes interviennent.",
        public_message_en="The webmail server is down; our teams are on it.",
    )
    confirm_seconds = time.perf_counter() - started
    people = list(User.objects.filter(username__startswith="corr.").order_by("-username")[:affected])
    for person in people:
        major_incident_join(incident=incident, user=person)
    started = time.perf_counter()
    major_incident_resolve(
        major_incident=incident, by=agent, note="Le serveur est reparti à 10 h 40. Merci de votre patience."
    )
    resolve_seconds = time.perf_counter() - started
    solved = incident.tickets.filter(status=TicketStatus.SOLVED).count()

    # What the workers then do: every e-mail the confirmation and the resolution queued, sent (to memory here).
    from django.core import mail

    from tickets.broadcast import deliver_notice
    from tickets.models import MajorIncidentNotice
    from tickets.notifications import deliver_ticket_notification

    mail.outbox = []
    started = time.perf_counter()
    for pk in TicketEvent.objects.filter(notify=True, notified_at=None).values_list("pk", flat=True):
        deliver_ticket_notification(pk)
    for pk in MajorIncidentNotice.objects.filter(notified_at=None).values_list("pk", flat=True):
        deliver_notice(pk)
    delivery_seconds = time.perf_counter() - started
    return {
        "database": connection.vendor,
        "outage_reports": outage,
        "unrelated_reports": unrelated,
        "generated_seconds": round(generated_seconds, 2),
        **result,
        "job_seconds": round(job_seconds, 3),
        "job_queries": len(queries),
        "job_first_run": first,
        "job_second_run": second,
        "job_second_run_seconds": round(second_seconds, 3),
        "confirm_seconds": round(confirm_seconds, 3),
        "resolve_seconds": round(resolve_seconds, 3),
        "tickets_solved": solved,
        "affected_people": len(people),
        "emails_sent": len(mail.outbox),
        "delivery_seconds": round(delivery_seconds, 2),
        "resolve_ticket_events": TicketEvent.objects.filter(ticket__major_incident=incident, data__to="solved").count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outage", type=int, default=5000)
    parser.add_argument("--unrelated", type=int, default=2000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
    import django

    django.setup()
    from django.conf import settings

    # The e-mails are queued on commit (to a broker no worker reads here): the measure is the transaction's.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    report = run(outage=args.outage, unrelated=args.unrelated)
    print(json.dumps(report))
    print(
        f"\ncorrelation on {report['database']}: {report['outage_reports']} outage reports + "
        f"{report['unrelated_reports']} unrelated within 10 minutes\n"
        f"  linked to the proposal: {report['outage_linked']} ({report['outage_linked_by_similarity']} by similarity, "
        f"not the same signature), missed: {report['outage_missed']}, wrongly linked: {report['wrongly_linked']}\n"
        f"  other proposals: {report['other_proposals']} (mixing outage and unrelated: "
        f"{report['other_proposals_mixing_outage_and_unrelated']})\n"
        f"  job: {report['job_seconds']} s in {report['job_queries']} queries; second run {report['job_second_run']} "
        f"in {report['job_second_run_seconds']} s\n"
        f"  confirm (tells {report['outage_linked']} reporters): {report['confirm_seconds']} s; "
        f"resolve ({report['tickets_solved']} tickets solved, {report['affected_people']} affected told): "
        f"{report['resolve_seconds']} s\n"
        f"  then {report['emails_sent']} e-mails rendered and sent (to memory) in {report['delivery_seconds']} s"
    )


if __name__ == "__main__":
    main()
