"""Mail-server log lines read as authentication records: the failures and successes of IMAP, POP3 and SMTP
logins that never went through the portal's policy endpoint (a server without ``auth_policy_server_url``, a
Postfix with its own SASL, a webmail that reports in JSON).

Pure parsing: no database, no settings beyond the current time zone. The caller reads a stream, gives each line
to ``parse_line`` and each record to one ``Correlator`` per stream, then stores what comes out. Records carry an
``event_id`` so that storing the same line twice (a file read again after a restart) counts it once.

What is read, as Dovecot 2.3 and 2.4 and Postfix word it:

- Dovecot's login processes (``imap-login``, ``pop3-login``, ``submission-login``): the summary written when
  a connection ends without logging in, ``… (auth failed, 3 attempts in 4 secs): user=<…>, …, rip=…,
  session=<…>`` (2.4 adds `` (auth_failed)``), and the success, ``Login: user=<…>`` (2.4: ``Logged in:``).
  Other endings (no attempt, plaintext refused, user disabled, proxy failures) are not password failures.
- Dovecot's auth process with ``auth_verbose=yes``, one line per password checked:
  ``passwd-file(user,ip,<session>): Password mismatch`` (2.3) and
  ``auth(user,ip,sasl:plain)<session>: Info: passwd-file: Password mismatch`` (2.4), also ``unknown user``,
  PAM's ``pam_authenticate() failed: …`` and LDAP's ``invalid credentials``. A given password that
  ``auth_verbose_passwords`` may have put on the line is never kept.
- Postfix smtpd: ``warning: host[ip]: SASL LOGIN authentication failed: …`` (3.9 appends
  ``, sasl_username=…``) and the success ``QUEUEID: client=host[ip], sasl_method=…, sasl_username=…``.
- One JSON object per line, the format of the ingestion API (``JSON_FIELDS``).

Time stamps: classic syslog (``Dec  4 18:43:33``, no year), RFC 3339 (rsyslog, journald) and Dovecot's own
``log_path`` files (``Dec 04 18:43:33 imap-login: …``). A time without an offset is in the given zone.

Limits: Dovecot 2.3 writes "unknown user" alike for a login and for a userdb lookup (an LMTP delivery to an
unknown address), so with auth_verbose such a delivery reads as a failure; 2.4 tells them apart (a login's line
names its SASL mechanism). With several passdbs and auth_verbose_passwords=no, each passdb writes its own line
for the same attempt. Postfix writes its ``client=`` line once per message sent, not once per login.
"""

import hashlib
import ipaddress
import json
import re
from collections import OrderedDict, deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo

from django.utils import timezone

SUCCESS, FAILURE = "success", "failure"
PROTOCOLS = ("imap", "pop3", "smtp", "webmail")
MAX_LINE = 8192
# The reason of Dovecot's login summaries; the Correlator tells them from the auth process's lines by it.
SUMMARY_REASON = "auth failed"

JSON_FIELDS = {
    "id": "required: the sender's id of the event, 1 to 64 printable characters; sending it again is harmless",
    "at": 'required: ISO 8601 time WITH an offset or "Z", e.g. "2026-12-04T09:15:02.123+01:00"',
    "outcome": 'required: "success" or "failure"',
    "protocol": 'required: "imap", "pop3", "smtp" or "webmail"',
    "login": "the identifier as the person typed it, up to 320 characters (login or ip is required)",
    "ip": "the client's IPv4 or IPv6 address (login or ip is required)",
    "session": "the server's session id, up to 200 characters",
    "device": "an id of the client or device, up to 200 characters",
    "pwhash": "a short hash of the attempted password (never the password), hexadecimal, up to 128 characters",
    "reason": 'why it failed, up to 200 characters, e.g. "password mismatch"',
}
"""The JSON event, one object: ``{"id": "…", "at": "…", "outcome": "failure", "protocol": "imap",
"login": "marie.dupont", "ip": "192.0.2.10", …}``. Optional fields may be absent or null; any other field is
refused, so that a typo ("user" for "login") is an error rather than a silently anonymous event. The time is not
checked against the clock here: the caller knows what "now" is."""

_LENGTHS = {"login": 320, "session": 200, "device": 200, "pwhash": 128, "reason": 200}
_REQUIRED = ("id", "at", "outcome", "protocol")


