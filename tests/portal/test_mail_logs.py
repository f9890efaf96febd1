"""Mail-server log lines read as authentication records (portal/identity/mail_logs.py): each format Dovecot 2.3,
Dovecot 2.4 and Postfix write, the JSON events, the time stamps, and the Correlator that keeps one attempt from
counting twice. No database: the module is pure parsing."""

import json
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from portal.identity.mail_logs import (
    JSON_FIELDS,
    Correlator,
    LineError,
    MailAuthRecord,
    parse_line,
    record_from_json,
)

NOW = datetime(2026, 12, 4, 19, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
SESSION = "Vb6tLZ0H4OnAqAAC"


def parse(line: str, *, now: datetime = NOW, tz=UTC) -> MailAuthRecord | None:
    return parse_line(line, now=now, tz=tz)


def summary(record: MailAuthRecord) -> tuple:
    return (record.outcome, record.protocol, record.identifier, record.ip, record.session, record.reason)


# --- Dovecot 2.3: login processes ------------------------------------------------------------------------------


def test_a_dovecot_23_summary_of_failed_attempts_is_one_failure_that_counts_them():
    record = parse(
        "Dec 04 18:53:17 imap-login: Info: Disconnected: Connection closed (auth failed, 2 attempts in 5 secs): "
        f"user=<marie.dupont>, method=PLAIN, rip=192.0.2.10, lip=192.0.2.1, TLS, session=<{SESSION}>"
    )
    assert summary(record) == ("failure", "imap", "marie.dupont", "192.0.2.10", SESSION, "auth failed")
    assert record.attempts == 2
    assert record.at == datetime(2026, 12, 4, 18, 53, 17, tzinfo=UTC)


def test_the_syslog_forms_of_a_dovecot_line_read_the_same():
    tail = (
        "pop3-login: Aborted login (auth failed, 1 attempts in 2 secs): user=<marie.dupont>, method=PLAIN, "
        f"rip=192.0.2.10, lip=192.0.2.1, session=<{SESSION}>"
    )
    expected = ("failure", "pop3", "marie.dupont", "192.0.2.10", SESSION, "auth failed")
    for prefix in ("Dec  4 18:43:33 mail1 dovecot: ", "Dec 04 18:43:33 mail1 dovecot[123]: ", "Dec 04 18:43:33 "):
        record = parse(prefix + tail)
        assert summary(record) == expected, prefix
        assert record.at == datetime(2026, 12, 4, 18, 43, 33, tzinfo=UTC)


def test_a_dovecot_login_is_a_success():
    record = parse(
        "Dec  4 18:43:41 mail1 dovecot: imap-login: Login: user=<marie.dupont>, method=PLAIN, rip=192.0.2.10, "
        f"lip=192.0.2.1, mpid=4242, TLS, session=<{SESSION}>"
    )
    assert summary(record) == ("success", "imap", "marie.dupont", "192.0.2.10", SESSION, "")


@pytest.mark.parametrize(
    ("process", "protocol"),
    [("imap-login", "imap"), ("pop3-login", "pop3"), ("submission-login", "smtp"), ("managesieve-login", "")],
)
def test_the_protocol_is_the_login_process(process, protocol):
    record = parse(
        f"Aug 29 03:17:18 mail1 dovecot: {process}: Disconnected: Connection closed (auth failed, 1 attempts in "
        "2 secs): user=<marie.dupont>, method=LOGIN, rip=192.0.2.10, lip=192.0.2.1"
    )
    assert record.protocol == protocol
    assert record.outcome == "failure"


def test_a_summary_without_a_user_has_an_empty_identifier():
    record = parse(
        "Jun 14 00:48:21 mail1 dovecot: imap-login: Disconnected (auth failed, 1 attempts): method=PLAIN, "
        "rip=192.0.2.10, lip=192.0.2.1, TLS: Disconnected"
    )
    assert (record.identifier, record.ip, record.session) == ("", "192.0.2.10", "")


def test_the_address_is_the_servers_not_one_typed_in_the_user_name():
    record = parse(
        "Dec  4 18:43:33 mail1 dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): "
        "user=<x>, rip=203.0.113.9, session=<fake>>, method=PLAIN, rip=192.0.2.10, lip=192.0.2.1, "
        f"session=<{SESSION}>"
    )
    assert record.ip == "192.0.2.10"
    assert record.session == SESSION
    assert record.identifier == "x>, rip=203.0.113.9, session=<fake>"


@pytest.mark.parametrize(
    "ending",
    [
        "Disconnected (no auth attempts in 10 secs): user=<>, rip=192.0.2.10, lip=192.0.2.1, TLS handshaking",
        "Aborted login (tried to use disallowed plaintext auth): user=<marie>, rip=192.0.2.10, lip=192.0.2.1",
        "Disconnected (authorization failed, 1 attempts in 2 secs): user=<marie>, rip=192.0.2.10",
        "Disconnected (proxy dest auth failed): user=<marie>, method=PLAIN, rip=192.0.2.10, lip=192.0.2.1",
        "Disconnected (client didn't finish SASL auth, waited 2 secs): user=<>, method=PLAIN, rip=192.0.2.10",
        "Error: Disconnected (auth failed, 1 attempts in 2 secs): user=<marie>, rip=192.0.2.10",
    ],
)
def test_other_endings_of_a_login_connection_are_not_authentication_events(ending):
    assert parse(f"Dec  4 18:43:33 mail1 dovecot: imap-login: {ending}") is None


def test_a_bad_address_on_an_authentication_line_is_an_error_that_shows_it():
    with pytest.raises(LineError, match="999.1.1.1"):
        parse(
            "Dec  4 18:43:33 mail1 dovecot: imap-login: Login: user=<marie>, method=PLAIN, rip=999.1.1.1, lip=192.0.2.1"
        )


# --- Dovecot 2.4: login processes ------------------------------------------------------------------------------


def test_a_dovecot_24_login_aborted_line_is_a_failure_with_its_attempts():
    record = parse(
        "Dec 04 18:43:33 imap-login: Info: Login aborted: Connection closed (auth failed, 3 attempts in 16 secs) "
        f"(auth_failed): user=<marie.dupont>, method=PLAIN, rip=192.0.2.10, lip=192.0.2.1, TLS, session=<{SESSION}>"
    )
    assert summary(record) == ("failure", "imap", "marie.dupont", "192.0.2.10", SESSION, "auth failed")
    assert record.attempts == 3


def test_a_dovecot_24_logged_in_line_is_a_success():
    record = parse(
        "Dec  4 18:43:33 mail1 dovecot: pop3-login: Logged in: user=<marie.dupont>, method=PLAIN, rip=192.0.2.10, "
        f"lip=192.0.2.1, mpid=4242, TLS, session=<{SESSION}>"
    )
    assert summary(record) == ("success", "pop3", "marie.dupont", "192.0.2.10", SESSION, "")


def test_a_dovecot_24_connection_without_attempts_is_not_an_event():
    assert (
        parse(
            "Dec  4 18:43:33 mail1 dovecot: imap-login: Login aborted: Connection closed (no auth attempts in 1 "
            "secs) (no_auth_attempts): user=<>, rip=192.0.2.10, lip=192.0.2.1, session=<qMLsbvY8PLSkXGoP>"
        )
        is None
    )


# --- Dovecot: the auth process ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason", "session"),
    [
        (
            f"Dec 04 18:53:12 auth: Info: passwd-file(marie.dupont,192.0.2.10,<{SESSION}>): Password mismatch",
            "password mismatch",
            SESSION,
        ),
        (
            f"Dec  4 18:53:12 mail1 dovecot: auth: ldap(marie.dupont,192.0.2.10,<{SESSION}>): unknown user",
            "unknown user",
            SESSION,
        ),
        (
            f"Dec  4 18:53:12 mail1 dovecot: auth: sql(marie.dupont,192.0.2.10,<{SESSION}>): Password mismatch",
            "password mismatch",
            SESSION,
        ),
        (
            f"Dec 04 18:53:12 auth-worker(1234): Info: pam(marie.dupont,192.0.2.10,<{SESSION}>): pam_authenticate() "
            "failed: Authentication failure (password mismatch?)",
            "password mismatch",
            SESSION,
        ),
        (
            "Dec 04 18:53:12 auth-worker(57065): Info: conn unix:auth-worker (uid=143): auth-worker<225622>: "
            "sql(marie.dupont,192.0.2.10): Password mismatch",
            "password mismatch",
            "",
        ),
        (
            "Dec 04 18:53:12 auth: Info: ldap(marie.dupont,192.0.2.10,): invalid credentials",
            "invalid credentials",
            "",
        ),
        (
            f"Dec 04 18:53:12 auth(marie.dupont,192.0.2.10,sasl:plain)<{SESSION}>: Info: passwd-file: "
            "Password mismatch",
            "password mismatch",
            SESSION,
        ),
        (
            f"Dec  4 18:53:12 mail1 dovecot: auth(marie.dupont,192.0.2.10,sasl:login)<{SESSION}>: sql: unknown user",
            "unknown user",
            SESSION,
        ),
        (
            f"Dec 04 18:53:12 auth-worker(marie.dupont,192.0.2.10,sasl:plain)<4321><{SESSION}>: request [7]: Info: "
            "pam: pam_authenticate() failed: Authentication failure (password mismatch?)",
            "password mismatch",
            SESSION,
        ),
        (
            f"Dec 04 18:53:12 auth: Info: passwd-file(marie.dupont,192.0.2.10,sasl:plain,<{SESSION}>): "
            "Password mismatch",
            "password mismatch",
            SESSION,
        ),
    ],
)
def test_each_failed_password_check_of_the_auth_process_is_a_failure(line, reason, session):
    record = parse(line)
    assert summary(record) == ("failure", "", "marie.dupont", "192.0.2.10", session, reason)
    assert record.attempts == 1


