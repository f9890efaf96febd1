"""The entry points: a whole ``.eml``, an Outlook ``.msg`` (through extract-msg), or headers pasted by a person."""

import re
from email import policy
from email.parser import BytesParser

from tickets.phishing.bodies import payload_of, read_body
from tickets.phishing.findings import findings_of, organisation_of
from tickets.phishing.headers import has_headers, read_headers
from tickets.phishing.report import (
    MAX_BOUNDARY_LINES,
    MAX_HEADER_TEXT,
    MAX_MESSAGE_BYTES,
    MAX_PARTS,
    MessageUnreadable,
    ReportedMessage,
)
from tickets.uploads import OLE_SIGNATURE, OUTLOOK_MESSAGE

_PARSER = BytesParser(policy=policy.default)


def parse_message(
    raw: bytes,
    *,
    max_bytes: int = MAX_MESSAGE_BYTES,
    organisation_domains: list[str] | None = None,
    unwrap_forward: bool = False,
) -> ReportedMessage:
    """Read a whole message (``.eml`` bytes). Only the first ``max_bytes`` are parsed (``truncated`` is then set).

    ``unwrap_forward=True``: when the message carries another message as an attachment (a phish forwarded "as
    attachment"), report on that inner message instead. ``organisation_domains`` defaults to
    ``GUICHET_ORGANISATION_MAIL_DOMAINS``. Raises ``MessageUnreadable`` only when no header at all can be read.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    raw = bytes(raw or b"")
    report = ReportedMessage(truncated=len(raw) > max_bytes)
    raw = raw[:max_bytes].lstrip(b"\r\n\t ")
    if raw.startswith(b"From ") and b"\n" in raw:  # an mbox separator line before the headers
        raw = raw.split(b"\n", 1)[1]
    raw, cut = _limit_parts(raw)
    report.truncated = report.truncated or cut
    try:
        message = _PARSER.parsebytes(raw)
    except Exception:  # e.g. RecursionError on thousands of nested parts: the headers alone may still be readable
        report.truncated = True
        try:
            message = _PARSER.parsebytes(raw, headersonly=True)
        except Exception as exc:
            raise MessageUnreadable() from exc
    if unwrap_forward:
        message = _forwarded(message) or message
    read_headers(message, report)
    if not has_headers(report):
        raise MessageUnreadable()
    form_hosts = read_body(message, report)
    domains, words = organisation_of(organisation_domains)
    report.warnings = findings_of(report, form_hosts, domains, words)
    return report


def parse_outlook_message(raw: bytes, *, organisation_domains: list[str] | None = None) -> ReportedMessage:
    """Read an Outlook ``.msg`` file: extract-msg turns it back into the message it holds (its transport headers
    as received, its plain and HTML bodies, its attachments), which ``parse_message`` then reads like any other.
    Raises ``MessageUnreadable`` when the file is not an Outlook message or cannot be read."""
    return parse_message(_outlook_to_mime(raw), organisation_domains=organisation_domains)


def _outlook_to_mime(raw: bytes) -> bytes:
    import extract_msg  # heavy: only when an Outlook file comes in

    raw = bytes(raw or b"")
    if not raw.startswith(OLE_SIGNATURE) or len(raw) > MAX_MESSAGE_BYTES:
        raise MessageUnreadable()
    try:
        outlook = extract_msg.openMsg(raw)
        try:
            return outlook.asEmailMessage().as_bytes(policy=policy.default)
        finally:
            outlook.close()
    except Exception as exc:  # an unreadable or hostile file, whatever the library raised
        raise MessageUnreadable() from exc


_BOUNDARY_LINE = re.compile(rb"^--", re.MULTILINE)


def _limit_parts(raw: bytes) -> tuple[bytes, bool]:
    """Cut the message before its ``MAX_BOUNDARY_LINES``-th MIME boundary line: the stdlib parser needs about half
    a millisecond per part, so a few megabytes of empty parts would otherwise take minutes."""
    for count, match in enumerate(_BOUNDARY_LINE.finditer(raw)):
        if count >= MAX_BOUNDARY_LINES:
            return raw[: match.start()], True
    return raw, False


def _forwarded(message):
    """The first message attached to ``message``: a ``message/rfc822`` part (parsed in place by the parser, or
    base64-encoded as some clients send it), an attached ``.eml`` file, or an Outlook item (``.msg``)."""
    try:
        for count, part in enumerate(message.walk()):
            if count >= MAX_PARTS:
                return None
            filename = (part.get_filename() or "").lower()
            if part.get_content_type() == OUTLOOK_MESSAGE or filename.endswith(".msg"):
                try:
                    return _PARSER.parsebytes(_outlook_to_mime(payload_of(part, MAX_MESSAGE_BYTES)))
                except MessageUnreadable:
                    continue  # named .msg but not an Outlook item: a real message may follow
            if part.get_content_type() != "message/rfc822" and not filename.endswith(".eml"):
                continue
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if hasattr(inner, "raw_items") and inner.keys():
                return inner
            return _PARSER.parsebytes(payload_of(part, MAX_MESSAGE_BYTES))
    except Exception:
        return None
    return None


_PASTED_HEADER = re.compile(r"^[!-9;-~]+[ \t]*:")


def parse_headers(text: str, *, organisation_domains: list[str] | None = None) -> ReportedMessage:
    """Read headers pasted by a person (no body: ``links`` and ``attachments`` stay empty).

    Tolerates what copying from a mail client does: text before the first header is skipped, lines that lost their
    folding indentation are joined to the header above, and anything after the first blank line that follows a
    header (a pasted body) is ignored. Raises ``MessageUnreadable`` when no header can be read.
    """
    text = str(text or "")[:MAX_HEADER_TEXT]
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            if lines:
                break
            continue
        if _PASTED_HEADER.match(line):
            lines.append(line)
        elif lines:
            lines.append(" " + line.strip() if line[:1] not in (" ", "\t") else line)
    report = ReportedMessage(truncated=len(str(text)) >= MAX_HEADER_TEXT)
    if not lines:
        raise MessageUnreadable()
    try:
        message = _PARSER.parsebytes(("\n".join(lines) + "\n\n").encode("utf-8", "surrogatepass"), headersonly=True)
    except Exception as exc:
        raise MessageUnreadable() from exc
    read_headers(message, report)
    if not has_headers(report):
        raise MessageUnreadable()
    domains, words = organisation_of(organisation_domains)
    report.warnings = findings_of(report, [], domains, words)
    return report
