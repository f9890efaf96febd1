"""Workflows on incidents: filing, replying, closing, reopening, changing status or priority, and "this solved it".

Every change writes a TicketEvent (the timeline is the single history) inside the same transaction as the change.
Events the requester should hear about are flagged ``notify`` and their e-mail task is queued on commit
(portal.celery.OnCommitTask), so a rolled-back change never sends anything.
"""

import dataclasses
import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from tickets.assignment import ticket_auto_assign
from tickets.correlation import report_key, ticket_link_at_filing
from tickets.fields.context import FillContext
from tickets.fields.form import validate_answers
from tickets.fields.keys import FieldKey
from tickets.models import (
    Attachment,
    Deflection,
    PhishingReport,
    Priority,
    ProblemType,
    Queue,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)
from tickets.references import next_reference
from tickets.search import search_vectors_refresh
from tickets.sla import sla_retarget, sla_start
from tickets.submission import Submission, TicketSource
from tickets.timeline import event_write, status_set, ticket_locked, ticket_touch

log = logging.getLogger(__name__)


class TicketActionRefused(Exception):
    """The action does not apply to the ticket as it is now (closed, reopen delay passed…)."""


def ticket_create(
    *, requester, problem_type: ProblemType, submission: Submission, source: str = TicketSource.PORTAL
) -> Ticket:
    """File an incident from a validated submission (the web form's or the API's tickets.fields.form.AnswersForm):
    the ticket with its reference, its "created" event, its files and, for a reported message, its PhishingReport.
    All or nothing."""
    return _file(requester=requester, problem_type=problem_type, submission=submission, source=source, by=requester)


def ticket_open_case(*, requester, problem_type: ProblemType, answers: dict, source: str, by=None) -> Ticket:
    """Open an incident for ``requester`` from code that has no request or form (a job, a command): ``answers`` by
    key, checked as the form checks them (true/false read as yes/no). The identifier concerned defaults to the
    requester's, as on the pre-filled form. ``by`` is who opened it, None for the portal itself.

    Raises django.core.exceptions.ValidationError, whose ``message_dict`` gives the form's messages by field, when
    the answers do not fill the problem type's form; nothing is filed then. No files: a problem type that requires
    some cannot be filed this way."""
    answers = dict(answers)
    if not answers.get(FieldKey.IDENTIFIER):
        answers[FieldKey.IDENTIFIER] = requester.username
    submission = validate_answers(
        problem_type=problem_type, answers=answers, context=FillContext(user=requester, now=timezone.now())
    )
    return _file(requester=requester, problem_type=problem_type, submission=submission, source=source, by=by)


def ticket_reply(*, ticket: Ticket, by, body: str, uploads=()) -> Ticket:
    """A public message and/or files from the requester or an agent.

    A requester answering a ticket that waited for them puts it back in progress; an agent answering a new ticket
    takes it in progress. Only open tickets take replies (a solved one is reopened first).
    """
    saved_files: list[str] = []
    try:
        with transaction.atomic():
            ticket = ticket_locked(ticket)
            if not ticket.is_open:
                raise TicketActionRefused("closed")
            from_requester = by.pk == ticket.requester_id
            if body.strip():
                event_write(ticket, TicketEventKind.REPLIED, actor=by, body=body.strip(), notify=not from_requester)
            if uploads:
                _attach(ticket, uploads, by=by, saved=saved_files, notify=not from_requester and not body.strip())
            # The requester answering a ticket that waited for them, or an agent taking a new one: in progress.
            waited = TicketStatus.WAITING if from_requester else TicketStatus.NEW
            if ticket.status == waited:
                status_set(ticket, TicketStatus.IN_PROGRESS, by=by)
            ticket_touch(ticket)
    except BaseException:
        _delete_files(saved_files)
        raise
    return ticket


def ticket_note(*, ticket: Ticket, by, body: str, uploads=()) -> Ticket:
    """An internal note from an agent, and/or files only agents may download: the requester neither sees it nor is
    e-mailed, and the status stays as it is. Only open tickets take notes, as they take replies."""
    saved_files: list[str] = []
    try:
        with transaction.atomic():
            ticket = ticket_locked(ticket)
            if not ticket.is_open:
                raise TicketActionRefused("closed")
            if body.strip():
                event_write(ticket, TicketEventKind.NOTE, actor=by, body=body.strip(), public=False)
            if uploads:
                _attach(ticket, uploads, by=by, saved=saved_files, public=False)
            ticket_touch(ticket)
    except BaseException:
        _delete_files(saved_files)
        raise
    return ticket


