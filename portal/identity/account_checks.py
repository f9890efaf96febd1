"""The password-reset checks, run by periodic jobs (portal/site/schedule.py): what no single request shows.

- expired temporary access passes are forgotten (reset links: portal.identity.reset.resets_purge);
- an account for which reset links keep being asked is flagged to the security team (someone flooding a mailbox,
  or a person who never gets the e-mail and keeps trying: either way somebody should look);
- people are reminded, once, that their password reaches the policy's age (when the organisation has one) and that
  their second-factor grace period ends;
- a password reset after which failed sign-ins go on (a device with the old password, or someone still guessing)
  opens a helpdesk case through tickets.services, once per reset.

Each check reads a bounded window through indexed columns and records what it did as an event, which is also what
keeps it from doing it twice: running a check again, or two at once, changes nothing more.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext, override
from django_otp import user_has_device

from portal.identity.events import record_event
from portal.models import EventKind, SecurityEvent, TemporaryAccessPass
from tickets.services import lockout_case_open

DAY = timedelta(days=1)


def access_passes_purge(*, now: datetime | None = None) -> int:
    """Forget the digests of temporary access passes unused and expired for a day; the events keep the story."""
    cutoff = (now or timezone.now()) - DAY
    deleted, _ = TemporaryAccessPass.objects.filter(expires_at__lt=cutoff, used_at__isnull=True).delete()
    return deleted


def repeated_resets_flag(*, now: datetime | None = None) -> dict:
    """Accounts sent ``GUICHET_RESET_REQUESTS_ALERT`` reset links or more in a day: one alert each per day."""
    now = now or timezone.now()
    busy = (
        SecurityEvent.objects.filter(kind=EventKind.PASSWORD_RESET_LINK, created_at__gte=now - DAY, user__isnull=False)
        .values("user")
        .annotate(links=Count("id"))
        .filter(links__gte=settings.GUICHET_RESET_REQUESTS_ALERT)
    )
    accounts = {row["user"]: row["links"] for row in busy}
    actions = 0
    for account in get_user_model().objects.filter(pk__in=accounts):
        actions += _once_since(
            EventKind.RESET_REQUESTS_REPEATED, account, now - DAY, data={"links": accounts[account.pk], "hours": 24}
        )
    return {"items": len(accounts), "actions": actions}


def password_age_remind(*, now: datetime | None = None) -> dict:
    """With a maximum password age (``GUICHET_PASSWORD_MAX_AGE_DAYS``; 0, the default, is none, as NIST 800-63B
    advises), remind each person once per password, ``GUICHET_PASSWORD_REMINDER_DAYS`` before it runs out."""
    max_age = settings.GUICHET_PASSWORD_MAX_AGE_DAYS
    if not max_age:
        return {"items": 0, "actions": 0}
    now = now or timezone.now()
    due_before = now - timedelta(days=max_age - settings.GUICHET_PASSWORD_REMINDER_DAYS)
    people = get_user_model().objects.filter(is_active=True, password_changed_at__lt=due_before)
    actions = items = 0
    for person in people.iterator(chunk_size=500):
        items += 1
        expires = person.password_changed_at + timedelta(days=max_age)
        actions += _once_since(
            EventKind.PASSWORD_AGE_REMINDER, person, person.password_changed_at, data={"expires": expires.isoformat()}
        )
    return {"items": items, "actions": actions}


def mfa_grace_remind(*, now: datetime | None = None) -> dict:
    """Staff whose grace period for adding a second factor ends within ``GUICHET_MFA_REMINDER_DAYS`` and who have
    none yet: one reminder each."""
    now = now or timezone.now()
    grace = timedelta(days=settings.GUICHET_MFA_GRACE_DAYS)
    window = timedelta(days=settings.GUICHET_MFA_REMINDER_DAYS)
    # mfa_deadline = date_joined + grace for staff (agents have none): the deadline is between now and now + window.
    people = get_user_model().objects.filter(
        is_active=True, date_joined__gt=now - grace, date_joined__lte=now - grace + window
    )
    actions = items = 0
    for person in people.iterator(chunk_size=500):
        if person.is_agent or user_has_device(person, confirmed=True):
            continue
        items += 1
        actions += _once_since(
            EventKind.MFA_GRACE_REMINDER, person, person.date_joined, data={"deadline": person.mfa_deadline.isoformat()}
        )
    return {"items": items, "actions": actions}


def failures_after_reset_check(*, now: datetime | None = None) -> dict:
    """A reset in the last day followed by ``GUICHET_FAILURES_AFTER_RESET`` failed sign-ins or more: one case."""
    now = now or timezone.now()
    resets = SecurityEvent.objects.filter(
        kind=EventKind.PASSWORD_CHANGE, created_at__gte=now - DAY, data__reason="reset", user__isnull=False
    ).select_related("user")
    actions = 0
    for reset in resets:
        # Read after the reset, and, for a mail server's log line, written after it too: an old log imported
        # after a reset says nothing about the new password. (Both times are ISO 8601 in UTC: as text, in order.)
        failures = SecurityEvent.objects.filter(
            kind=EventKind.LOGIN_FAIL, user=reset.user, created_at__gt=reset.created_at
        ).filter(Q(data__at__isnull=True) | Q(data__at__gt=reset.created_at.isoformat()))
        count = failures.count()
        if count >= settings.GUICHET_FAILURES_AFTER_RESET:
            sources = sorted(set(failures.values_list("source", flat=True).distinct()))
            actions += _case_once(reset, count=count, sources=sources)
    return {"items": resets.count(), "actions": actions}


@transaction.atomic
def _case_once(reset: SecurityEvent, *, count: int, sources: list[str]) -> int:
    person = get_user_model().objects.select_for_update().get(pk=reset.user_id)  # one case however many runs
    already = SecurityEvent.objects.filter(
        kind=EventKind.FAILURES_AFTER_RESET, user=person, data__reset=reset.pk
    ).exists()
    if already:
        return 0
    with override(settings.LANGUAGE_CODE):
        title = gettext("Failed sign-ins go on after the password reset of %(identifier)s") % {
            "identifier": person.username
        }
        description = gettext(
            "The password was reset on %(when)s, and %(count)d sign-ins failed since, from: %(sources)s. Most "
            "often a phone or a computer still has the old password (the account's page lists the mail apps that "
            "repeat one); otherwise someone is still guessing."
        ) % {
            "when": timezone.localtime(reset.created_at).strftime("%d/%m/%Y %H:%M"),
            "count": count,
            "sources": ", ".join(sources),
        }
    ticket = lockout_case_open(requester=person, title=title, description=description)
    record_event(
        EventKind.FAILURES_AFTER_RESET,
        user=person,
        data={"reset": reset.pk, "failures": count, "case": ticket.reference},
    )
    return 1


@transaction.atomic
def _once_since(kind: str, person, since: datetime, *, data: dict) -> int:
    """One event of ``kind`` for ``person`` since ``since``, with its e-mail; 0 when there is one already."""
    get_user_model().objects.select_for_update().filter(pk=person.pk).first()  # serialises concurrent runs
    if SecurityEvent.objects.filter(kind=kind, user=person, created_at__gte=since).exists():
        return 0
    record_event(kind, user=person, data=data, notify=True)
    return 1