@dataclass(frozen=True)
class MailAuthRecord:
    """One authentication, as the rest of the portal counts it."""

    event_id: str  # the same input line gives the same id: storing it twice counts it once (64 characters at most)
    at: datetime  # aware, UTC
    outcome: str  # SUCCESS or FAILURE
    protocol: str  # one of PROTOCOLS, "" when the line does not say (Dovecot's auth process, ManageSieve)
    identifier: str  # the login as typed, "" when the line has none (Postfix before 3.9)
    ip: str | None  # the client's address, normalised
    session: str = ""  # Dovecot's session id
    reason: str = ""  # short: "password mismatch", "unknown user", "auth failed", "SASL LOGIN authentication failed"
    device: str = ""
    pwhash: str = ""
    attempts: int = 1  # password attempts this record stands for (a login summary counts several)


class LineError(ValueError):
    """A line meant as an authentication event that cannot be read. The message is for the operator and does
    not name the line: the caller prefixes its number (``line 12: …``)."""


def _show(value: object, limit: int = 60) -> str:
    """A value quoted for an error message: short, and with control characters escaped."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate would not print
    return json.dumps(text, ensure_ascii=False)


def _utc(moment: datetime, shown: object) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # the first or last day of year 1 or 9999, with an offset that leaves the calendar
        raise LineError(f"time {_show(shown)} is out of range") from None


def normalised_address(raw: str) -> str:
    """The address normalised so that one client is one key: an IPv4 client seen through an IPv6 socket
    (``::ffff:192.0.2.10``) is the IPv4 address. ValueError when it is not one."""
    address = ipaddress.ip_address(raw)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def _address(raw: str, what: str) -> str:
    try:
        return normalised_address(raw)
    except ValueError:
        raise LineError(f"{what} {_show(raw)} is not an IP address") from None


# --- JSON ------------------------------------------------------------------------------------------------------


def _optional_text(data: dict, name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise LineError(f'"{name}" must be a string')
    if len(value) > _LENGTHS[name]:
        raise LineError(f'"{name}" is longer than {_LENGTHS[name]} characters')
    if not value.isprintable():
        raise LineError(f'"{name}" contains control characters')
    return value.strip()


def record_from_json(data: object) -> MailAuthRecord:
    """One event of the JSON format (``JSON_FIELDS``) checked field by field, so that a sender's mistake is
    refused with the field's name instead of being stored half right."""
    if not isinstance(data, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(data), "a number")
        raise LineError(f"an event must be a JSON object, not {kind}")
    unknown = sorted(str(key) for key in data if key not in JSON_FIELDS)
    if unknown:
        raise LineError(f"unknown field {_show(unknown[0])} (the fields are: {', '.join(JSON_FIELDS)})")
    for name in _REQUIRED:
        if data.get(name) is None:
            raise LineError(f'missing required field "{name}"')

    event_id = data["id"]
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= 64 or not event_id.isprintable():
        raise LineError('"id" must be a string of 1 to 64 printable characters')

    at = data["at"]
    parsed = None
    if isinstance(at, str) and len(at) <= 64:
        try:
            parsed = datetime.fromisoformat(at)
        except ValueError:
            parsed = None
    if parsed is None or parsed.utcoffset() is None:
        raise LineError(f'"at" is not an ISO 8601 time with a UTC offset: {_show(at)}')

    outcome = data["outcome"]
    if outcome not in (SUCCESS, FAILURE):
        raise LineError(f'"outcome" must be "success" or "failure", not {_show(outcome)}')
    protocol = data["protocol"]
    if protocol not in PROTOCOLS:
        raise LineError(f'"protocol" must be one of {", ".join(PROTOCOLS)}, not {_show(protocol)}')

    ip = data.get("ip")
    if ip is not None and not isinstance(ip, str):
        raise LineError('"ip" must be a string')
    ip = _address(ip.strip(), '"ip"') if ip and ip.strip() else None
    login = _optional_text(data, "login")
    if not login and ip is None:
        raise LineError('an event needs "login" or "ip" (or both)')
    pwhash = _optional_text(data, "pwhash").lower()
    if pwhash and not re.fullmatch(r"[0-9a-f]+", pwhash):
        raise LineError('"pwhash" must be hexadecimal')

    return MailAuthRecord(
        event_id=event_id,
        at=_utc(parsed, at),
        outcome=outcome,
        protocol=protocol,
        identifier=login,
        ip=ip,
        session=_optional_text(data, "session"),
        reason=_optional_text(data, "reason"),
        device=_optional_text(data, "device"),
        pwhash=pwhash,
    )