@transaction.atomic
def ticket_close(*, ticket: Ticket, by) -> Ticket:
    """The requester says the problem is solved. The ticket can be reopened for GUICHET_TICKET_REOPEN_DAYS days."""
    ticket = ticket_locked(ticket)
    if not ticket.is_open:
        raise TicketActionRefused("not open")
    status_set(ticket, TicketStatus.SOLVED, by=by)
    ticket_touch(ticket)
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, by) -> Ticket:
    """The problem came back within the delay: the same ticket goes back to the helpdesk, history kept."""
    ticket = ticket_locked(ticket)
    if not ticket.can_reopen():
        raise TicketActionRefused("cannot reopen")
    status_set(ticket, TicketStatus.NEW, by=by, reopened=True)
    ticket_touch(ticket)
    return ticket


@transaction.atomic
def ticket_status_change(*, ticket: Ticket, to: str, by) -> Ticket:
    """An agent (or, later, an automatic rule) moves a ticket to another status; the requester is told."""
    ticket = ticket_locked(ticket)
    if ticket.status != to:
        status_set(ticket, to, by=by)
        ticket_touch(ticket)
    return ticket


@transaction.atomic
def ticket_priority_change(*, ticket: Ticket, priority: str, by, retarget: bool = True) -> Ticket:
    """An agent (or the SLA job's escalation, ``by`` None) says how urgent a ticket is. The event is internal:
    priority is the helpdesk's triage, so the requester is neither shown nor e-mailed the change. The SLA target
    follows the new priority unless ``retarget`` is False (an escalation must not move its own deadline)."""
    if priority not in Priority.values:
        raise ValueError(f"unknown priority {priority!r}")
    ticket = ticket_locked(ticket)
    if ticket.priority != priority:
        previous, ticket.priority = ticket.priority, priority
        Ticket.objects.filter(pk=ticket.pk).update(priority=priority)
        data = {"from": previous, "to": priority}
        event_write(ticket, TicketEventKind.PRIORITY_CHANGED, actor=by, data=data, public=False)
        if retarget:
            sla_retarget(ticket)
    return ticket


@transaction.atomic
def ticket_link_major_incident(*, ticket: Ticket, incident, by) -> Ticket:
    """An agent links an incident to the major incident it is part of (or unlinks it, ``incident=None``)."""
    ticket = ticket_locked(ticket)
    if ticket.major_incident_id == (incident.pk if incident else None):
        return ticket
    ticket.major_incident = incident
    Ticket.objects.filter(pk=ticket.pk).update(major_incident=incident)
    event_write(
        ticket,
        TicketEventKind.MAJOR_INCIDENT_LINKED,
        actor=by,
        data={"major_incident": incident.pk if incident else None},
    )
    ticket_touch(ticket)
    return ticket


def deflection_record(*, user, problem_type: ProblemType, article) -> Deflection:
    """ "This solved it" on the form: the filing ends, the knowledge base gets a helpful vote, and the helpdesk
    counts one incident it did not have to handle."""
    from kb.services import feedback_record

    with transaction.atomic():
        feedback_record(article=article, helpful=True, comment="", user=user)
        return Deflection.objects.create(user=user, problem_type=problem_type, article=article)


# --- Helpers -----------------------------------------------------------------------------------------------------


