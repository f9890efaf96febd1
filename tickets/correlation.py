"""Correlation of simultaneous reports: the signature of a report, the periodic job that proposes major incidents,
and the link of a new report to the major incident it is part of.

A report's signature (``Ticket.correlation_key``) is computed once, at filing: for a reported phishing message,
its campaign (``phishing:`` and PhishingReport.campaign_key); otherwise its error message as people type it made
comparable. Case, accents, punctuation and spacing go; so do what differs from one person to the next: their own
identifier, name and address, times and dates, URLs, e-mail and IP addresses, identifiers and long numbers.
Error codes (``502``, ``0x80070005``) stay, and so does every other word. "Erreur 502 à 08h32 pour marie.dupont !"
and "erreur 502" have one signature.

The job (``correlate``) is then a GROUP BY over the open reports of the window not yet linked: signatures of a
problem type are clustered around the most frequent ones (two signatures are one when their codes are the same
and their words SIMILARITY alike, which absorbs typos), and a cluster that reaches THRESHOLD reports becomes a
proposed major incident, never shown to the public until an agent confirms it. Reports that match an incident
already live (proposed, ongoing or watched) are linked to it instead. The comparison is against the few cluster
heads only, never report against report, so the cost grows with the number of distinct signatures, not its square.
"""

import difflib
import logging
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from tickets.models import (
    OPEN_STATUSES,
    MajorIncident,
    MajorIncidentEvent,
    MajorIncidentEventKind,
    MajorIncidentStatus,
    Ticket,
    TicketEvent,
    TicketEventKind,
)
from tickets.timeline import event_write, events_write_many

log = logging.getLogger(__name__)

PHISHING_PREFIX = "phishing:"
KEY_LENGTH = 200
# The largest signatures a problem type may start clusters from in one run: the rest can only join them.
MAX_HEADS = 100
# Words that say nothing about which error it is, dropped so "l'erreur" and "erreur" agree.
STOP_WORDS = frozenset([
    "a", "au", "aux", "d", "de", "des", "du", "en", "et", "l", "la", "le", "les", "un", "une", "y", "ce", "cet",
    "cette", "je", "j", "me", "m", "mon", "ma", "mes", "on", "il", "elle", "nous", "vous", "sur", "pour", "par",
    "avec", "dans", "que", "qu", "qui", "s", "se", "sa", "son", "ses", "t", "ton",
    "ta", "the", "an", "of", "to", "for", "on", "in", "at", "my", "i", "is", "it", "and", "or", "with", "from",
    "by", "this", "that", "be",
])  # fmt: skip
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
_DATE = re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b")
_TIME = re.compile(r"\b\d{1,2}\s?(?:[:h]\s?\d{2}(?:[:m]\s?\d{2})?s?|h)\b", re.IGNORECASE)
_TOKEN = re.compile(r"[a-z0-9]+")
_CODE = re.compile(r"^(?:\d{3,4}|0x[0-9a-f]+)$")


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def error_signature(text: str, *, personal=()) -> str:
    """The error message ``text`` as it compares with other people's: see the module's docstring. ``personal`` are
    the reporter's own words (identifier, name, address), removed wherever they appear. "" for no message."""
    text = unicodedata.normalize("NFKC", text or "")[:2000]
    for pattern in (_URL, _EMAIL, _UUID, _IPV4, _DATE, _TIME):
        text = pattern.sub(" ", text)
    text = _folded(text)
    # A number is never someone's own word here: "502" in a display name must not erase the error code.
    own = sorted(
        {_folded(str(word)) for word in personal if len(str(word)) >= 3 and not str(word).isdigit()},
        key=len,
        reverse=True,
    )
    if own:
        # Whole words only: the name "Ali" must not cut "invalide" in two.
        text = re.sub(r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, own)) + r")(?![a-z0-9])", " ", text)
    kept = []
    for token in _TOKEN.findall(text):
        if token in STOP_WORDS:
            continue
        if any(char.isdigit() for char in token) and not _CODE.match(token):
            continue  # times, counts, identifiers, reference numbers: they differ from one person to the next
        kept.append(token)
    signature = " ".join(kept)
    if len(signature) > KEY_LENGTH:
        signature = signature[:KEY_LENGTH].rsplit(" ", 1)[0]
    return signature


