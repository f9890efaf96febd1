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

import functools
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from portal.identity import lockout, stale_clients
from portal.identity.events import record_event
from portal.identity.mail_logs import normalised_address
from portal.models import AccountLockout, EventKind, MailClient, MailServer, SourceThrottle
from portal.models.security import Source

REFUSE, ACCEPT = -1, 0
# Dovecot shows the message of a refusal to the mail client ("NO [ALERT] …"): the person reads it in their app.
LOCKED = "Compte verrouillé après des échecs répétés : voir le portail d'assistance (account locked)."
RESET_REQUIRED = (
    "Mot de passe à réinitialiser sur le portail d'assistance avant de relever le courrier (password reset required)."
)
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


def mail_server_for(key: str, *, asking: PolicyRequest | None = None) -> MailServer | None:
    """The usable server whose key this is, or None (same answer and cost for a wrong prefix or secret).

    With ``asking``, the same query also reads what the answer to that request depends on, as attributes of the
    server returned (``identifier_locked``, ``identifier_failing``, ``source_blocked``, ``has_mail_apps``,
    ``reset_required``): one query per question, which Dovecot waits for before each login.
    """
    marker, _, rest = key.partition("_")
    prefix, _, secret = rest.partition("_")
    if marker != KEY_PREFIX or not prefix or not secret:
        return None
    prefix = prefix[: MailServer.PREFIX_LENGTH]
    if asking is None:
        server = MailServer.objects.usable().filter(prefix=prefix).first()
    else:
        server = _server_with_state(prefix, asking)
    expected = server.secret_hash if server is not None else MailServer.digest("")
    matches = hmac.compare_digest(expected, MailServer.digest(secret))
    return server if matches and server is not None else None


@functools.cache
def _state_query(vendor: str) -> str:
    """Written out rather than built by the ORM: compiling four EXISTS costs more than running them. Built once
    per database vendor (``vendor`` keys the cache: the quoting is the vendor's)."""
    names = {
        model.__name__: connection.ops.quote_name(model._meta.db_table)
        for model in (MailServer, AccountLockout, SourceThrottle, MailClient, get_user_model())
    }
    return (  # noqa: S608 (table names from the models, quoted; every value is a parameter)
        "SELECT server.id, server.name, server.prefix, server.secret_hash, server.last_seen_at, "
        "EXISTS(SELECT 1 FROM {AccountLockout} WHERE key = %s AND (reset_required OR locked_until > %s)), "
        "EXISTS(SELECT 1 FROM {AccountLockout} WHERE key = %s AND failures > 0), "
        "EXISTS(SELECT 1 FROM {SourceThrottle} WHERE ip = %s AND window_started_at >= %s AND failures >= %s), "
        "EXISTS(SELECT 1 FROM {MailClient} WHERE identifier = %s), "
        "EXISTS(SELECT 1 FROM {User} WHERE username = %s AND password_reset_required) "
        "FROM {MailServer} AS server WHERE server.revoked_at IS NULL AND server.prefix = %s"
    ).format(**names)


def _server_with_state(prefix: str, request: PolicyRequest) -> MailServer | None:
    key = lockout.identifier_key(request.identifier)
    now = timezone.now()
    moment = connection.ops.adapt_datetimefield_value  # as the ORM writes times in this database
    since = now - settings.GUICHET_SOURCE_WINDOW
    limit = lockout.source_limit(request.remote) if request.remote else 0
    identifier = request.identifier[:150]
    parameters = [key, moment(now), key, request.remote, moment(since), limit, identifier, identifier, prefix]
    with connection.cursor() as cursor:
        cursor.execute(_state_query(connection.vendor), parameters)
        row = cursor.fetchone()
    if row is None:
        return None
    seen = parse_datetime(row[4]) if isinstance(row[4], str) else row[4]
    if seen is not None and timezone.is_naive(seen):
        seen = timezone.make_aware(seen, UTC)  # SQLite keeps UTC times without their zone
    server = MailServer(id=row[0], name=row[1], prefix=row[2], secret_hash=row[3], last_seen_at=seen)
    states = [bool(value) for value in row[5:]]
    server.identifier_locked, server.identifier_failing, server.source_blocked = states[:3]
    server.has_mail_apps, server.reset_required = states[3:]
    return server


def mail_login_allow(state: MailServer) -> PolicyAnswer:
    """Before (and after) Dovecot checks the password: refuse a locked identifier, an account whose password must
    be reset first (the portal holds it as known to someone else), and an address over its limit. ``state``: the
    server as mail_server_for read it with ``asking``. The portal never asks for a delay (a positive status): its
    locks are its answer, and Dovecot's own auth_failure_delay already slows each failure."""
    if state.source_blocked:
        return PolicyAnswer(REFUSE, SOURCE_BLOCKED)
    if state.identifier_locked:
        return PolicyAnswer(REFUSE, LOCKED)
    if state.reset_required:
        return PolicyAnswer(REFUSE, RESET_REQUIRED)
    return PolicyAnswer(ACCEPT, "")


def mail_login_report(request: PolicyRequest, state: MailServer) -> None:
    """After the login: a success starts the count again, a wrong password counts towards the lock. ``state`` as
    for mail_login_allow: a success with nothing to reset writes nothing."""
    key = lockout.identifier_key(request.identifier)
    app = {"identifier": request.identifier, "protocol": request.source, "device": request.device_id}
    if request.success:
        if state.identifier_failing:
            lockout.record_success(key)
        if state.has_mail_apps:
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
    """The address as every path writes it (an IPv4 client seen through an IPv6 socket is the IPv4 address), or
    None."""
    try:
        return normalised_address(str(value).strip())
    except ValueError:
        return None