# --- Time stamps -----------------------------------------------------------------------------------------------

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_ISO_STAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})(?:[.,](?P<frac>\d{1,9}))?"
    r"(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)? "
)
_BSD_STAMP = re.compile(
    r"(?P<month>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) (?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,9}))? "
)


def _microseconds(frac: str | None) -> int:
    return int((frac or "0")[:6].ljust(6, "0"))


def _iso_time(match: re.Match, zone: tzinfo) -> datetime:
    offset = match["offset"]
    if offset == "Z":
        offset = "+00:00"
    elif offset:
        digits = offset[1:].replace(":", "")
        offset = f"{offset[0]}{digits[:2]}:{digits[2:] or '00'}"
    try:
        moment = datetime.fromisoformat(f"{match['date']}T{match['time']}{offset or ''}")
    except ValueError:
        raise LineError(f"time {_show(match.group().strip())} is not a valid date and time") from None
    moment = moment.replace(microsecond=_microseconds(match["frac"]))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _syslog_time(match: re.Match, now: datetime, zone: tzinfo) -> datetime:
    """A time without a year is in the last twelve months: this year, unless that is more than a day ahead of
    ``now`` (a December line read in January)."""
    stamp = match.group().strip()
    month = _MONTHS.get(match["month"])
    hour, minute, second = (int(part) for part in match["time"].split(":"))
    if month is None:
        raise LineError(f"time {_show(stamp)} has an unknown month")
    year = now.astimezone(zone).year
    for candidate_year in (year, year - 1):
        try:
            moment = datetime(
                candidate_year,
                month,
                int(match["day"]),
                hour,
                minute,
                second,
                _microseconds(match["frac"]),
                tzinfo=zone,
            )
        except ValueError:
            continue
        if moment <= now + timedelta(days=1):
            return moment
    raise LineError(f"time {_show(stamp)} is not a valid date in {year - 1} or {year}")


# --- Dovecot ---------------------------------------------------------------------------------------------------

_LOGIN_SERVICES = {"imap": "imap", "pop3": "pop3", "submission": "smtp"}
# Dovecot's own log files name the level; syslog lines do not.
_LEVEL = r"(?:(?P<level>Debug|Info|Warning|Error|Fatal|Panic): )?"
_LOGIN_LINE = re.compile(rf"(?P<service>[a-z0-9]+)-login: {_LEVEL}(?P<text>.*)")
_LOGIN_FAILED = re.compile(
    r"\(auth failed, (?P<attempts>\d{1,9}) attempts(?: in \d+ secs?)?\)(?: \(auth_failed\))?(?:: (?P<elements>.*))?$"
)
_LOGIN_OK = re.compile(r"(?:Login|Logged in): (?P<elements>.*)")
_RIP = re.compile(r"(?:^|, )rip=(?P<ip>[^,\s]*)")
_SESSION = re.compile(r"session=<(?P<session>[^<>]*)>")
_USER_BEFORE_RIP = re.compile(r"user=<(?P<user>.*)>(?:, method=[^,]*)?")
_USER_ALONE = re.compile(r"user=<(?P<user>.*?)>(?:, |$)")

_AUTH_LEVEL = re.compile(rf"auth(?:-worker)?(?:\([^()]*\))?: {_LEVEL}")
# 2.4: the request's prefix comes first, the passdb's name after the level.
_AUTH_24 = re.compile(
    r"auth(?P<worker>-worker)?\((?P<inner>[^()]*)\)(?P<tags>(?:<[^<>]*>){0,2})(?:: request \[\d+\])?: "
    rf"{_LEVEL}[\w.-]+: (?P<text>.*)"
)
# 2.3: the passdb's name and the request in parentheses, after the process's own prefixes.
_AUTH_23 = re.compile(
    r"(?:^|: )[\w.-]+\((?P<inner>[^()]*)\): "
    r"(?P<text>(?:Password mismatch|unknown user|invalid credentials|pam_authenticate\(\) failed: ).*)$"
)
_LOOKS_LIKE_IP = re.compile(r"[0-9A-Fa-f:.]*[.:][0-9A-Fa-f:.]*(?:%[\w.-]+)?")


