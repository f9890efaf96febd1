"""The portal's sign-in lock applied on the mail servers, through Dovecot's authentication policy protocol.

Dovecot asks before it checks a password (``command=allow``), may ask again once it has checked it, and then
reports the outcome (``command=report``, with ``success`` and ``policy_reject``). The answer is
``{"status": …, "msg": …}``: -1 refuses the login, 0 lets it go on, a positive number delays it by that many
seconds (docs/mail-servers.md has the Dovecot side).

One lock everywhere: the answers read, and the reports count in, the same per-identifier counters
(portal.identity.lockout) as the portal's sign-in form, and the same per-address counters. So a person locked on
the portal is refused by IMAP, and failures from a phone's mail app count towards the lock on the portal. Unlike
the sign-in form, an "allow" request claims nothing: a mail client opens several connections at once with the same
password, and one per second would refuse most of them. A failure is counted when it is reported, once.

Failures Dovecot refused itself (``policy_reject``) and its internal errors are not the person's: they are not
counted. Each counted failure and each lock it reaches is a security event with the protocol as its source.
"""

import hmac
import ipaddress
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from portal.identity import lockout, stale_clients
from portal.identity.events import record_event
from portal.models import AccountLockout, EventKind, MailServer
from portal.models.security import Source

REFUSE, ACCEPT = -1, 0
# Dovecot shows the message of a refusal to the mail client ("NO [ALERT] …"): the person reads it in their app.
LOCKED = "Compte verrouillé après des échecs répétés : voir le portail d'assistance (account locked)."
SOURCE_BLOCKED = "Trop d'échecs depuis cette adresse : réessayez plus tard (too many failures from this address)."
KEY_PREFIX = "gms"
PROTOCOLS = {"imap": Source.IMAP, "pop3": Source.POP3, "smtp": Source.SMTP, "submission": Source.SMTP}
# Dovecot's fail_type for a wrong password or an unknown user: the person's (or an attacker's) doing. Others
# ("internal", "expired", "disabled", "policy") are not counted.
COUNTED_FAILURES = {"credentials", "account", ""}


def mail_identifier(login: str) -> str:
    """A mail login as the portal knows it: case-folded, without one of the organisation's mail domains."""
    login = login.strip().casefold()
    local, at, domain = login.rpartition("@")
    if at and any(domain == own.casefold() for own in settings.GUICHET_ORGANISATION_MAIL_DOMAINS):
        return local
    return login


@dataclass(frozen=True)
class PolicyAnswer:
    status: int
    msg: str

    def as_json(self) -> dict:
        return {"status": self.status, "msg": self.msg}


@dataclass(frozen=True)
class PolicyRequest:
    """What Dovecot sends (auth_policy_request_attributes), read and bounded by the view."""

    login: str
    remote: str | None
    protocol: str
    success: bool = False
    policy_reject: bool = False
    fail_type: str = ""
    device_id: str = ""
    pwhash: str = ""
    session_id: str = ""

    @property
    def identifier(self) -> str:
        return mail_identifier(self.login)

    @property
    def source(self) -> str:
        return PROTOCOLS.get(self.protocol.casefold(), Source.MAIL)


@dataclass(frozen=True)
class IssuedKey:
    server: MailServer
    key: str  # shown once, never stored


@transaction.atomic
def mail_server_add(*, name: str) -> IssuedKey:
    """A new mail server and its key (``manage.py mail_server add``)."""
    prefix = secrets.token_hex(MailServer.PREFIX_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    server = MailServer.objects.create(name=name, prefix=prefix, secret_hash=MailServer.digest(secret))
    record_event(EventKind.MAIL_SERVER_ADDED, data={"server": name, "prefix": prefix})
    return IssuedKey(server=server, key=f"{KEY_PREFIX}_{prefix}_{secret}")


@transaction.atomic
def mail_server_revoke(*, name: str) -> bool:
    """Refuse the server's key from now on; False if no usable server has that name."""
    server = MailServer.objects.usable().select_for_update().filter(name=name).first()
    if server is None:
        return False
    server.revoked_at = timezone.now()
    server.save(update_fields=["revoked_at"])
    record_event(EventKind.MAIL_SERVER_REVOKED, data={"server": name, "prefix": server.prefix})
    return True


def mail_server_for(key: str) -> MailServer | None:
    """The usable server whose key this is, or None (same answer and cost for a wrong prefix or secret)."""
    marker, _, rest = key.partition("_")
    prefix, _, secret = rest.partition("_")
    if marker != KEY_PREFIX or not prefix or not secret:
        return None
    server = MailServer.objects.usable().filter(prefix=prefix[: MailServer.PREFIX_LENGTH]).first()
    expected = server.secret_hash if server is not None else MailServer.digest("")
    matches = hmac.compare_digest(expected, MailServer.digest(secret))
    return server if matches and server is not None else None


def mail_login_allow(request: PolicyRequest) -> PolicyAnswer:
    """Before (and after) Dovecot checks the password: refuse a locked identifier and an address over its limit."""
    if request.remote and lockout.source_blocked(request.remote):
        return PolicyAnswer(REFUSE, SOURCE_BLOCKED)
    key = lockout.identifier_key(request.identifier)
    now = timezone.now()
    row = AccountLockout.objects.filter(key=key).values("locked_until", "reset_required").first()
    if row and (row["reset_required"] or (row["locked_until"] and row["locked_until"] > now)):
        return PolicyAnswer(REFUSE, LOCKED)
    return PolicyAnswer(ACCEPT, "")


def mail_login_report(request: PolicyRequest) -> None:
    """After the login: a success starts the count again, a wrong password counts towards the lock."""
    key = lockout.identifier_key(request.identifier)
    app = {"identifier": request.identifier, "protocol": request.source, "device": request.device_id}
    if request.success:
        lockout.record_success(key)
        stale_clients.success_observe(**app, ip=request.remote)
        return
    if request.policy_reject or request.fail_type not in COUNTED_FAILURES:
        return
    account = get_user_model().objects.filter(username=request.identifier[:150]).first()
    repeat = stale_clients.failure_observe(
        **app, pwhash=stale_clients.fingerprint(request.pwhash), ip=request.remote, at=timezone.now(), account=account
    )
    AccountLockout.objects.get_or_create(key=key)
    lock = lockout.record_failure(key, repeat=repeat)
    data = {"reason": "credentials", "protocol": request.protocol[:20]}
    if request.device_id:
        data["device"] = request.device_id[:100]
    if repeat:
        data["repeat"] = True  # the same wrong password as this app's previous attempt (stale_clients)
    event = {"ip": request.remote, "user": account, "identifier": request.identifier, "source": request.source}
    record_event(EventKind.LOGIN_FAIL, data=data, **event)
    if lock is not None:
        record_event(
            EventKind.LOGIN_LOCK,
            data={"minutes": lock.minutes, "reset_required": lock.reset_required, "protocol": request.protocol[:20]},
            notify=True,
            **event,
        )
    if request.remote and lockout.record_source_failure(request.remote):
        record_event(EventKind.SOURCE_THROTTLED, **event)


def valid_address(value) -> str | None:
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        return None
