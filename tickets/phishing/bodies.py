"""The parts of a reported message: text and HTML read for links (HTML parsed as a browser would, never rendered),
and the attachments' names and types."""

import base64
import re
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from tickets.phishing.domains import displayed_domain, host_of, site_of
from tickets.phishing.headers import decoded_header
from tickets.phishing.report import (
    MAX_ATTACHMENTS,
    MAX_HTML_TARGETS,
    MAX_LINKS,
    MAX_MESSAGE_BYTES,
    MAX_PART_TEXT,
    MAX_PARTS,
    MAX_TOTAL_TEXT,
    Attachment,
    Link,
    ReportedMessage,
)
from tickets.phishing.text import plain_text

_TEXT_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'`]+")


def _web_target(href: str) -> tuple[str, str] | None:
    """(url, host) for an http(s) target, or None. Browsers drop tabs and newlines inside an address."""
    url = re.sub(r"[\t\r\n]", "", href).strip(" \x00\x0b\x0c")
    if url.startswith("//"):
        url = "http:" + url
    elif url.lower().startswith("www."):
        url = "http://" + url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return plain_text(url, 2000), host_of(host)


def payload_of(part, limit: int) -> bytes:
    """The part's decoded bytes (at most ``limit``). Unlike ``get_payload(decode=True)``, which hands back the
    *encoded* text when base64 is cut short, a truncated base64 body yields what it holds up to the cut."""
    try:
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if encoding == "base64":
            text = part.get_payload(decode=False)
            if isinstance(text, list) and len(text) == 1 and not text[0].keys():
                text = text[0].get_payload()  # message/rfc822 in base64: the parser took the text for a message
            if isinstance(text, str):
                return _base64(text, limit)
        payload = part.get_payload(decode=True)
    except Exception:
        return b""
    return payload[:limit] if isinstance(payload, bytes) else b""


def _base64(text: str, limit: int) -> bytes:
    data = re.sub(r"[^A-Za-z0-9+/]", "", text[: limit * 4 // 3 + 8])
    data = data[: len(data) - 1] if len(data) % 4 == 1 else data + "=" * (-len(data) % 4)
    return base64.b64decode(data)[:limit]


def _part_text(part) -> str:
    """A text part as str, whatever its declared charset (unknown ones: UTF-8, else Windows-1252)."""
    payload = payload_of(part, MAX_PART_TEXT)
    try:
        charset = part.get_content_charset() or "utf-8"
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError, ValueError):
        pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("cp1252", "replace")


# Elements whose text a reader never sees: their words are not a link's visible text.
_INVISIBLE = ["head", "title", "script", "style", "template"]


def _links_from_html(html: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(target, visible text) of every ``<a href>`` and ``<area href>`` (its ``alt``), and every ``<form action>``,
    as a browser would build the document: lexbor, a WHATWG-conformant parser in C (selectolax). Attributes holding
    ``>``, comments, unclosed tags and the other tricks that fool a pattern match are read as a browser reads them,
    in time linear in the input."""
    try:
        tree = LexborHTMLParser(html)
        tree.strip_tags(_INVISIBLE)  # the elements and everything inside them
        anchors, forms = [], []
        for count, node in enumerate(tree.css("a[href], area[href], form[action]")):
            if count >= MAX_HTML_TARGETS:
                break
            attributes = node.attributes
            if node.tag == "form":
                forms.append(attributes.get("action") or "")
            elif node.tag == "area":
                anchors.append((attributes.get("href") or "", attributes.get("alt") or ""))
            else:
                anchors.append((attributes.get("href") or "", node.text(deep=True, separator="")[:1000]))
    except Exception:
        return [], []
    return anchors, forms


def read_body(message, report: ReportedMessage) -> list[str]:
    """Fill links and attachments; returns the hosts HTML forms post to."""
    form_hosts: list[str] = []
    seen_links: set[tuple[str, str]] = set()
    budget = MAX_TOTAL_TEXT

    def add_link(href: str, text: str, *, from_text: bool = False):
        target = _web_target(href)
        if target is None:
            return
        url, host = target
        shown_text = plain_text(text, 200) if not from_text else url
        key = (url, shown_text)
        if key in seen_links:
            return
        if len(report.links) >= MAX_LINKS:
            report.truncated = True
            return
        seen_links.add(key)
        shown = displayed_domain(shown_text)
        mismatch = bool(shown) and site_of(shown) != site_of(host)
        report.links.append(Link(url=url, domain=host, text=shown_text, mismatch=mismatch))

    try:
        parts = message.walk()
        for count, part in enumerate(parts):
            if count >= MAX_PARTS:
                report.truncated = True
                break
            if part.is_multipart():
                continue
            try:
                content_type = part.get_content_type()
                disposition = part.get_content_disposition()
                filename = part.get_filename()
            except Exception:  # noqa: S112 - a part with unreadable headers: skip it, keep the others
                continue
            if filename or disposition == "attachment":
                _add_attachment(part, filename or "", content_type, report)
            if content_type not in ("text/html", "text/plain"):
                continue
            if budget <= 0:
                report.truncated = True
                continue
            body = _part_text(part)[:budget]
            budget -= len(body)
            if content_type == "text/html":
                anchors, forms = _links_from_html(body)
                for href, text in anchors:
                    add_link(href, text)
                for action in forms:
                    target = _web_target(action)
                    if target:
                        add_link(action, "")
                        form_hosts.append(target[1])
            else:
                for match in _TEXT_URL.finditer(body):
                    add_link(match.group(0).rstrip(".,;:!?)]}»\"'"), "", from_text=True)
    except Exception:  # a broken structure: keep what was read
        report.truncated = True
    return form_hosts


def _add_attachment(part, filename: str, content_type: str, report: ReportedMessage) -> None:
    if len(report.attachments) >= MAX_ATTACHMENTS:
        report.truncated = True
        return
    size = len(payload_of(part, MAX_MESSAGE_BYTES))
    name = plain_text(decoded_header("Content-Disposition", filename) if "=?" in filename else filename, 200)
    report.attachments.append(Attachment(name, plain_text(content_type, 100), size))
