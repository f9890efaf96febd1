"""Reading a reported suspicious message without ever rendering it.

``parse_message(raw)`` takes a whole ``.eml``; ``parse_headers(text)`` takes the headers a person pasted from their
mail client. Both return a ``ReportedMessage``: who it claims to be from, where replies go, the relay chain, the
receiving server's SPF/DKIM/DMARC verdicts, the links (address, domain, visible text), the attachments, and
``warnings``: findings in plain words for the agent and the person.

Contracts:

- Every string returned is plain text, cleaned of control and bidirectional-override characters and capped in
  length; templates must escape it as usual. Nothing here produces HTML, fetches a URL or resolves a name. HTML
  parts are parsed as a browser would (lexbor) only to collect ``<a href>``/``<area href>`` targets, their visible
  text and ``<form action>`` targets. Registrable domains come from the Public Suffix List.
- Outlook ``.msg`` files (what Outlook saves, and what "forward as attachment" attaches) are read with extract-msg
  and then treated as the message they hold (``parse_outlook_message``).
- Garbage in never raises, except ``MessageUnreadable`` when not a single useful header can be found.
- Input is capped (``max_bytes``, default 5 MiB; 256 KiB of each text or HTML part and 2 MiB in all read for
  links; at most 200 parts, 100 links, 50 relays, 50 attachments, 50 recipients); ``truncated`` says when
  something was left out. The worst inputs we know of take a few seconds, not minutes.
- ``warnings`` is a list of ``Finding``: ``code`` (stable, e.g. ``"link_mismatch"``), ``params`` and ``message``
  (translated when read, so a stored finding shows in the reader's language; ``str(finding)`` is the message).
- Checks that compare with the organisation use ``GUICHET_ORGANISATION_MAIL_DOMAINS`` (its domains and their
  sub-domains count as internal) and ``GUICHET_ORGANISATION_WORDS``; with no domain configured, the
  "pretends to be the organisation" and look-alike checks are skipped rather than flag every sender.
- ``Authentication-Results`` can be forged by the sender *below* the receiving server's own; the first
  (top-most) verdict for each method wins, which is the one our server added when it sits in front.
"""

import base64
import hashlib
import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from publicsuffixlist import PublicSuffixList
from selectolax.lexbor import LexborHTMLParser

from portal.web.text import strip_accents
from tickets.uploads import OLE_SIGNATURE, OUTLOOK_MESSAGE

MAX_MESSAGE_BYTES = 5 * 1024 * 1024
MAX_HEADER_TEXT = 256 * 1024
MAX_PART_TEXT = 256 * 1024
MAX_PARTS = 200
MAX_BOUNDARY_LINES = 2 * MAX_PARTS
MAX_TOTAL_TEXT = 2 * 1024 * 1024  # text and HTML read for links, all parts together
MAX_LINKS = 100
MAX_HTML_TARGETS = 20 * MAX_LINKS  # anchors and forms read from the HTML before duplicates are dropped
MAX_HOPS = 50
MAX_ATTACHMENTS = 50
MAX_RECIPIENTS = 50


class MessageUnreadable(Exception):
    """Not even a sender, a subject or a relay line could be read. ``message`` is for the person."""

    def __init__(self, message=None):
        self.message = message or _(
            "This does not look like an e-mail message: no sender, subject or relay information could be read. "
            "Save the message as a file (.eml) from your mail client, or copy all of its headers."
        )
        super().__init__(str(self.message))


@dataclass
class Hop:
    """One ``Received:`` line, newest (closest to the recipient) first."""

    from_host: str = ""
    by_host: str = ""
    ip: str = ""  # first valid IP literal in the line
    at: datetime | None = None
    raw: str = ""  # unfolded, cleaned, at most 300 characters


@dataclass
class Link:
    url: str
    domain: str  # host name of the target, lower case ("" when there is none)
    text: str  # what the reader sees (for plain-text links, the address itself)
    mismatch: bool = False  # the visible text shows another site than the target's


class Attachment(NamedTuple):
    filename: str
    content_type: str
    size: int