def _login_elements(elements: str) -> tuple[str, str | None, str]:
    """User, rip and session from ``user=<…>, method=…, rip=…, lip=…, …, session=<…>``. The user name is the
    client's text, so the address and the session are the last ones on the line (the server writes them after
    the user) and the user is whatever stands before that address."""
    rips = list(_RIP.finditer(elements))
    sessions = list(_SESSION.finditer(elements))
    session = sessions[-1]["session"] if sessions else ""
    if rips:
        rip = rips[-1]
        match = _USER_BEFORE_RIP.fullmatch(elements[: rip.start()]) or _USER_ALONE.match(elements)
        return (match["user"] if match else ""), rip["ip"], session
    match = _USER_ALONE.match(elements)
    return (match["user"] if match else ""), None, session


def _dovecot_login(service: str, level: str | None, text: str) -> dict | None:
    if level not in (None, "Info"):
        return None
    failed = _LOGIN_FAILED.search(text)
    if failed:
        user, rip, session = _login_elements(failed["elements"] or "")
        return {
            "outcome": FAILURE,
            "identifier": user,
            "ip": rip,
            "session": session,
            "reason": SUMMARY_REASON,
            "attempts": max(int(failed["attempts"]), 1),
            "protocol": _LOGIN_SERVICES.get(service, ""),
        }
    success = _LOGIN_OK.match(text)
    if success:
        user, rip, session = _login_elements(success["elements"])
        return {
            "outcome": SUCCESS,
            "identifier": user,
            "ip": rip,
            "session": session,
            "protocol": _LOGIN_SERVICES.get(service, ""),
        }
    return None


def _auth_request(inner: str) -> tuple[str, str | None, str]:
    """User, address and session from the request in parentheses: ``user,ip[,sasl:mech][,master][,<session>]``
    (the user may be ``?`` when not known yet)."""
    fields = inner.split(",")
    session = ""
    while fields:
        last = fields[-1]
        if last == "" or last == "master" or last.startswith("sasl:"):
            fields.pop()
        elif last.startswith("<") and last.endswith(">"):
            session = fields.pop()[1:-1]
        else:
            break
    ip = None
    if len(fields) >= 2 and _LOOKS_LIKE_IP.fullmatch(fields[-1]):
        ip = fields.pop()
    user = ",".join(fields)
    return ("" if user == "?" else user), ip, session


def _auth_reason(text: str) -> str | None:
    """The short reason of a password check that failed, None for anything else. A passdb that hands over to
    the next one has not decided yet: the next one's line is the attempt."""
    if "- trying the next passdb" in text or "- trying the next userdb" in text:
        return None
    if text.startswith("Password mismatch"):
        return "password mismatch"
    if text.startswith("unknown user"):
        return "unknown user"
    if text.startswith("invalid credentials"):
        return "invalid credentials"
    if text.startswith("pam_authenticate() failed: "):
        detail = text.removeprefix("pam_authenticate() failed: ")
        if detail.endswith("missing?)"):
            return None  # a PAM service file missing: the server's configuration, not the person
        if "password mismatch?" in detail.lower():
            return "password mismatch"
        if detail.startswith("User not known"):
            return "unknown user"
        return f"pam_authenticate() failed: {detail}"[:200]
    return None


def _dovecot_auth(message: str) -> dict | None:
    new = _AUTH_24.fullmatch(message)
    if new and _auth_reason(new["text"]) is not None:
        level = new["level"]
        user, ip, session = _auth_request(new["inner"])
        tags = re.findall(r"<([^<>]*)>", new["tags"])
        if new["worker"] and tags and tags[0].isdigit():
            tags = tags[1:]  # a worker writes its own pid before the session
        session = tags[0] if tags else session
        text = new["text"]
        if text.startswith("unknown user") and ",sasl:" not in new["inner"]:
            return None  # no SASL mechanism: a userdb lookup (LMTP, doveadm), not a login
    else:
        old = _AUTH_23.search(message)
        if not old:
            return None
        prefix = _AUTH_LEVEL.match(message)
        level = prefix["level"] if prefix else None
        user, ip, session = _auth_request(old["inner"])
        text = old["text"]
    if level not in (None, "Info"):
        return None
    reason = _auth_reason(text)
    if reason is None:
        return None
    return {"outcome": FAILURE, "identifier": user, "ip": ip, "session": session, "reason": reason, "protocol": ""}