def test_a_password_written_on_the_line_is_never_kept():
    record = parse(
        f"Dec 04 18:53:12 auth(marie.dupont,192.0.2.10,sasl:plain)<{SESSION}>: Info: passwd-file: "
        "Password mismatch (given password: Cheval-Agrafe-99)"
    )
    assert record.reason == "password mismatch"
    assert "Cheval" not in repr(record)
    hashed = parse(
        f"Dec 04 18:53:12 auth: Info: passwd-file(marie.dupont,192.0.2.10,<{SESSION}>): Password mismatch "
        "(SHA1 of given password: d7ba6ef6)"
    )
    assert "d7ba6ef6" not in repr(hashed)


def test_an_auth_line_of_a_request_without_a_known_user_or_address():
    record = parse(f"Dec 04 18:53:12 auth: Info: passwd-file(?,<{SESSION}>): unknown user")
    assert (record.identifier, record.ip, record.session) == ("", None, SESSION)


@pytest.mark.parametrize(
    "line",
    [
        # the first passdb hands over: the next one's line is the attempt
        "Dec 04 18:53:12 auth: Info: passwd-file(marie,192.0.2.10,<s1>): unknown user (SHA1 of given password: "
        "11f6ad8e) - trying the next passdb",
        # PAM's configuration is missing: the server's problem, not a password
        "Dec 04 18:53:12 auth-worker(12): Error: pam(marie,192.0.2.10): pam_authenticate() failed: Authentication "
        "failure (/etc/pam.d/dovecot missing?)",
        # 2.4, no SASL mechanism: a userdb lookup (LMTP delivery to an unknown address)
        "Dec 04 18:53:12 auth(nobody@example.org,192.0.2.25)<lmtp1>: Info: passwd-file: unknown user",
        "Dec 04 18:53:12 auth: Debug: passwd-file(marie,192.0.2.10,<s1>): Password mismatch",
        "Dec 04 18:53:12 auth: Info: passwd-file(marie,192.0.2.10,<s1>): No password returned (and no nopassword)",
        "Dec 04 18:53:41 imap(marie)<8804><b0kiZNNh7It/AAAB>: Info: Disconnected: Logged out in=12 out=477",
        "Dec 04 18:53:11 master: Info: Dovecot v2.3.19.1 (9b53102964) starting up for imap",
    ],
)
def test_other_auth_and_dovecot_lines_are_not_events(line):
    assert parse(line) is None