_FINDINGS = {
    "reply_to_mismatch": _(
        "Replies go to the domain %(reply_domain)s, not to the sender's domain %(sender_domain)s: an answer would "
        "reach someone else."
    ),
    "display_name_impersonation": _(
        "The sender's name “%(name)s” presents the message as coming from the organisation, but it was sent from "
        "an outside domain (%(domain)s)."
    ),
    "display_name_address": _("The sender's name shows %(shown)s, but the message really comes from %(address)s."),
    "lookalike_domain": _(
        "The domain %(domain)s imitates the organisation's domain %(organisation)s without being it."
    ),
    "link_mismatch": _("A link shows %(shown)s but leads to %(domain)s."),
    "link_to_ip": _("A link leads to a bare network address (%(host)s) instead of a named site."),
    "punycode_domain": _(
        "The domain %(domain)s contains letters from other alphabets that can pass for ordinary ones."
    ),
    "form": _("The message contains a form that sends what is typed into it to %(domain)s."),
    "authentication_failed": _(
        "The receiving server's %(method)s check failed (%(result)s): the message may not come from the domain it "
        "claims."
    ),
    "attachment_executable": _("The attachment “%(name)s” is a program or a script: opening it can install malware."),
    "attachment_macro": _(
        "The attachment “%(name)s” is an office document with macros, a common way to install malware."
    ),
    "attachment_archive": _("The attachment “%(name)s” is a compressed archive, which can hide a program."),
    "attachment_html": _("The attachment “%(name)s” is a web page: such attachments usually show a fake sign-in form."),
    "attachment_double_extension": _("The attachment “%(name)s” hides its real type behind a second extension."),
    "attachment_disk_image": _("The attachment “%(name)s” is a disk image, which can hide a program."),
}


@dataclass(frozen=True)
class Finding:
    """A warning about the message. ``params`` holds plain strings; ``message`` is translated when read."""

    code: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        return str(_FINDINGS[self.code]) % dict(self.params)

    def __str__(self):
        return self.message


@dataclass
class ReportedMessage:
    sender: str = ""  # From, decoded: 'Service informatique <support@acad3mie-fr.com>'
    sender_name: str = ""  # its display name alone: 'Service informatique'
    sender_address: str = ""
    sender_domain: str = ""
    reply_to: str = ""
    reply_to_address: str = ""
    return_path: str = ""
    subject: str = ""
    date: datetime | None = None
    message_id: str = ""
    received: list[Hop] = field(default_factory=list)
    authentication: dict[str, str] = field(default_factory=dict)  # {"spf": "fail", "dkim": "none", "dmarc": …}
    links: list[Link] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    recipients: list[tuple[str, str]] = field(default_factory=list)  # (name, address) from To, Cc, Delivered-To…
    truncated: bool = False


# --- Cleaning --------------------------------------------------------------------------------------------------------

