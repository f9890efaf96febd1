"""Reading a reported suspicious message without ever rendering it (a package: report, text, domains, headers,
bodies, findings, reading, campaigns; each module imports only those before it).

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

from tickets.phishing.campaigns import campaign_key
from tickets.phishing.reading import parse_headers, parse_message, parse_outlook_message
from tickets.phishing.report import (
    MAX_ATTACHMENTS,
    MAX_LINKS,
    MAX_MESSAGE_BYTES,
    Attachment,
    Finding,
    Hop,
    Link,
    MessageUnreadable,
    ReportedMessage,
)

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_LINKS",
    "MAX_MESSAGE_BYTES",
    "Attachment",
    "Finding",
    "Hop",
    "Link",
    "MessageUnreadable",
    "ReportedMessage",
    "campaign_key",
    "parse_headers",
    "parse_message",
    "parse_outlook_message",
]
