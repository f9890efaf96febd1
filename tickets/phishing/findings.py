"""The warnings in plain words: links that lead elsewhere than they say, senders pretending to be the organisation,
look-alike domains, dangerous attachments, failed authentication."""

import re

from django.conf import settings

from tickets.phishing.domains import displayed_domain, host_of, is_ip, site_of, squash, within
from tickets.phishing.headers import domain_of
from tickets.phishing.report import Finding, ReportedMessage
from tickets.phishing.text import fold

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
    if not host or within(host, organisation_domains) or is_ip(host):
        return ""
    squashed = squash(host)
    for domain in organisation_domains:
        site = site_of(domain)
        name = site.split(".")[0] if site.count(".") == 1 else site.rsplit(".", 2)[0]
        for needle in {squash(site), squash(name)}:
            if len(needle) >= 5 and needle in squashed:
                return domain
    return ""


def findings_of(
    report: ReportedMessage, form_hosts: list[str], organisation_domains: list[str], organisation_words: list[str]
) -> list[Finding]:
    findings: list[Finding] = []
    sender_site = site_of(report.sender_domain)

    if report.reply_to_address and report.sender_domain:
        reply_domain = domain_of(report.reply_to_address)
        if reply_domain and site_of(reply_domain) != sender_site:
            findings.append(
                Finding("reply_to_mismatch", (("reply_domain", reply_domain), ("sender_domain", report.sender_domain)))
            )

    display_name = report.sender_name
    if display_name and report.sender_address:
        shown = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", display_name) or None
        shown_domain = domain_of(shown.group(0)) if shown else displayed_domain(display_name)
        if shown_domain and site_of(shown_domain) != sender_site:
            findings.append(
                Finding(
                    "display_name_address",
                    (("shown", shown.group(0) if shown else shown_domain), ("address", report.sender_address)),
                )
            )
        if organisation_domains and report.sender_domain and not within(report.sender_domain, organisation_domains):
            folded = " ".join(re.sub(r"[^a-z0-9]+", " ", fold(display_name)).split())
            words = _SERVICE_WORDS | {fold(word) for word in organisation_words if len(word) >= 4}
            if any(re.search(rf"\b{re.escape(word)}\b", folded) for word in words):
                findings.append(
                    Finding("display_name_impersonation", (("name", display_name), ("domain", report.sender_domain)))
                )

    if organisation_domains:
        hosts = [report.sender_domain, domain_of(report.reply_to_address)]
        hosts += [link.domain for link in report.links]
        for host in dict.fromkeys(h for h in hosts if h):
            imitated = _lookalike(host, organisation_domains)
            if imitated:
                findings.append(Finding("lookalike_domain", (("domain", host), ("organisation", imitated))))

    for link in report.links:
        if link.mismatch:
            findings.append(Finding("link_mismatch", (("shown", displayed_domain(link.text)), ("domain", link.domain))))
        if is_ip(link.domain):
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


def organisation_of(organisation_domains) -> tuple[list[str], list[str]]:
    if organisation_domains is None:
        organisation_domains = getattr(settings, "GUICHET_ORGANISATION_MAIL_DOMAINS", [])
    domains = [host_of(domain) for domain in organisation_domains if host_of(domain)]
    return domains, list(getattr(settings, "GUICHET_ORGANISATION_WORDS", []))