def _file(*, requester, problem_type, submission: Submission, source: str, by, queue=None, priority=None) -> Ticket:
    """The filing every path shares: the ticket in the queue of its problem type (or ``queue``), its "created"
    event by ``by`` (e-mailed to the requester), its files and its PhishingReport. Files stored before a failure are
    deleted, so a failed filing leaves nothing behind."""
    saved_files: list[str] = []
    try:
        with transaction.atomic():
            now = timezone.now()
            answers = dict(submission.answers)
            title = (answers.pop("title", "") or "").strip()
            if not title and submission.reported_message is not None:
                # A phishing report is best known by the subject of the message reported.
                title = str(getattr(submission.reported_message, "subject", "") or "").strip()[:200]
            ticket = Ticket.objects.create(
                reference=next_reference(timezone.localdate(now).year),
                requester=requester,
                problem_type=problem_type,
                queue_id=queue.pk if queue else problem_type.queue_id,
                priority=priority or Priority.NORMAL,
                title=title,
                data=answers,
                correlation_key=report_key(
                    answers=answers,
                    requester=requester,
                    identifier=str(answers.get(FieldKey.IDENTIFIER) or ""),
                ),
                created_at=now,
                updated_at=now,
            )
            search_vectors_refresh(Ticket.objects.filter(pk=ticket.pk))
            # "category": the key this event's data has always had (the API shows it), whatever the model is called.
            data = {"category": problem_type.slug, "source": str(source)}
            event_write(ticket, TicketEventKind.CREATED, actor=by, notify=True, data=data)
            if submission.uploads:
                _attach(ticket, submission.uploads, by=by, saved=saved_files)
            if submission.reported_message is not None:
                report = _phishing_report(ticket, submission.reported_message)
                # Reports of one campaign correlate by it, whatever else they say.
                ticket.correlation_key = report_key(answers=answers, requester=requester, campaign=report.campaign_key)
                Ticket.objects.filter(pk=ticket.pk).update(correlation_key=ticket.correlation_key)
            ticket_link_at_filing(ticket)
            sla_start(ticket)
            ticket_auto_assign(ticket=ticket)
    except BaseException:
        _delete_files(saved_files)
        raise
    log.info("ticket %s filed (%s, from %s)", ticket.reference, problem_type.slug, source)
    return ticket


def _attach(ticket: Ticket, uploads, *, by, saved: list[str], notify: bool = False, public: bool = True) -> TicketEvent:
    """The files and their event; files of an internal event are the agents' only (Attachment.visible_to)."""
    from tickets.uploads import save_upload

    names = [checked.original_name for _file, checked in uploads]
    event = event_write(
        ticket, TicketEventKind.ATTACHMENT_ADDED, actor=by, data={"names": names}, notify=notify, public=public
    )
    rows = []
    for file, checked in uploads:
        stored = save_upload(file, checked)
        saved.append(stored)
        rows.append(
            Attachment(
                ticket=ticket,
                event=event,
                file=stored,
                original_name=checked.original_name,
                content_type=checked.content_type,
                kind=checked.kind,
                size=checked.size,
                sha256=checked.sha256,
                uploaded_by=by,
            )
        )
    Attachment.objects.bulk_create(rows)
    return event


def _delete_files(names: list[str]) -> None:
    if not names:
        return
    from tickets.uploads import private_storage

    for name in names:
        try:
            private_storage.delete(name)
        except OSError:
            log.warning("could not delete the orphan attachment %s", name, exc_info=True)


# --- Reported messages -------------------------------------------------------------------------------------------

MAX_ITEMS = 100
MAX_TEXT = 2000


def _jsonable(value, depth: int = 0):
    """A parsed message as JSON: dataclasses and named tuples become objects, long lists and texts are cut."""
    if depth > 4:
        return str(value)[:MAX_TEXT]
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: _jsonable(getattr(value, item.name), depth + 1) for item in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {name: _jsonable(getattr(value, name), depth + 1) for name in value._fields}
    if isinstance(value, dict):
        return {str(key)[:200]: _jsonable(item, depth + 1) for key, item in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item, depth + 1) for item in list(value)[:MAX_ITEMS]]
    return str(value)[:MAX_TEXT]


SUMMARY_FIELDS = (
    "sender",
    "sender_address",
    "sender_domain",
    "reply_to",
    "return_path",
    "subject",
    "date",
    "message_id",
    "received",
    "authentication",
    "links",
    "attachments",
    "warnings",
)