# --- Postfix ---------------------------------------------------------------------------------------------------


def test_a_postfix_sasl_failure_without_a_user_counts_for_its_source():
    record = parse(
        "Dec  4 18:43:35 mail1 postfix/submission/smtpd[1234]: warning: unknown[192.0.2.10]: SASL LOGIN "
        "authentication failed: UGFzc3dvcmQ6"
    )
    assert summary(record) == ("failure", "smtp", "", "192.0.2.10", "", "SASL LOGIN authentication failed")


def test_a_postfix_failure_from_ipv6_has_the_normalised_address():
    record = parse(
        "Dec  4 18:43:35 mail1 postfix/smtpd[99]: warning: mail.example.org[2001:0db8:0:0::5]: SASL PLAIN "
        "authentication failed: authentication failure"
    )
    assert record.ip == "2001:db8::5"
    assert record.reason == "SASL PLAIN authentication failed"


def test_an_ipv4_client_through_an_ipv6_socket_is_the_ipv4_address():
    record = parse(
        "Dec  4 18:43:35 mail1 postfix/smtpd[99]: warning: unknown[::ffff:192.0.2.10]: SASL PLAIN authentication "
        "failed: authentication failure"
    )
    assert record.ip == "192.0.2.10"


def test_newer_postfix_names_the_user_of_a_failure():
    line = (
        "Dec  4 18:43:35 mail1 postfix/submission/smtpd[1234]: warning: unknown[192.0.2.10]:55729: SASL PLAIN "
        "authentication failed: (reason unavailable), sasl_username=marie.dupont"
    )
    assert parse(line).identifier == "marie.dupont"
    assert parse(line.replace("marie.dupont", "(unavailable)")).identifier == ""


