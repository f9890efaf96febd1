"""The headers of a reported message: sender, reply-to, recipients, date, the relay chain and the receiving server's
SPF/DKIM/DMARC verdicts."""

import ipaddress
import re
from datetime import UTC, datetime
from email import policy
from email.utils import getaddresses, parsedate_to_datetime

from tickets.phishing.domains import host_of
from tickets.phishing.report import MAX_HOPS, MAX_RECIPIENTS, Hop, ReportedMessage
from tickets.phishing.text import plain_text, unsurrogate


def _raw_values(message, name: str) -> list[str]:
    wanted = name.lower()
    # Unfolded as the policy would: line breaks dropped, the whitespace after them kept.
    return [
        unsurrogate(re.sub(r"\r?\n", "", str(value))) for key, value in message.raw_items() if key.lower() == wanted
    ]


def decoded_header(name: str, raw: str) -> str:
    """The header decoded (RFC 2047), or the raw value when the parser gives up."""
    try:
        return str(policy.default.header_factory(name, raw[:4000]))
    except Exception:  # the stdlib header parser has raised on hostile input before
        return raw


def _addresses(name: str, raw: str) -> list[tuple[str, str]]:
    """(display name, address) pairs, lower-cased domain kept as written in the address."""
    try:
        header = policy.default.header_factory(name, raw[:4000])
        pairs = [(address.display_name or "", address.addr_spec or "") for address in header.addresses]
    except Exception:  # deeply nested comments raise RecursionError, among others
        try:
            pairs = getaddresses([raw[:4000]])
        except Exception:
            pairs = [("", found) for found in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", raw[:4000])]
    return [(plain_text(display), plain_text(address, 254)) for display, address in pairs if display or address]


def _first_address(name: str, raw: str) -> tuple[str, str]:
    pairs = _addresses(name, raw)
    return pairs[0] if pairs else ("", "")


def domain_of(address: str) -> str:
    return host_of(address.rpartition("@")[2]) if "@" in address else ""


def _date(raw: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Bracketed literals as MTAs write them ([192.0.2.1], [IPv6:2001:db8::1], [2001:db8::1]), then bare dotted quads.
_IP_LITERAL = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]{2,45})\]|\b(\d{1,3}(?:\.\d{1,3}){3})\b")


def _hop(raw: str) -> Hop:
    line = plain_text(raw, 2000)
    body, _semicolon, when = line.rpartition(";")
    if not _semicolon:
        body, when = line, ""
    from_host = re.search(r"(?i)\bfrom\s+(\S+)", body)
    by_host = re.search(r"(?i)\bby\s+(\S+)", body)
    ip = ""
    for match in _IP_LITERAL.finditer(body):
        candidate = next(group for group in match.groups() if group)
        try:
            ip = str(ipaddress.ip_address(candidate))
            break
        except ValueError:
            continue
    return Hop(
        from_host=plain_text(from_host.group(1), 120) if from_host else "",
        by_host=plain_text(by_host.group(1), 120) if by_host else "",
        ip=ip,
        at=_date(when) if when else None,
        raw=plain_text(line, 300),
    )


_VERDICT = re.compile(r"(?i)\b(spf|dkim|dmarc)\s*=\s*([a-z]+)")


def _authentication(message) -> dict[str, str]:
    """First (top-most) verdict per method from ``Authentication-Results``, then ``Received-SPF`` for SPF."""
    results: dict[str, str] = {}
    for raw in _raw_values(message, "Authentication-Results")[:10]:
        text = re.sub(r"\([^()]*\)", " ", raw[:4000])  # comments can hold "spf=pass" quoted from elsewhere
        for method, result in _VERDICT.findall(text):
            results.setdefault(method.lower(), result.lower())
    received_spf = _raw_values(message, "Received-SPF")
    if "spf" not in results and received_spf:
        match = re.match(r"\s*([a-zA-Z]+)", received_spf[0])
        if match:
            results["spf"] = match.group(1).lower()
    return results


def read_headers(message, report: ReportedMessage) -> None:
    values = {name: _raw_values(message, name) for name in ("From", "Reply-To", "Return-Path", "Subject")}
    if values["From"]:
        report.sender_name, report.sender_address = _first_address("From", values["From"][0])
        if report.sender_address:
            name = report.sender_name
            report.sender = f"{name} <{report.sender_address}>" if name else report.sender_address
        else:
            report.sender = plain_text(decoded_header("From", values["From"][0]))
        report.sender_domain = domain_of(report.sender_address)
    if values["Reply-To"]:
        report.reply_to = plain_text(decoded_header("Reply-To", values["Reply-To"][0]))
        report.reply_to_address = _first_address("Reply-To", values["Reply-To"][0])[1]
    if values["Return-Path"]:
        report.return_path = plain_text(decoded_header("Return-Path", values["Return-Path"][0]), 254)
    if values["Subject"]:
        report.subject = plain_text(decoded_header("Subject", values["Subject"][0]), 500)
    dates = _raw_values(message, "Date")
    report.date = _date(dates[0]) if dates else None
    message_ids = _raw_values(message, "Message-ID")
    report.message_id = plain_text(message_ids[0], 250) if message_ids else ""
    hops = _raw_values(message, "Received")
    report.received = [_hop(raw) for raw in hops[:MAX_HOPS]]
    report.truncated = report.truncated or len(hops) > MAX_HOPS
    report.authentication = _authentication(message)
    recipients: list[tuple[str, str]] = []
    for name in ("To", "Cc", "Delivered-To", "X-Original-To"):
        for raw in _raw_values(message, name)[:10]:
            recipients.extend(_addresses(name, raw))
    for hop in hops[:MAX_HOPS]:
        recipients.extend(
            ("", plain_text(address, 254)) for address in re.findall(r"(?i)\bfor\s+<([^<>\s]+@[^<>\s]+)>", hop)
        )
    seen = set()
    for display, address in sorted(recipients, key=lambda pair: not pair[0]):  # named entries first
        key = address.casefold() or display.casefold()
        if key not in seen and len(report.recipients) < MAX_RECIPIENTS:
            seen.add(key)
            report.recipients.append((display, address))


def has_headers(report: ReportedMessage) -> bool:
    return bool(report.sender or report.subject or report.received or report.message_id or report.date)
