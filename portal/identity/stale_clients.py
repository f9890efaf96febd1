"""Mail apps that keep trying an old password: recognised, kept from escalating the lock, and their owner told.

Dovecot's policy request carries a short salted hash of the attempted password (``pwhash``; never the password).
A failure whose hash is the one this identifier's app (same protocol, same device) sent last time is the *same*
wrong password again: a phone polling every few minutes with the password it had before a change, not someone
guessing. Such repeats count towards the first lock tier only (portal.identity.lockout.count_failure), as
directories ignore a recently used bad password for the same reason.

After ``GUICHET_STALE_CLIENT_REPEATS`` repeats that began after the account's last password change, the app is a
*stale client*: the person gets one e-mail naming the protocol and device, with the knowledge-base article on
removing and re-adding the account on the device, and agents see the app on the account's page. A success from the
same app forgets it (it has the new password).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac

from portal.identity.events import record_event
from portal.models import EventKind, MailClient

# A hash seen again after this long is treated as a new attempt.
REPEAT_WINDOW = timedelta(days=7)


def fingerprint(pwhash: str) -> str:
    """What is kept of a sent password hash: enough to tell it equal to another, nothing to test a guess against
    without the portal's secret key (Dovecot sends 12 bits, but a log shipper may send a whole hash)."""
    return salted_hmac("guichet.mail-app.pwhash", pwhash, algorithm="sha256").hexdigest()[:16] if pwhash else ""


def _device(device: str, ip: str | None) -> str:
    return (device or ip or "?")[:200]


def failure_observe(
    *, identifier: str, protocol: str, device: str, pwhash: str, ip: str | None, at: datetime, account=None
) -> bool:
    """Remember this failure of a mail app; True when it repeats the app's previous wrong password (``pwhash``: a
    ``fingerprint``).

    With ``account`` (the identifier's portal account), tells its owner, once, when the app turns out stale.
    """
    if not pwhash or not identifier:
        return False
    key = {"identifier": identifier[:150], "protocol": protocol[:16], "device": _device(device, ip)}
    with transaction.atomic():
        client, created = MailClient.objects.select_for_update().get_or_create(
            **key, defaults={"pwhash": pwhash, "first_failure_at": at, "last_failure_at": at, "last_ip": ip}
        )
        if created:
            return False
        repeat = client.pwhash == pwhash and at - client.last_failure_at <= REPEAT_WINDOW
        if repeat:
            client.repeats += 1
        else:
            client.pwhash, client.repeats, client.first_failure_at, client.notified_at = pwhash, 0, at, None
        client.last_failure_at, client.last_ip = at, ip
        if repeat and account is not None and _newly_stale(client, account):
            client.notified_at = at
            record_event(
                EventKind.STALE_MAIL_CLIENT,
                user=account,
                identifier=identifier,
                ip=ip,
                source=protocol if protocol else "mail",
                data={"protocol": protocol, "device": key["device"], "failures": client.repeats + 1},
                notify=True,
            )
        client.save()
    return repeat


def _newly_stale(client: MailClient, account) -> bool:
    changed = account.password_changed_at
    return (
        client.notified_at is None
        and client.repeats >= settings.GUICHET_STALE_CLIENT_REPEATS
        and changed is not None
        and client.first_failure_at >= changed
    )


def success_observe(*, identifier: str, protocol: str, device: str, ip: str | None) -> None:
    """The app signed in: it has the right password now."""
    MailClient.objects.filter(identifier=identifier[:150], protocol=protocol[:16], device=_device(device, ip)).delete()
