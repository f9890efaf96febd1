"""The e-mail outbox of the event tables (portal.models.EventBase): delivering one row, building its messages from
templates, and the periodic sweep of rows whose e-mail was never sent.

Security events (portal) and incident events (tickets) both record the e-mail to send as a flag on the row and
queue a task when the transaction commits; the task calls ``deliver``, which claims the row by setting
``notified_at``, so a row is sent once however many tasks reach it. When that task never reaches a worker (broker
down, worker killed), the sweep sends it later. It leaves fresh rows to their own task, so the two rarely race for a
row (the claim makes a race harmless anyway), and gives up after a week, so an address that always fails is not
tried forever. Each app keeps only what is its own: who receives what, and the words of the e-mail.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=30)
GIVE_UP = timedelta(days=7)
BATCH = 200


def queue(task_name: str, row_id: int | list[int]) -> None:
    """Ask a worker to send the e-mail of one row (or of a list of rows, for a task that takes a list), by the
    task's name, once the transaction commits (the tasks use portal.celery.OnCommitTask).

    By name, because a tasks module imports the services that record events and must not be imported by them
    (docs/decisions.md); the Celery app finds the task in its registry, where it loads every app's tasks module.
    A broker that is down loses nothing: the row stays flagged and the sweep sends it later."""
    from celery import current_app

    if task_name not in current_app.tasks:
        # A web process has not loaded the tasks modules (a worker does at start): autodiscovery does it once.
        current_app.loader.import_default_modules()
    current_app.tasks[task_name].delay(row_id)


def deliver(model, row_id: int, *, messages: Callable[[object], list[EmailMessage]], related=()) -> bool:
    """Claim the row of ``model`` (an EventBase) and send the e-mails ``messages(row)`` builds for it; returns True
    when this call sent them. Idempotent: a row already claimed, or not flagged ``notify``, sends nothing.

    Nobody to send to (an empty list) still uses up the claim: there is nothing to try again. The claim and the
    sending are one transaction: if sending fails, or the worker is killed before the mail server took the message,
    the claim is undone with it, so the sweep tries again (an error propagates to the caller, the task). Only a
    worker killed between the server's acceptance and the commit, a few milliseconds, can send a row twice."""
    with transaction.atomic():
        rows = model.objects.filter(pk=row_id, notify=True, notified_at__isnull=True)
        # The UPDATE locks the row until the commit: a second task reaching it waits, then finds it claimed.
        if not rows.update(notified_at=timezone.now()):
            return False
        row = model.objects.select_related(*related).get(pk=row_id)
        outgoing = messages(row)
        for message in outgoing:
            message.send()
    return bool(outgoing)


def make_message(name: str, *, to: list[str], language: str, context, html: bool = True) -> EmailMultiAlternatives:
    """The e-mail of templates/emails/<name>-subject.txt, -body.txt and (``html``) -body.html, in ``language``.

    ``context`` is a dict, or a function that returns one: it is then called in ``language``, so what it
    translates (a status, a count) is in the reader's words too. The subject is one line, whatever the template."""
    with translation.override(language):
        values = context() if callable(context) else context
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", values).split())
        text = render_to_string(f"emails/{name}-body.txt", values)
        body_html = render_to_string(f"emails/{name}-body.html", values) if html else None
    message = EmailMultiAlternatives(subject, text, to=to)
    if body_html is not None:
        message.attach_alternative(body_html, "text/html")
    return message


def sweep(model, deliver_row: Callable[[int], bool]) -> int:
    """Deliver up to BATCH pending rows of ``model`` with ``deliver_row(row_id)`` (the app's function around
    ``deliver``); returns how many were sent."""
    now = timezone.now()
    pending = (
        model.objects.filter(
            notify=True,
            notified_at__isnull=True,
            created_at__lt=now - GRACE,
            created_at__gte=now - GIVE_UP,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    sent = 0
    for row_id in list(pending):
        try:
            if deliver_row(row_id):
                sent += 1
        except Exception:
            # One unreachable mailbox must not hold back the others; its claim was released for the next sweep.
            log.warning("could not send the e-mail of %s %s", model._meta.label, row_id, exc_info=True)
    log.info("sent %d pending e-mails of %s", sent, model._meta.label)
    return sent
