"""Host names and registrable domains (the Public Suffix List), addresses written as IPs, and the domain a piece of
visible text claims to be."""

import ipaddress
import re

from publicsuffixlist import PublicSuffixList

from tickets.phishing.text import fold

_COMMON_TLDS = {"com", "net", "org", "info", "biz", "xyz", "top", "online", "site", "app", "io", "edu", "gov", "live"}
_COMMON_TLDS |= {"club", "shop", "store", "cloud", "email", "link", "click", "help", "support", "services", "page"}
_LEET = str.maketrans("013457$@", "oleastsa")
# The Public Suffix List (ICANN and private sections), as published with the publicsuffixlist package: where anyone
# may register a name (gouv.fr, co.uk, but also github.io or blogspot.com, whose sub-domains belong to different
# people).
_PUBLIC_SUFFIXES = PublicSuffixList()


def host_of(value: str) -> str:
    return value.strip().strip(".").lower()


def site_of(host: str) -> str:
    """The registrable domain of a host name, by the Public Suffix List: ``webmail.ac-exemple.fr`` →
    ``ac-exemple.fr``, ``evil.github.io`` → ``evil.github.io``. IPs and bare suffixes unchanged."""
    host = host_of(host)
    if not host or is_ip(host):
        return host
    return _PUBLIC_SUFFIXES.privatesuffix(host) or host


def is_ip(host: str) -> bool:
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        # Browsers also take 3232235777, 0xC0A80001 or 0300.0250.0.1 for an IPv4 address.
        return bool(re.fullmatch(r"(?:0x[0-9a-f]+|[0-9]+)(?:\.(?:0x[0-9a-f]+|[0-9]+)){0,3}", host, re.IGNORECASE))


def within(host: str, domains) -> bool:
    host = host_of(host)
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text).translate(_LEET))


def displayed_domain(text: str) -> str:
    """A domain the visible text displays (``https://webmail.ac-exemple.fr``, ``www.exemple.com``,
    ``ac-exemple.fr``), or "". Bare words with a dot count only with a country or a common top-level domain, so
    "M.Dupont" is not taken for a site."""
    for match in re.finditer(r"(?i)(https?://)?((?:[a-z0-9\u00c0-\uffff-]+\.)+[a-z\u00c0-\uffff-]{2,63})", text):
        scheme, domain = match.group(1), host_of(match.group(2))
        tld = domain.rsplit(".", 1)[-1]
        if scheme or domain.startswith("www.") or len(tld) == 2 or tld in _COMMON_TLDS or tld.startswith("xn--"):
            if match.start() > 0 and text[match.start() - 1] == "@" and not scheme:
                continue  # the domain of an e-mail address in the text, not a link target
            return domain
    return ""