def test_a_postfix_failure_with_an_empty_reason_is_still_a_failure():
    record = parse(
        "Dec  4 18:43:35 mail1 postfix/smtpd[9]: warning: unknown[192.0.2.10]: SASL PLAIN authentication failed:"
    )
    assert record.outcome == "failure"


def test_a_postfix_message_from_an_authenticated_client_is_a_success():
    record = parse(
        "Dec  4 18:43:36 mail1 postfix/submission/smtpd[1234]: 4F3xyzQ1: client=unknown[192.0.2.10], "
        "sasl_method=PLAIN, sasl_username=marie.dupont"
    )
    assert summary(record) == ("success", "smtp", "marie.dupont", "192.0.2.10", "", "")


@pytest.mark.parametrize(
    "message",
    [
        "4F3xyzQ1: client=unknown[192.0.2.10]",
        "warning: unknown[192.0.2.10]: SASL LOGIN authentication aborted",
        "warning: SASL authentication failure: Password verification failed",
        "NOQUEUE: reject: RCPT from unknown[192.0.2.10]: 554 5.7.1 Relay access denied",
        "connect from unknown[192.0.2.10]",
    ],
)
def test_other_postfix_lines_are_not_events(message):
    assert parse(f"Dec  4 18:43:35 mail1 postfix/smtpd[1234]: {message}") is None


def test_a_postfix_line_with_a_bad_address_is_an_error():
    with pytest.raises(LineError, match="not an IP address"):
        parse(
            "Dec  4 18:43:35 mail1 postfix/smtpd[1]: warning: unknown[192.0.2.300]: SASL LOGIN authentication "
            "failed: UGFzc3dvcmQ6"
        )


# --- Time stamps -----------------------------------------------------------------------------------------------

POSTFIX_FAILURE = "mail1 postfix/smtpd[1]: warning: unknown[192.0.2.10]: SASL LOGIN authentication failed: x"


def test_a_december_line_read_on_new_years_day_is_from_the_previous_year():
    record = parse(f"Dec 31 23:59:59 {POSTFIX_FAILURE}", now=datetime(2027, 1, 1, 0, 0, 30, tzinfo=UTC))
    assert record.at == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)


def test_a_syslog_time_up_to_a_day_ahead_is_this_year_and_beyond_is_last_year():
    assert parse(f"Dec  5 18:00:00 {POSTFIX_FAILURE}").at.year == 2026
    assert parse(f"Dec  6 20:00:00 {POSTFIX_FAILURE}").at.year == 2025


def test_the_year_is_the_one_of_the_log_time_zone():
    # 00:30 in Paris on New Year's Day is still 2026 in UTC: the line is from the new year, not a year ago
    now = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    record = parse(f"Jan  1 00:20:00 {POSTFIX_FAILURE}", now=now, tz=PARIS)
    assert record.at == datetime(2026, 12, 31, 23, 20, tzinfo=UTC)


def test_a_paris_time_is_converted_to_utc_in_winter_and_summer():
    assert parse(f"Dec  4 18:43:33 {POSTFIX_FAILURE}", tz=PARIS).at == datetime(2026, 12, 4, 17, 43, 33, tzinfo=UTC)
    assert parse(f"Jul  1 12:00:00 {POSTFIX_FAILURE}", tz=PARIS).at == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def test_without_a_zone_the_current_time_zone_is_used():
    with timezone.override(PARIS):
        record = parse_line(f"Dec  4 18:43:33 {POSTFIX_FAILURE}", now=NOW)
    assert record.at == datetime(2026, 12, 4, 17, 43, 33, tzinfo=UTC)