def report_key(*, answers: dict, requester, identifier: str = "", campaign: str = "") -> str:
    """The correlation key of a report being filed: its phishing campaign, else its error message's signature."""
    if campaign:
        return (PHISHING_PREFIX + campaign)[:KEY_LENGTH]
    personal = [identifier, requester.username, requester.email, requester.email.split("@")[0]]
    personal += str(getattr(requester, "display_name", "") or "").split()
    return error_signature(str(answers.get("error_message") or ""), personal=personal)


@dataclass(frozen=True)
class _Shape:
    codes: tuple[str, ...]
    words: tuple[str, ...]


def _shape(key: str) -> _Shape:
    tokens = key.split()
    return _Shape(tuple(t for t in tokens if _CODE.match(t)), tuple(t for t in tokens if not _CODE.match(t)))


def keys_alike(first: str, second: str, *, similarity: float | None = None) -> bool:
    """Whether two signatures are the same error: equal, or (not for phishing campaigns) the same codes and words
    at least ``similarity`` alike, a word with a typo counting as the same word; see ``_alike``."""
    if first == second:
        return True
    if not first or not second or first.startswith(PHISHING_PREFIX) or second.startswith(PHISHING_PREFIX):
        return False
    return _alike(_shape(first), _shape(second), similarity or settings.GUICHET_CORRELATION_SIMILARITY)


# Fewer words than this must be equal: in a short message one changed word is another error.
MIN_WORDS_ALIKE = 4


def _alike(first: _Shape, second: _Shape, similarity: float) -> bool:
    """Word by word (difflib over the two lists of words): the words in common, plus the pairs that differ by a
    typo (same first letter, 80 % of their letters alike: "gatway" and "gateway", not "verrouille" and
    "deverrouille"), must make ``similarity`` of all the words. Error codes must be the same."""
    a, b = first.words, second.words
    if first.codes != second.codes or min(len(a), len(b)) < MIN_WORDS_ALIKE:
        return False
    if 2 * min(len(a), len(b)) < similarity * (len(a) + len(b)):
        return False  # too many words more on one side: not worth comparing
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    same = 0
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag == "equal":
            same += a_end - a_start
        elif tag == "replace" and a_end - a_start == b_end - b_start:
            same += sum(_typo(x, y) for x, y in zip(a[a_start:a_end], b[b_start:b_end], strict=True))
    return 2 * same >= similarity * (len(a) + len(b))


def _typo(first: str, second: str) -> bool:
    if min(len(first), len(second)) < 4 or first[0] != second[0]:
        return False
    return difflib.SequenceMatcher(None, first, second, autojunk=False).ratio() >= 0.8


def incident_keys(incident: MajorIncident) -> list[str]:
    """The signatures an incident matches: the one it was proposed for and those of its listed error messages."""
    keys = [incident.correlation_key] if incident.correlation_key else []
    keys += [error_signature(line) for line in incident.error_list]
    return [key for key in dict.fromkeys(keys) if key]


def incident_matching(*, problem_type_id: int, key: str, incidents) -> MajorIncident | None:
    """The first of ``incidents`` (newest first) this report belongs to: of its problem type or of none, and one of
    its signatures alike."""
    if not key:
        return None
    for incident in incidents:
        if incident.problem_type_id not in (None, problem_type_id):
            continue
        if any(keys_alike(key, known) for known in incident_keys(incident)):
            return incident
    return None


# --- At filing ---------------------------------------------------------------------------------------------------