_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _unsurrogate(text: str) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes: read them as UTF-8, else as Windows-1252."""
    if not _SURROGATES.search(text):
        return text
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return _SURROGATES.sub("\ufffd", text)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _plain(text, limit: int = 300) -> str:
    """One line of displayable plain text: no control, format (bidi override, zero-width) or private characters,
    whitespace collapsed, at most ``limit`` characters."""
    text = unicodedata.normalize("NFC", _unsurrogate(str(text or "")))
    text = "".join(
        " " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch
        for ch in text
        if unicodedata.category(ch) not in {"Cf", "Co", "Cs"}
    )
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _fold(text: str) -> str:
    """Lower case, accents removed."""
    return strip_accents(text.casefold())


# --- Domains ---------------------------------------------------------------------------------------------------------

_COMMON_TLDS = {"com", "net", "org", "info", "biz", "xyz", "top", "online", "site", "app", "io", "edu", "gov", "live"}
_COMMON_TLDS |= {"club", "shop", "store", "cloud", "email", "link", "click", "help", "support", "services", "page"}
_LEET = str.maketrans("013457$@", "oleastsa")
# The Public Suffix List (ICANN and private sections), as published with the publicsuffixlist package: where anyone
# may register a name (gouv.fr, co.uk, but also github.io or blogspot.com, whose sub-domains belong to different
# people).
_PUBLIC_SUFFIXES = PublicSuffixList()


def _host(value: str) -> str:
    return value.strip().strip(".").lower()


def _site(host: str) -> str:
    """The registrable domain of a host name, by the Public Suffix List: ``webmail.ac-exemple.fr`` →
    ``ac-exemple.fr``, ``evil.github.io`` → ``evil.github.io``. IPs and bare suffixes unchanged."""
    host = _host(host)
    if not host or _is_ip(host):
        return host
    return _PUBLIC_SUFFIXES.privatesuffix(host) or host


def _is_ip(host: str) -> bool:
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        # Browsers also take 3232235777, 0xC0A80001 or 0300.0250.0.1 for an IPv4 address.
        return bool(re.fullmatch(r"(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}", host, re.IGNORECASE))


def _within(host: str, domains) -> bool:
    host = _host(host)
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _fold(text).translate(_LEET))


def _shown_domain(text: str) -> str:
    """A domain the visible text displays (``https://webmail.ac-exemple.fr``, ``www.exemple.com``,
    ``ac-exemple.fr``), or "". Bare words with a dot count only with a country or a common top-level domain, so
    "M.Dupont" is not taken for a site."""
    for match in re.finditer(r"(?i)(https?://)?((?:[a-z0-9\u00c0-\uffff-]+\.)+[a-z\u00c0-\uffff-]{2,63})", text):
        scheme, domain = match.group(1), _host(match.group(2))
        tld = domain.rsplit(".", 1)[-1]
        if scheme or domain.startswith("www.") or len(tld) == 2 or tld in _COMMON_TLDS or tld.startswith("xn--"):
            if match.start() > 0 and text[match.start() - 1] == "@" and not scheme:
                continue  # the domain of an e-mail address in the text, not a link target
            return domain
    return ""


# --- Headers ---------------------------------------------------------------------------------------------------------


def _raw_values(message, name: str) -> list[str]:
    wanted = name.lower()
    # Unfolded as the policy would: line breaks dropped, the whitespace after them kept.
    return [
        _unsurrogate(re.sub(r"\r?\n", "", str(value))) for key, value in message.raw_items() if key.lower() == wanted
    ]


def _decoded(name: str, raw: str) -> str:
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
    return [(_plain(display), _plain(address, 254)) for display, address in pairs if display or address]


def _first_address(name: str, raw: str) -> tuple[str, str]:
    pairs = _addresses(name, raw)
    return pairs[0] if pairs else ("", "")


def _domain_of(address: str) -> str:
    return _host(address.rpartition("@")[2]) if "@" in address else ""


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
    line = _plain(raw, 2000)
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
        from_host=_plain(from_host.group(1), 120) if from_host else "",
        by_host=_plain(by_host.group(1), 120) if by_host else "",
        ip=ip,
        at=_date(when) if when else None,
        raw=_plain(line, 300),
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


def _read_headers(message, report: ReportedMessage) -> None:
    values = {name: _raw_values(message, name) for name in ("From", "Reply-To", "Return-Path", "Subject")}
    if values["From"]:
        report.sender_name, report.sender_address = _first_address("From", values["From"][0])
        if report.sender_address:
            name = report.sender_name
            report.sender = f"{name} <{report.sender_address}>" if name else report.sender_address
        else:
            report.sender = _plain(_decoded("From", values["From"][0]))
        report.sender_domain = _domain_of(report.sender_address)
    if values["Reply-To"]:
        report.reply_to = _plain(_decoded("Reply-To", values["Reply-To"][0]))
        report.reply_to_address = _first_address("Reply-To", values["Reply-To"][0])[1]
    if values["Return-Path"]:
        report.return_path = _plain(_decoded("Return-Path", values["Return-Path"][0]), 254)
    if values["Subject"]:
        report.subject = _plain(_decoded("Subject", values["Subject"][0]), 500)
    dates = _raw_values(message, "Date")
    report.date = _date(dates[0]) if dates else None
    message_ids = _raw_values(message, "Message-ID")
    report.message_id = _plain(message_ids[0], 250) if message_ids else ""
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
            ("", _plain(address, 254)) for address in re.findall(r"(?i)\bfor\s+<([^<>\s]+@[^<>\s]+)>", hop)
        )
    seen = set()
    for display, address in sorted(recipients, key=lambda pair: not pair[0]):  # named entries first
        key = address.casefold() or display.casefold()
        if key not in seen and len(report.recipients) < MAX_RECIPIENTS:
            seen.add(key)
            report.recipients.append((display, address))


def _has_headers(report: ReportedMessage) -> bool:
    return bool(report.sender or report.subject or report.received or report.message_id or report.date)


# --- Bodies ----------------------------------------------------------------------------------------------------------


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
    return _plain(url, 2000), _host(host)


def _payload(part, limit: int) -> bytes:
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
    payload = _payload(part, MAX_PART_TEXT)
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


def _read_body(message, report: ReportedMessage) -> list[str]:
    """Fill links and attachments; returns the hosts HTML forms post to."""
    form_hosts: list[str] = []
    seen_links: set[tuple[str, str]] = set()
    budget = MAX_TOTAL_TEXT

    def add_link(href: str, text: str, *, from_text: bool = False):
        target = _web_target(href)
        if target is None:
            return
        url, host = target
        shown_text = _plain(text, 200) if not from_text else url
        key = (url, shown_text)
        if key in seen_links:
            return
        if len(report.links) >= MAX_LINKS:
            report.truncated = True
            return
        seen_links.add(key)
        shown = _shown_domain(shown_text)
        mismatch = bool(shown) and _site(shown) != _site(host)
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
    size = len(_payload(part, MAX_MESSAGE_BYTES))
    name = _plain(_decoded("Content-Disposition", filename) if "=?" in filename else filename, 200)
    report.attachments.append(Attachment(name, _plain(content_type, 100), size))


# --- Findings --------------------------------------------------------------------------------------------------------

_EXECUTABLE = {"exe", "scr", "com", "bat", "cmd", "pif", "js", "jse", "vbs", "vbe", "wsf", "wsh", "hta", "msi", "msp"}
_EXECUTABLE |= {"lnk", "ps1", "psm1", "jar", "cpl", "reg", "dll", "apk", "app", "sh", "url", "scf", "chm", "xll"}
_MACRO = {"docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppam", "ppsm", "sldm", "xlsb", "one"}
_ARCHIVE = {"zip", "rar", "7z", "gz", "tgz", "bz2", "xz", "tar", "cab", "ace", "arj", "lzh", "z"}
_DISK_IMAGE = {"iso", "img", "vhd", "vhdx", "dmg"}
_HTML = {"html", "htm", "shtml", "xhtml", "svg", "mht", "mhtml"}
_DOCUMENT = {"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "jpg", "jpeg", "png", "gif", "txt"}

# Words by which a sender's name claims to be the organisation's own service (folded: lower case, no accents).
_SERVICE_WORDS = {"service informatique", "informatique", "helpdesk", "help desk", "service desk", "dsi", "rectorat"}
_SERVICE_WORDS |= {"administrateur", "administrator", "it support", "it department", "support technique"}
_SERVICE_WORDS |= {"equipe technique", "administration systeme", "support messagerie"}


def _attachment_findings(name: str) -> list[Finding]:
    extensions = [part.lower() for part in name.split(".")[1:]]
    if not extensions:
        return []
    last = extensions[-1].strip()
    params = (("name", name),)
    if last in _EXECUTABLE:
        findings = [Finding("attachment_executable", params)]
    elif last in _MACRO:
        findings = [Finding("attachment_macro", params)]
    elif last in _ARCHIVE:
        findings = [Finding("attachment_archive", params)]
    elif last in _DISK_IMAGE:
        findings = [Finding("attachment_disk_image", params)]
    elif last in _HTML:
        findings = [Finding("attachment_html", params)]
    else:
        findings = []
    if len(extensions) >= 2 and extensions[-2].strip() in _DOCUMENT and findings:
        findings.append(Finding("attachment_double_extension", params))
    return findings


def _lookalike(host: str, organisation_domains: list[str]) -> str:
    """The organisation domain ``host`` imitates (contains its name, letters swapped for digits or not), or ""."""
    if not host or _within(host, organisation_domains) or _is_ip(host):
        return ""
    squashed = _squash(host)
    for domain in organisation_domains:
        site = _site(domain)
        name = site.split(".")[0] if site.count(".") == 1 else site.rsplit(".", 2)[0]
        for needle in {_squash(site), _squash(name)}:
            if len(needle) >= 5 and needle in squashed:
                return domain
    return ""


def _findings(
    report: ReportedMessage, form_hosts: list[str], organisation_domains: list[str], organisation_words: list[str]
) -> list[Finding]:
    findings: list[Finding] = []
    sender_site = _site(report.sender_domain)

    if report.reply_to_address and report.sender_domain:
        reply_domain = _domain_of(report.reply_to_address)
        if reply_domain and _site(reply_domain) != sender_site:
            findings.append(
                Finding("reply_to_mismatch", (("reply_domain", reply_domain), ("sender_domain", report.sender_domain)))
            )

    display_name = report.sender_name
    if display_name and report.sender_address:
        shown = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", display_name) or None
        shown_domain = _domain_of(shown.group(0)) if shown else _shown_domain(display_name)
        if shown_domain and _site(shown_domain) != sender_site:
            findings.append(
                Finding(
                    "display_name_address",
                    (("shown", shown.group(0) if shown else shown_domain), ("address", report.sender_address)),
                )
            )
        if organisation_domains and report.sender_domain and not _within(report.sender_domain, organisation_domains):
            folded = " ".join(re.sub(r"[^a-z0-9]+", " ", _fold(display_name)).split())
            words = _SERVICE_WORDS | {_fold(word) for word in organisation_words if len(word) >= 4}
            if any(re.search(rf"\b{re.escape(word)}\b", folded) for word in words):
                findings.append(
                    Finding("display_name_impersonation", (("name", display_name), ("domain", report.sender_domain)))
                )

    if organisation_domains:
        hosts = [report.sender_domain, _domain_of(report.reply_to_address)]
        hosts += [link.domain for link in report.links]
        for host in dict.fromkeys(h for h in hosts if h):
            imitated = _lookalike(host, organisation_domains)
            if imitated:
                findings.append(Finding("lookalike_domain", (("domain", host), ("organisation", imitated))))

    for link in report.links:
        if link.mismatch:
            findings.append(Finding("link_mismatch", (("shown", _shown_domain(link.text)), ("domain", link.domain))))
        if _is_ip(link.domain):
            findings.append(Finding("link_to_ip", (("host", link.domain),)))
    for host in dict.fromkeys(form_hosts):
        findings.append(Finding("form", (("domain", host),)))

    domains = [report.sender_domain] + [link.domain for link in report.links]
    for domain in dict.fromkeys(d for d in domains if d):
        if any(label.startswith("xn--") for label in domain.split(".")):
            findings.append(Finding("punycode_domain", (("domain", domain),)))

    for method in ("spf", "dkim", "dmarc"):
        result = report.authentication.get(method, "")
        if result in {"fail", "softfail", "permerror"}:
            findings.append(Finding("authentication_failed", (("method", method.upper()), ("result", result))))

    for attachment in report.attachments:
        findings.extend(_attachment_findings(attachment.filename))
    return list(dict.fromkeys(findings))


def _organisation(organisation_domains) -> tuple[list[str], list[str]]:
    if organisation_domains is None:
        organisation_domains = getattr(settings, "GUICHET_ORGANISATION_MAIL_DOMAINS", [])
    domains = [_host(domain) for domain in organisation_domains if _host(domain)]
    return domains, list(getattr(settings, "GUICHET_ORGANISATION_WORDS", []))


# --- Entry points ----------------------------------------------------------------------------------------------------

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
    _read_headers(message, report)
    if not _has_headers(report):
        raise MessageUnreadable()
    form_hosts = _read_body(message, report)
    domains, words = _organisation(organisation_domains)
    report.warnings = _findings(report, form_hosts, domains, words)
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
                    return _PARSER.parsebytes(_outlook_to_mime(_payload(part, MAX_MESSAGE_BYTES)))
                except MessageUnreadable:
                    continue  # named .msg but not an Outlook item: a real message may follow
            if part.get_content_type() != "message/rfc822" and not filename.endswith(".eml"):
                continue
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            if hasattr(inner, "raw_items") and inner.keys():
                return inner
            return _PARSER.parsebytes(_payload(part, MAX_MESSAGE_BYTES))
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
    _read_headers(message, report)
    if not _has_headers(report):
        raise MessageUnreadable()
    domains, words = _organisation(organisation_domains)
    report.warnings = _findings(report, [], domains, words)
    return report


# --- Grouping --------------------------------------------------------------------------------------------------------

_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|tr|fw|fwd|aw|wg|rv|sv)\s*(?:\[\d+\])?\s*:|\[[^\]]{0,40}\])\s*", re.I)


def _normalised_subject(subject: str, recipients: list[tuple[str, str]]) -> str:
    subject = subject or ""
    while True:
        stripped = _REPLY_PREFIX.sub("", subject, count=1)
        if stripped == subject:
            break
        subject = stripped
    folded = _fold(subject)
    personal: set[str] = set()
    for display, address in recipients:
        local = _fold(address.partition("@")[0])
        personal.update({_fold(address), local})
        personal.update(re.split(r"[._+\-]+", local))
        personal.update(re.split(r"[\s,]+", _fold(display)))
    for value in sorted((p for p in personal if len(p) >= 3), key=len, reverse=True):
        folded = re.sub(rf"(?<![a-z0-9]){re.escape(value)}(?![a-z0-9])", " ", folded)
    words = re.findall(r"[^\W_]+", folded)
    return " ".join(word for word in words if not any(ch.isdigit() for ch in word))


def campaign_key(message: ReportedMessage, *, include_links: bool = True) -> str:
    """A short stable key (16 hex characters) shared by reports of the same phishing campaign.

    Built from three things a campaign keeps across its copies, and nothing that differs per recipient:

    - the sender's domain (lower case) — not the local part, often randomised;
    - the subject, normalised: "RE:/TR:/Fwd:" and leading "[tags]" removed (the person may have forwarded it),
      lower case, accents folded, every word containing a digit dropped (dates, amounts, "98 %", ticket or
      reference numbers), the recipients' addresses, local parts and name parts (from To/Cc/Delivered-To/
      "Received: … for <…>") removed, punctuation and whitespace collapsed;
    - the sorted set of the links' *sites* (registrable domain of the host by the Public Suffix List:
      ``a1b2.evil.xyz`` → ``evil.xyz``), which ignores paths, query strings and per-recipient sub-domains, i.e.
      tracking tokens.

    Ignored on purpose: To, Date, Message-ID, the relay chain, the body text and the attachments' names.
    Consequences: a campaign that rotates its sender domains or its link sites splits into several keys; two
    campaigns from one domain with the same subject and link sites share one. Pasted headers have no links, so
    their key only matches other header-only keys; ``include_links=False`` gives that header-only key for a
    whole message too. The "v1" prefix inside the hash changes if the recipe does. Sites came from a heuristic
    (co.uk, gouv.fr…) before the Public Suffix List; both agree on nearly every domain, so the prefix stayed and
    stored campaigns did not split: only reports whose links sit under a private suffix (github.io…) changed key,
    which is the point of the change.
    """
    subject = _normalised_subject(message.subject, message.recipients)
    sites = sorted({_site(link.domain) for link in message.links if link.domain}) if include_links else []
    material = "\x1f".join(["v1", _host(message.sender_domain), subject, ",".join(sites)])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]