def _dovecot(message: str) -> dict | None:
    login = _LOGIN_LINE.fullmatch(message)
    if login:
        return _dovecot_login(login["service"], login["level"], login["text"])
    if message.startswith("auth"):
        return _dovecot_auth(message)
    return None


# --- Postfix ---------------------------------------------------------------------------------------------------

_CLIENT = r"(?P<name>[^\s\[\]]*)\[(?P<addr>[^\s\[\]]*)\](?::\d+)?"
_POSTFIX_FAILED = re.compile(
    rf"warning: {_CLIENT}: SASL (?P<method>[\w-]{{1,40}}) authentication failed(?::\s*(?P<rest>.*))?"
)
_POSTFIX_OK = re.compile(
    rf"[0-9A-Za-z]+: client={_CLIENT}, sasl_method=(?P<method>[^,\s]*), sasl_username=(?P<user>.*?)"
    r"(?:, (?:sasl_sender|orig_queue_id|orig_client)=.*)?"
)


def _postfix(message: str) -> dict | None:
    failed = _POSTFIX_FAILED.fullmatch(message)
    if failed:
        rest = failed["rest"] or ""
        _, marker, user = rest.rpartition(", sasl_username=")
        user = user if marker and user != "(unavailable)" else ""
        return {
            "outcome": FAILURE,
            "identifier": user,
            "ip": failed["addr"],
            "reason": f"SASL {failed['method']} authentication failed",
            "protocol": "smtp",
        }
    success = _POSTFIX_OK.fullmatch(message)
    if success:
        return {"outcome": SUCCESS, "identifier": success["user"], "ip": success["addr"], "protocol": "smtp"}
    return None


# --- Lines -----------------------------------------------------------------------------------------------------

_DOVECOT_SYSLOG = re.compile(r"(?:\S+ )?dovecot(?:\[\d+\])?: (?P<message>.*)")
_POSTFIX_SYSLOG = re.compile(r"(?:\S+ )?(?:[\w.-]+/)*smtpd(?:\[\d+\])?: (?P<message>.*)")
_DOVECOT_FILE = re.compile(r"(?:[a-z0-9]+-login|auth(?:-worker)?)[:(]")