def ticket_link_at_filing(ticket: Ticket) -> MajorIncident | None:
    """Inside the filing transaction: link the new report to the ongoing major incident it matches, so its reporter
    sees the incident's message on their ticket at once. No query at all while none is shown."""
    from tickets.major_incidents import any_major_incident_shown

    if not ticket.correlation_key or not any_major_incident_shown():
        return None
    incidents = MajorIncident.objects.shown().order_by("-opened_at", "-pk")
    incident = incident_matching(
        problem_type_id=ticket.problem_type_id, key=ticket.correlation_key, incidents=incidents
    )
    if incident is None:
        return None
    ticket.major_incident = incident
    Ticket.objects.filter(pk=ticket.pk).update(major_incident=incident)
    event_write(ticket, TicketEventKind.MAJOR_INCIDENT_LINKED, actor=None, data={"major_incident": incident.pk})
    MajorIncidentEvent.objects.create(
        incident=incident,
        kind=MajorIncidentEventKind.TICKETS_LINKED,
        data={"count": 1, "tickets": [ticket.reference], "at_filing": True},
    )
    return incident


# --- The periodic job --------------------------------------------------------------------------------------------


@dataclass
class _Cluster:
    problem_type_id: int
    head: str
    shape: _Shape
    incident: MajorIncident | None = None
    keys: list[str] = field(default_factory=list)
    count: int = 0


def correlate(*, now=None) -> dict:
    """One run of the correlation job: link the window's unlinked open reports to the live major incident they
    match, and propose a major incident for each cluster of THRESHOLD reports or more that has none. Idempotent and
    safe to run concurrently: a second run finds nothing unlinked to link, the reports are claimed with
    ``FOR UPDATE SKIP LOCKED``, and one proposal per signature is a unique constraint. A signature dismissed less
    than a window ago is not proposed again. Returns how many clusters were looked at and reports linked."""
    now = now or timezone.now()
    window = settings.GUICHET_CORRELATION_WINDOW
    since = now - window
    pending = (
        Ticket.objects.filter(created_at__gte=since, major_incident__isnull=True, status__in=OPEN_STATUSES)
        .exclude(correlation_key="")
        .values("problem_type_id", "correlation_key")
        .annotate(count=Count("pk"))
        .order_by()
    )
    groups: dict[int, list[tuple[str, int]]] = {}
    for row in pending:
        groups.setdefault(row["problem_type_id"], []).append((row["correlation_key"], row["count"]))
    if not groups:
        return {"items": 0, "actions": 0}
    live = list(MajorIncident.objects.live().order_by("-opened_at", "-pk"))
    dismissed = list(
        MajorIncident.objects.filter(status=MajorIncidentStatus.DISMISSED, dismissed_at__gte=since)
        .exclude(correlation_key="")
        .values_list("problem_type_id", "correlation_key")
    )
    linked = 0
    clusters = 0
    for problem_type_id, rows in groups.items():
        for cluster in _clusters(problem_type_id, rows, live):
            if cluster.incident is None and (
                cluster.count < settings.GUICHET_CORRELATION_THRESHOLD
                or any(pt == problem_type_id and keys_alike(cluster.head, key) for pt, key in dismissed)
            ):
                continue
            clusters += 1
            linked += _settle(cluster, since=since, now=now)
    log.info("correlation: %d clusters, %d reports linked", clusters, linked)
    return {"items": clusters, "actions": linked}


def _clusters(problem_type_id: int, rows: list[tuple[str, int]], live: list[MajorIncident]) -> list[_Cluster]:
    """The window's signatures of one problem type grouped: first around the live incidents' signatures, then
    around the most frequent remaining ones (seen at least twice); a signature seen once only joins."""
    clusters = []
    for incident in live:
        if incident.problem_type_id not in (None, problem_type_id):
            continue
        for key in incident_keys(incident):
            clusters.append(_Cluster(problem_type_id, key, _shape(key), incident=incident))
    heads_from_rows = 0
    similarity = settings.GUICHET_CORRELATION_SIMILARITY
    for key, count in sorted(rows, key=lambda row: (-row[1], row[0])):
        phishing = key.startswith(PHISHING_PREFIX)
        shape = None if phishing else _shape(key)
        home = None
        for cluster in clusters:
            if cluster.head == key or (
                shape is not None
                and not cluster.head.startswith(PHISHING_PREFIX)
                and _alike(shape, cluster.shape, similarity)
            ):
                home = cluster
                break
        if home is None and (count >= 2 or phishing) and heads_from_rows < MAX_HEADS:
            home = _Cluster(problem_type_id, key, shape or _Shape((), ()))
            clusters.append(home)
            heads_from_rows += 1
        if home is not None:
            home.keys.append(key)
            home.count += count
    return [cluster for cluster in clusters if cluster.keys]