def test_a_naive_now_is_taken_in_the_log_zone():
    record = parse_line(f"Dec 31 23:59:59 {POSTFIX_FAILURE}", now=datetime(2027, 1, 1, 0, 0), tz=PARIS)
    assert record.at == datetime(2026, 12, 31, 22, 59, 59, tzinfo=UTC)


def test_rfc_3339_times_keep_their_offset_and_fraction():
    record = parse(f"2026-12-04T18:43:33.123456+01:00 {POSTFIX_FAILURE}", tz=ZoneInfo("America/New_York"))
    assert record.at == datetime(2026, 12, 4, 17, 43, 33, 123456, tzinfo=UTC)
    assert parse(f"2026-12-04T18:43:33Z {POSTFIX_FAILURE}").at == datetime(2026, 12, 4, 18, 43, 33, tzinfo=UTC)


def test_an_iso_time_without_offset_is_in_the_log_zone():
    record = parse(
        "2026-08-11 03:56:40 auth-worker(default): Info: pam(marie,192.0.2.10): pam_authenticate() failed: "
        "Authentication failure (password mismatch?)",
        tz=PARIS,
    )
    assert record.at == datetime(2026, 8, 11, 1, 56, 40, tzinfo=UTC)


def test_an_impossible_date_is_an_error_on_an_event_and_ignored_elsewhere():
    with pytest.raises(LineError, match="Feb 30"):
        parse(f"Feb 30 10:00:00 {POSTFIX_FAILURE}")
    with pytest.raises(LineError, match="not a valid date"):
        parse(f"2026-13-40T10:00:00Z {POSTFIX_FAILURE}")
    with pytest.raises(LineError, match="out of range"):
        parse(f"9999-12-31T23:30:00-01:00 {POSTFIX_FAILURE}")
    assert parse("Feb 30 10:00:00 mail1 postfix/smtpd[1]: connect from unknown[192.0.2.10]") is None


def test_an_event_without_a_time_is_an_error():
    with pytest.raises(LineError, match="time stamp"):
        parse("imap-login: Info: Login: user=<marie>, method=PLAIN, rip=192.0.2.10, lip=192.0.2.1")


# --- Event ids, garbage ----------------------------------------------------------------------------------------


def test_the_event_id_is_stable_and_comes_from_the_line():
    line = f"Dec  4 18:43:33 {POSTFIX_FAILURE}"
    first = parse(line)
    assert first.event_id == parse(line + "\r\n").event_id == parse("  " + line).event_id
    assert first.event_id.startswith("l:")
    assert len(first.event_id) <= 64
    assert parse(line.replace("18:43:33", "18:43:34")).event_id != first.event_id


@pytest.mark.parametrize(
    "line",
    [
        "",
        "   \t ",
        "hello world",
        "Dec  4 18:43:33",
        "Dec  4 18:43:33 mail1 kernel: [1234.5678] eth0: link up",
        "\x00\x01\x02\xff\xfe garbage \x1b[31m",
        "Dec  4 18:43:33 mail1 dovecot: imap-login: \udcff\udcfe Login",
        "(auth failed, 1 attempts in 2 secs): user=<x>, rip=192.0.2.10",
    ],
)
def test_lines_that_are_not_events_give_none(line):
    assert parse(line) is None


def test_a_line_longer_than_8_kb_is_not_read():
    line = f"Dec  4 18:43:35 {POSTFIX_FAILURE}" + "x" * 9000
    assert parse(line) is None
    with pytest.raises(LineError, match="longer than"):
        parse('{"id": "' + "x" * 9000 + '"}')


def test_a_lone_surrogate_in_an_event_does_not_break_the_id():
    line = f"Dec  4 18:43:35 {POSTFIX_FAILURE}\udcff"
    assert parse(line).event_id.startswith("l:")
    assert parse(line).event_id != parse(line.replace("\udcff", "?")).event_id


