"""What a reading of a reported message gives back: the limits on what is read, the result (``ReportedMessage``
with its relays, links and attachments), ``Finding`` and the words of each finding, and ``MessageUnreadable``."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

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