def _event_id(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"l:{digest[:40]}"


def parse_line(line: str, *, now: datetime, tz: tzinfo | None = None) -> MailAuthRecord | None:
    """One line of a mail log (or one JSON event) as a record; None when it is not an authentication event.

    ``now`` places syslog times that have no year; ``tz`` is the zone of times without an offset (the current
    time zone by default). Raises only LineError, for a line that is an event but cannot be read: the caller
    reports it and goes on with the next line."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", "replace")
    text = line.strip().lstrip("\ufeff")
    if not text:
        return None
    if text.startswith("{"):
        if len(text) > MAX_LINE:
            raise LineError(f"JSON line longer than {MAX_LINE} characters")
        try:
            data = json.loads(text)
        except RecursionError:
            raise LineError("JSON line nested too deeply") from None
        except ValueError as exc:
            raise LineError(f"not valid JSON: {exc}") from None
        return record_from_json(data)
    if len(text) > MAX_LINE:
        return None
    try:
        return _parse_log_line(text, now, tz)
    except LineError:
        raise
    except Exception as exc:  # the promise is LineError only: a surprise in a line must not stop the stream
        raise LineError(f"could not read the line ({type(exc).__name__})") from exc


def _parse_log_line(text: str, now: datetime, tz: tzinfo | None) -> MailAuthRecord | None:
    stamp = _ISO_STAMP.match(text) or _BSD_STAMP.match(text)
    rest = text[stamp.end() :] if stamp else text

    fields = None
    dovecot = _DOVECOT_SYSLOG.fullmatch(rest)
    if dovecot:
        fields = _dovecot(dovecot["message"])
    else:
        postfix = _POSTFIX_SYSLOG.fullmatch(rest)
        if postfix:
            fields = _postfix(postfix["message"])
        elif _DOVECOT_FILE.match(rest):
            fields = _dovecot(rest)
    if fields is None:
        return None

    if stamp is None:
        raise LineError("authentication event without a time stamp at the start of the line")
    zone = tz if tz is not None else timezone.get_current_timezone()
    if timezone.is_naive(now):
        now = now.replace(tzinfo=zone)
    at = _iso_time(stamp, zone) if "date" in stamp.groupdict() else _syslog_time(stamp, now, zone)

    raw_ip = fields.pop("ip")
    ip = None if raw_ip in (None, "", "unknown") else _address(raw_ip, "client address")
    return MailAuthRecord(
        event_id=_event_id(text),
        at=_utc(at, stamp.group().strip()),
        ip=ip,
        identifier=fields.pop("identifier").strip()[:320],
        session=fields.pop("session", "")[:200],
        **fields,
    )


# --- Correlation -----------------------------------------------------------------------------------------------

_LINE_ID = re.compile(r"l:[0-9a-f]{40}")


class Correlator:
    """One pass over the records of one stream, in order, so that each password attempt counts once.

    - Dovecot writes each failed check in its auth process and, when the connection ends, a summary with the
      number of attempts. The summary of a session whose checks were seen counts only the attempts that were
      not (none, usually: it is dropped); without auth_verbose it is the only trace and keeps its count.
    - Postfix asks Dovecot's SASL service: its failure and Dovecot's line without a session from the same
      address, within 5 seconds, are one attempt. Postfix usually writes second (Dovecot delays its answer):
      its line is dropped. Written first, it stays, and Dovecot's line is dropped only if Postfix's had the
      user name (otherwise both stay, so that the user is counted).
    - Identical lines (one connection failing twice in the same second) share an event id; the repeats get
      ``:2``, ``:3``… so that storing them does not merge them. The numbering restarts with each new time, so a
      file read again gives the same ids again.

    - Dovecot 2.3's auth line does not say which protocol it checked for: the attempt is held back until its
      session's summary or login line, which does, and then released with that protocol. Attempts still held when
      their session is forgotten, or at ``flush`` (end of input, or before a batch is stored), go out without one.

    Only records made from log lines (``l:`` ids) are correlated; JSON events pass as they are. Memory is bounded:
    sessions are kept 5 minutes of log time (Dovecot's login timeout is 3), addresses 5 seconds, at most
    ``max_entries`` of each."""

    session_horizon = timedelta(minutes=5)
    postfix_window = timedelta(seconds=5)

    def __init__(self, *, max_entries: int = 10_000):
        self.max_entries = max_entries
        self._clock: datetime | None = None
        self._sessions: OrderedDict[str, tuple[datetime, int]] = OrderedDict()
        self._dovecot_by_ip: OrderedDict[str, deque[datetime]] = OrderedDict()
        self._postfix_by_ip: OrderedDict[str, deque[tuple[datetime, bool]]] = OrderedDict()
        self._repeat_at: datetime | None = None
        self._repeats: dict[str, int] = {}
        self._held: OrderedDict[str, list[MailAuthRecord]] = OrderedDict()  # attempts waiting for their protocol
        self._released: list[MailAuthRecord] = []

    def feed(self, record: MailAuthRecord) -> list[MailAuthRecord]:
        if not _LINE_ID.fullmatch(record.event_id):
            return [record]
        record = self._numbered(record)
        self._advance(record.at)
        kept = self._correlate(record)
        released, self._released = self._released, []
        return released + kept

    def state(self) -> dict:
        """What the next reading of the same log must remember (JSON): the sessions whose attempts were counted,
        so that a summary read in the next run is not counted again, and the numbering of identical lines. The
        attempts held back are not in it: ``flush`` them before."""
        return {
            "clock": self._clock.isoformat() if self._clock else None,
            "sessions": [[session, at.isoformat(), seen] for session, (at, seen) in self._sessions.items()],
            "repeat_at": self._repeat_at.isoformat() if self._repeat_at else None,
            "repeats": dict(self._repeats),
        }

    @classmethod
    def resumed(cls, state: dict | None, *, max_entries: int = 10_000) -> "Correlator":
        """A correlator that goes on from ``state()``; a fresh one for anything unreadable."""
        correlator = cls(max_entries=max_entries)
        try:
            correlator._clock = datetime.fromisoformat(state["clock"]) if state["clock"] else None
            for session, at, seen in state["sessions"][-max_entries:]:
                correlator._sessions[str(session)] = (datetime.fromisoformat(at), int(seen))
            correlator._repeat_at = datetime.fromisoformat(state["repeat_at"]) if state["repeat_at"] else None
            correlator._repeats = {str(key): int(count) for key, count in state["repeats"].items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            return cls(max_entries=max_entries)
        return correlator

    def flush(self) -> list[MailAuthRecord]:
        """The attempts still held back, without their protocol."""
        held = [record for records in self._held.values() for record in records]
        self._held.clear()
        return held

    def _correlate(self, record: MailAuthRecord) -> list[MailAuthRecord]:
        if record.outcome == SUCCESS:
            self._sessions.pop(record.session, None)
            return self._unhold(record.session, record.protocol) + [record]
        if record.reason == SUMMARY_REASON and record.session:
            return self._unhold(record.session, record.protocol) + self._summary(record)
        if record.protocol == "" and record.reason != SUMMARY_REASON:
            return self._attempt(record)
        if record.protocol == "smtp" and record.reason.startswith("SASL ") and record.ip:
            return self._postfix(record)
        return [record]

    def _unhold(self, session: str, protocol: str) -> list[MailAuthRecord]:
        return [replace(record, protocol=protocol) for record in self._held.pop(session, [])] if session else []

    def _numbered(self, record: MailAuthRecord) -> MailAuthRecord:
        if record.at != self._repeat_at or len(self._repeats) >= self.max_entries:
            self._repeat_at = record.at
            self._repeats.clear()
        seen = self._repeats.get(record.event_id, 0) + 1
        self._repeats[record.event_id] = seen
        return record if seen == 1 else replace(record, event_id=f"{record.event_id}:{seen}")

    def _summary(self, record: MailAuthRecord) -> list[MailAuthRecord]:
        _, seen = self._sessions.pop(record.session, (None, 0))
        if seen == 0:
            return [record]
        if seen >= record.attempts:
            return []
        return [replace(record, attempts=record.attempts - seen)]

    def _attempt(self, record: MailAuthRecord) -> list[MailAuthRecord]:
        if record.session:
            _, seen = self._sessions.pop(record.session, (None, 0))
            self._sessions[record.session] = (record.at, seen + 1)
            self._trim(self._sessions)
            self._held.setdefault(record.session, []).append(record)
            while len(self._held) > self.max_entries:
                self._released.extend(self._held.popitem(last=False)[1])
            return []
        if record.ip is None:
            return [record]
        earlier = self._take(self._postfix_by_ip, record.ip, record.at, lambda entry: entry[0])
        if earlier is not None:
            return [] if earlier[1] else [record]
        self._remember(self._dovecot_by_ip, record.ip, record.at)
        return [record]

    def _postfix(self, record: MailAuthRecord) -> list[MailAuthRecord]:
        if self._take(self._dovecot_by_ip, record.ip, record.at, lambda entry: entry) is not None:
            return []
        self._remember(self._postfix_by_ip, record.ip, (record.at, bool(record.identifier)))
        return [record]

    def _take(self, by_ip: OrderedDict, ip: str, at: datetime, when):
        """The oldest entry for this address within the window of ``at``, removed; None if there is none."""
        entries = by_ip.get(ip)
        if not entries:
            return None
        for index, entry in enumerate(entries):
            if abs(at - when(entry)) <= self.postfix_window:
                del entries[index]
                if not entries:
                    del by_ip[ip]
                return entry
        return None

    def _remember(self, by_ip: OrderedDict, ip: str, entry) -> None:
        entries = by_ip.pop(ip, None)
        if entries is None:
            entries = deque(maxlen=64)
        entries.append(entry)
        by_ip[ip] = entries
        self._trim(by_ip)

    def _trim(self, mapping: OrderedDict) -> None:
        while len(mapping) > self.max_entries:
            mapping.popitem(last=False)

    def _advance(self, at: datetime) -> None:
        """Forget what is too old to pair with anything still to come. Each map is ordered by last update."""
        if self._clock is None or at > self._clock:
            self._clock = at
        sessions_before = self._clock - self.session_horizon
        while self._sessions and next(iter(self._sessions.values()))[0] < sessions_before:
            session, _ = self._sessions.popitem(last=False)
            self._released.extend(self._held.pop(session, []))
        while self._held and next(iter(self._held.values()))[-1].at < sessions_before:
            self._released.extend(self._held.popitem(last=False)[1])
        addresses_before = self._clock - self.postfix_window
        for by_ip, when in ((self._dovecot_by_ip, lambda e: e), (self._postfix_by_ip, lambda e: e[0])):
            while by_ip:
                entries = next(iter(by_ip.values()))
                while entries and when(entries[0]) < addresses_before:
                    entries.popleft()
                if entries:
                    break
                by_ip.popitem(last=False)