def test_mangled_lines_raise_nothing_but_line_error():
    samples = [
        f"Dec  4 18:43:33 mail1 dovecot: imap-login: Login aborted: Connection closed (auth failed, 3 attempts in "
        f"16 secs) (auth_failed): user=<marie>, method=PLAIN, rip=192.0.2.10, lip=192.0.2.1, session=<{SESSION}>",
        f"Dec 04 18:53:12 auth-worker(m,192.0.2.10,sasl:plain)<43><{SESSION}>: request [7]: Info: pam: "
        "pam_authenticate() failed: Authentication failure (password mismatch?)",
        f"Dec 04 18:53:12 auth: Info: passwd-file(marie,2001:db8::5,master,<{SESSION}>): Password mismatch",
        "Dec  4 18:43:36 mail1 postfix/submission/smtpd[1234]: 4F3: client=unknown[192.0.2.10], sasl_method=PLAIN, "
        "sasl_username=marie",
        '{"id": "e1", "at": "2026-12-04T09:15:02+01:00", "outcome": "failure", "protocol": "imap", "ip": "::1"}',
    ]
    alphabet = "<>(),:=[]{}\"' \\\x00\udcff0123456789abcdef.ZT+-"
    rng = random.Random(20261204)  # noqa: S311 - a repeatable fuzz, not a secret
    for _ in range(3000):
        chars = list(rng.choice(samples))
        for _ in range(rng.randint(1, 6)):
            position = rng.randrange(len(chars))
            action = rng.random()
            if action < 0.4:
                del chars[position]
            elif action < 0.8:
                chars.insert(position, rng.choice(alphabet))
            else:
                chars[position] = rng.choice(alphabet)
        try:
            result = parse("".join(chars))
        except LineError as error:
            assert str(error)
        else:
            assert result is None or isinstance(result, MailAuthRecord)


# --- JSON ------------------------------------------------------------------------------------------------------

EVENT = {
    "id": "webmail-8c1f",
    "at": "2026-12-04T09:15:02.123+01:00",
    "outcome": "failure",
    "protocol": "webmail",
    "login": " marie.dupont ",
    "ip": "2001:db8:0::10",
    "session": "s-42",
    "device": "roundcube-7",
    "pwhash": "AB12cd",
    "reason": "password mismatch",
}


def test_a_json_event_is_read_field_by_field():
    record = record_from_json(EVENT)
    assert record == MailAuthRecord(
        event_id="webmail-8c1f",
        at=datetime(2026, 12, 4, 8, 15, 2, 123000, tzinfo=UTC),
        outcome="failure",
        protocol="webmail",
        identifier="marie.dupont",
        ip="2001:db8::10",
        session="s-42",
        reason="password mismatch",
        device="roundcube-7",
        pwhash="ab12cd",
    )


def test_a_json_line_is_read_as_a_json_event_with_its_own_id():
    record = parse(json.dumps(EVENT))
    assert record.event_id == "webmail-8c1f"
    assert record.at.tzinfo == UTC


def test_a_json_event_needs_only_the_required_fields_and_login_or_ip():
    minimal = {"id": "1", "at": "2026-12-04T08:15:02Z", "outcome": "success", "protocol": "imap"}
    assert record_from_json({**minimal, "ip": "192.0.2.10"}).identifier == ""
    assert record_from_json({**minimal, "login": "marie", "session": None}).ip is None
    with pytest.raises(LineError, match='"login" or "ip"'):
        record_from_json(minimal)


def test_the_json_format_is_documented_field_by_field():
    assert set(JSON_FIELDS) == set(EVENT)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": None}, 'missing required field "id"'),
        ({"at": None}, 'missing required field "at"'),
        ({"outcome": None}, 'missing required field "outcome"'),
        ({"protocol": None}, 'missing required field "protocol"'),
        ({"user": "marie"}, 'unknown field "user"'),
        ({"ip": "192.0.2.300"}, '"ip" "192.0.2.300" is not an IP address'),
        ({"ip": 3232235777}, '"ip" must be a string'),
        ({"at": "2026-12-04T09:15:02"}, '"at" is not an ISO 8601 time with a UTC offset'),
        ({"at": "yesterday"}, '"at" is not an ISO 8601 time with a UTC offset'),
        ({"at": 1733303702}, '"at" is not an ISO 8601 time with a UTC offset'),
        ({"at": "0001-01-01T00:30:00+01:00"}, 'time "0001-01-01T00:30:00+01:00" is out of range'),
        ({"outcome": "failed"}, '"outcome" must be "success" or "failure"'),
        ({"protocol": "ftp"}, '"protocol" must be one of imap, pop3, smtp, webmail'),
        ({"id": ""}, '"id" must be a string of 1 to 64 printable characters'),
        ({"id": "x" * 65}, '"id" must be a string of 1 to 64 printable characters'),
        ({"id": 42}, '"id" must be a string of 1 to 64 printable characters'),
        ({"login": "m" * 321}, '"login" is longer than 320 characters'),
        ({"login": 7}, '"login" must be a string'),
        ({"session": "s" * 201}, '"session" is longer than 200 characters'),
        ({"device": "d\nx"}, '"device" contains control characters'),
        ({"pwhash": "not-hex"}, '"pwhash" must be hexadecimal'),
        ({"pwhash": "a" * 129}, '"pwhash" is longer than 128 characters'),
        ({"reason": "r" * 201}, '"reason" is longer than 200 characters'),
    ],
)
def test_a_bad_json_event_is_refused_with_the_fields_name(change, message):
    event = {**EVENT, **change}
    event = {key: value for key, value in event.items() if not (key in change and value is None)}
    with pytest.raises(LineError) as refused:
        record_from_json(event)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("data", "kind"), [([EVENT], "an array"), ("event", "a string"), (None, "null"), (3, "a number")]
)
def test_a_json_event_must_be_an_object(data, kind):
    with pytest.raises(LineError, match=f"must be a JSON object, not {kind}"):
        record_from_json(data)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "1", "at": ', "not valid JSON"),
        ('{"a": ' + "[" * 4000 + "]" * 4000 + "}", "nested too deeply"),
        ('{"id": "1"} trailing', "not valid JSON"),
    ],
)
def test_a_broken_json_line_is_an_error(line, message):
    with pytest.raises(LineError, match=message):
        parse(line)


