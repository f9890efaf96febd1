"""Which reports belong to one campaign: a key from the sender's site, the subject without reply prefixes and the
links' sites."""

import hashlib
import re

from tickets.phishing.domains import host_of, site_of
from tickets.phishing.report import ReportedMessage
from tickets.phishing.text import fold

_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|tr|fw|fwd|aw|wg|rv|sv)\s*(?:\[\d+\])?\s*:|\[[^\]]{0,40}\])\s*", re.I)


def _normalised_subject(subject: str, recipients: list[tuple[str, str]]) -> str:
    subject = subject or ""
    while True:
        stripped = _REPLY_PREFIX.sub("", subject, count=1)
        if stripped == subject:
            break
        subject = stripped
    folded = fold(subject)
    personal: set[str] = set()
    for display, address in recipients:
        local = fold(address.partition("@")[0])
        personal.update({fold(address), local})
        personal.update(re.split(r"[._+\-]+", local))
        personal.update(re.split(r"[\s,]+", fold(display)))
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
    sites = sorted({site_of(link.domain) for link in message.links if link.domain}) if include_links else []
    material = "\x1f".join(["v1", host_of(message.sender_domain), subject, ",".join(sites)])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]