def message_summary(message) -> dict:
    """The parsed message as stored. Warnings keep their code and parameters, so they are shown in the reader's
    language (tickets.phishing.Finding); the recipients are left out (personal data the helpdesk does not need)."""
    summary = {name: _jsonable(getattr(message, name, None)) for name in SUMMARY_FIELDS if name != "warnings"}
    summary["warnings"] = [
        {
            "code": str(getattr(finding, "code", "")),
            "params": _jsonable(dict(getattr(finding, "params", ()))),
            "message": str(finding)[:MAX_TEXT],
        }
        for finding in list(getattr(message, "warnings", []) or [])[:MAX_ITEMS]
    ]
    summary["truncated"] = bool(getattr(message, "truncated", False))
    return summary


def _phishing_report(ticket: Ticket, message) -> PhishingReport:
    from tickets.phishing import campaign_key

    return PhishingReport.objects.create(
        ticket=ticket, campaign_key=campaign_key(message)[:128], summary=message_summary(message)
    )


def _case_open(*, requester, title: str, description: str, problem_slug: str, source: str, by, priority, queue=None):
    """A case opened on someone's behalf by the identity wing: an incident of ``problem_slug`` (else "other", else
    any active type), with its "created" event. Not checked against the problem type's form: the case must open
    whatever an agent made that form ask."""
    problem_types = ProblemType.objects.all()
    problem_type = (
        problem_types.filter(slug=problem_slug).first()
        or problem_types.filter(slug="autre").first()
        or problem_types.filter(is_active=True).first()
    )
    answers = {"identifier": requester.username, "title": title[:200], "description": description}
    ticket = _file(
        requester=requester,
        problem_type=problem_type,
        submission=Submission(answers=answers),
        source=source,
        by=by,
        queue=queue,
        priority=priority,
    )
    log.info("%s case %s opened for %s", source, ticket.reference, requester.pk)
    return ticket


def security_case_open(*, requester, title: str, description: str) -> Ticket:
    """A case for the security team on someone's behalf ("this wasn't me" in a security e-mail): an urgent
    incident of the "other" problem type in the security queue."""
    return _case_open(
        requester=requester,
        title=title,
        description=description,
        problem_slug="autre",
        source=TicketSource.SECURITY,
        by=requester,
        priority=Priority.URGENT,
        queue=Queue.objects.filter(slug="securite").first(),
    )


def lockout_case_open(*, requester, title: str, description: str) -> Ticket:
    """A case for the helpdesk about someone whose sign-ins keep failing after a password reset (the periodic
    account checks): a high-priority incident of the locked-account problem type in its queue."""
    return _case_open(
        requester=requester,
        title=title,
        description=description,
        problem_slug="compte-bloque",
        source=TicketSource.ACCOUNT_CHECKS,
        by=None,
        priority=Priority.HIGH,
    )


def recovery_case_open(*, requester, message: str, contact: str, by=None) -> Ticket:
    """The helpdesk case of a second-factor reset: asked for on the lost-phone page (``by`` None, the person
    themselves), or opened by the agent who starts a reset without one. A high-priority incident of the second-factor
    problem type in its queue (its "created" event is e-mailed to the requester: it says what happens next)."""
    with translation.override(requester.language or settings.LANGUAGE_CODE):
        title = gettext("Second-factor reset: lost phone, no recovery code")
        description = message.strip() or gettext("(no message)")
        if contact.strip():
            description += "\n\n" + gettext("How to reach them, as they typed it: %(contact)s") % {
                "contact": contact.strip()
            }
    return _case_open(
        requester=requester,
        title=title,
        description=description,
        problem_slug="otp-mfa",
        source=TicketSource.RECOVERY,
        by=by or requester,
        priority=Priority.HIGH,
    )


def case_exists(reference: str) -> bool:
    """Whether ``reference`` (INC-…) is a case of the helpdesk, for the agent's reset form."""
    return Ticket.objects.filter(reference=reference).exists()


@transaction.atomic
def case_step_record(*, reference: str, by, step: str, body: str) -> bool:
    """One step of a second-factor reset on its case's timeline: an internal event (agents only), never the
    access pass or a password. False when there is no such case."""
    ticket = Ticket.objects.select_for_update().filter(reference=reference).first()
    if ticket is None:
        return False
    event_write(ticket, TicketEventKind.ACCOUNT_RECOVERY, actor=by, body=body, data={"step": step}, public=False)
    ticket_touch(ticket)
    return True