# --- Correlator ------------------------------------------------------------------------------------------------


def stamp(seconds: float) -> str:
    moment = datetime(2026, 12, 4, 18, 0, tzinfo=UTC) + timedelta(seconds=seconds)
    return moment.strftime("%b %d %H:%M:%S")


def attempt_line(seconds: float, session: str = SESSION, ip: str = "192.0.2.10", user: str = "marie") -> str:
    where = f",<{session}>" if session else ""
    return f"{stamp(seconds)} auth: Info: passwd-file({user},{ip}{where}): Password mismatch"


def summary_line(seconds: float, attempts: int, session: str = SESSION) -> str:
    return (
        f"{stamp(seconds)} imap-login: Info: Disconnected: Connection closed (auth failed, {attempts} attempts in "
        f"4 secs): user=<marie>, method=PLAIN, rip=192.0.2.10, lip=192.0.2.1, session=<{session}>"
    )


def postfix_line(seconds: float, ip: str = "192.0.2.10", user: str = "", pid: int = 1234) -> str:
    named = f", sasl_username={user}" if user else ""
    return (
        f"{stamp(seconds)} mail1 postfix/submission/smtpd[{pid}]: warning: unknown[{ip}]: SASL LOGIN "
        f"authentication failed: UGFzc3dvcmQ6{named}"
    )


def kept(lines: list[str], correlator: Correlator | None = None) -> list[MailAuthRecord]:
    correlator = correlator or Correlator()
    out = []
    for line in lines:
        record = parse(line)
        assert record is not None, line
        out.extend(correlator.feed(record))
    return out + correlator.flush()


def test_a_summary_is_dropped_when_its_attempts_were_seen():
    records = kept([attempt_line(0), attempt_line(2), attempt_line(4), summary_line(5, 3)])
    assert [record.reason for record in records] == ["password mismatch"] * 3


def test_a_summary_alone_keeps_its_attempts():
    (record,) = kept([summary_line(5, 3)])
    assert (record.reason, record.attempts) == ("auth failed", 3)


def test_a_summary_counts_only_the_attempts_not_seen():
    records = kept([attempt_line(0), summary_line(5, 3)])
    assert [(record.reason, record.attempts) for record in records] == [("password mismatch", 1), ("auth failed", 2)]


def test_attempts_of_another_session_do_not_drop_a_summary():
    records = kept([attempt_line(0, session="other"), summary_line(5, 1)])
    assert sorted(record.reason for record in records) == ["auth failed", "password mismatch"]


def test_a_postfix_failure_just_after_dovecots_check_of_the_same_address_is_the_same_attempt():
    records = kept([attempt_line(0, session=""), postfix_line(2)])
    assert [summary(record) for record in records] == [("failure", "", "marie", "192.0.2.10", "", "password mismatch")]


def test_a_named_postfix_failure_after_dovecots_check_is_also_the_same_attempt():
    records = kept([attempt_line(0, session=""), postfix_line(2, user="marie")])
    assert [record.protocol for record in records] == [""]