def _settle(cluster: _Cluster, *, since, now) -> int:
    """Link the cluster's unlinked reports to its incident, proposing one first when it has none."""
    with transaction.atomic():
        incident = cluster.incident or _proposal(cluster, now=now)
        claimed = list(
            Ticket.objects.select_for_update(skip_locked=True)
            .filter(
                problem_type_id=cluster.problem_type_id,
                correlation_key__in=cluster.keys,
                created_at__gte=since,
                major_incident__isnull=True,
                status__in=OPEN_STATUSES,
            )
            .values_list("pk", "reference")
        )
        if not claimed:
            return 0
        tickets_link(incident, [pk for pk, _ in claimed], references=[ref for _, ref in claimed], by=None, now=now)
    return len(claimed)


def _proposal(cluster: _Cluster, *, now) -> MajorIncident:
    """The proposed major incident of ``cluster``'s signature: the one already there, else a new one (if another run
    creates it at the same instant, the unique constraint makes this one use it)."""
    existing = _open_proposal(cluster)
    if existing is not None:
        return existing
    sample = (
        Ticket.objects.filter(problem_type_id=cluster.problem_type_id, correlation_key=cluster.head)
        .order_by("-created_at")
        .values_list("data__error_message", flat=True)
        .first()
    )
    sample = str(sample or "").strip()[:150] or cluster.head[:150]
    try:
        with transaction.atomic():
            incident = MajorIncident.objects.create(
                title_fr=f"Signalements simultanés : « {sample} »"[:200],
                title_en=f"Simultaneous reports: “{sample}”"[:200],
                problem_type_id=cluster.problem_type_id,
                status=MajorIncidentStatus.PROPOSED,
                error_messages=sample if not cluster.head.startswith(PHISHING_PREFIX) else "",
                correlation_key=cluster.head,
                opened_at=now,
            )
    except IntegrityError:
        return _open_proposal(cluster)
    MajorIncidentEvent.objects.create(
        incident=incident,
        kind=MajorIncidentEventKind.PROPOSED,
        data={"signature": cluster.head, "count": cluster.count},
    )
    return incident


def _open_proposal(cluster: _Cluster) -> MajorIncident | None:
    return MajorIncident.objects.filter(
        status=MajorIncidentStatus.PROPOSED, problem_type_id=cluster.problem_type_id, correlation_key=cluster.head
    ).first()


def tickets_link(incident: MajorIncident, ticket_ids: list[int], *, references: list[str], by, now=None) -> None:
    """Link tickets (already locked, not yet linked) to ``incident`` in a few statements, whatever their number: each
    gets its "linked" event (seen by its reporter only once the incident is public) and the incident one event
    naming them (the first hundred)."""
    now = now or timezone.now()
    Ticket.objects.filter(pk__in=ticket_ids).update(major_incident=incident, updated_at=now)
    events_write_many(
        [
            TicketEvent(
                ticket_id=pk,
                kind=TicketEventKind.MAJOR_INCIDENT_LINKED,
                actor=by,
                created_at=now,
                data={"major_incident": incident.pk},
                public=incident.is_public,
            )
            for pk in ticket_ids
        ]
    )
    MajorIncidentEvent.objects.create(
        incident=incident,
        kind=MajorIncidentEventKind.TICKETS_LINKED,
        actor=by,
        data={"count": len(ticket_ids), "tickets": sorted(references)[:100]},
    )