@pytest.mark.parametrize(
    "before",
    [
        attempt_line(-8, session=""),  # too long before
        attempt_line(10, session=""),  # 8 s after, in a stream out of order
        attempt_line(0, session="", ip="192.0.2.99"),  # another address
        attempt_line(0),  # an IMAP check (it has a session), not Postfix's
    ],
)
def test_a_postfix_failure_without_its_dovecot_check_counts_for_its_source(before):
    records = kept([before, postfix_line(2)])
    (postfix,) = [record for record in records if record.protocol == "smtp"]
    assert summary(postfix) == ("failure", "smtp", "", "192.0.2.10", "", "SASL LOGIN authentication failed")
    assert len(records) == 2


def test_each_dovecot_check_pairs_with_one_postfix_failure():
    lines = [attempt_line(0, session=""), attempt_line(0, session="", user="root")]
    lines += [postfix_line(2, pid=pid) for pid in (1, 2, 3)]
    records = kept(lines)
    assert [record.protocol for record in records] == ["", "", "smtp"]


def test_postfix_written_before_dovecot_is_handled_by_who_has_the_name():
    named = kept([postfix_line(0, user="marie"), attempt_line(1, session="")])
    assert [record.protocol for record in named] == ["smtp"]
    anonymous = kept([postfix_line(0), attempt_line(1, session="")])
    assert [record.protocol for record in anonymous] == ["smtp", ""]


def test_identical_lines_in_the_same_second_get_distinct_repeatable_ids():
    lines = [attempt_line(0, session=""), attempt_line(0, session=""), attempt_line(1, session="")]
    first = [record.event_id for record in kept(lines)]
    assert first[1] == f"{first[0]}:2"
    assert len(set(first)) == 3
    assert [record.event_id for record in kept(lines)] == first


def test_json_events_pass_the_correlator_untouched():
    record = record_from_json(EVENT)
    correlator = Correlator()
    assert correlator.feed(record) == [record]
    assert correlator.feed(record) == [record]


def test_an_attempt_waits_for_its_session_to_say_the_protocol():
    correlator = Correlator()
    assert correlator.feed(parse(attempt_line(0))) == []
    summary = summary_line(3, 1).replace("imap-login", "pop3-login")
    assert [(record.reason, record.protocol) for record in kept([summary], correlator)] == [
        ("password mismatch", "pop3")
    ]
    # A wrong password, then the right one in the same session: the login line names the protocol.
    success = parse(
        "Dec  4 18:00:09 mail1 dovecot: imap-login: Login: user=<marie>, method=PLAIN, rip=192.0.2.10, "
        f"session=<{SESSION}>"
    )
    correlator.feed(parse(attempt_line(5)))
    assert [(record.outcome, record.protocol) for record in correlator.feed(success)] == [
        ("failure", "imap"),
        ("success", "imap"),
    ]
    assert correlator.flush() == []


def test_held_attempts_go_out_without_a_protocol_when_their_session_never_ends():
    correlator = Correlator()
    correlator.feed(parse(attempt_line(0)))
    (late,) = correlator.feed(parse(attempt_line(400, session="other")))
    assert (late.protocol, late.session) == ("", SESSION)
    (flushed,) = correlator.flush()
    assert (flushed.protocol, flushed.session) == ("", "other")


def test_sessions_are_forgotten_after_five_minutes_of_log_time():
    records = kept([attempt_line(0), summary_line(400, 1)])
    assert [record.reason for record in records] == ["password mismatch", "auth failed"]
    records = kept([attempt_line(0), summary_line(200, 1)])
    assert [record.reason for record in records] == ["password mismatch"]


def test_memory_is_bounded_by_the_number_of_entries():
    correlator = Correlator(max_entries=100)
    kept([attempt_line(0, session=f"s{n}") for n in range(101)], correlator)
    forgotten = kept([summary_line(1, 1, session="s0")], correlator)
    remembered = kept([summary_line(1, 1, session="s100")], correlator)
    assert (len(forgotten), len(remembered)) == (1, 0)

    correlator = Correlator()
    for n in range(30_000):
        ip = f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
        correlator.feed(parse(attempt_line(0, session=f"s{n}", ip=ip)))
        correlator.feed(parse(attempt_line(0, session="", ip=ip)))
        correlator.feed(parse(postfix_line(30, ip=ip)))
    assert len(correlator._sessions) <= 10_000
    assert len(correlator._dovecot_by_ip) <= 10_000
    assert len(correlator._postfix_by_ip) <= 10_000
