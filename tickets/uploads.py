"""Attachments: accepted by their content, stored where no URL reaches them, and served so no browser runs them.

Contract for the views and the API:

1. ``check_count(adding=…, already=…)`` before reading anything, then ``inspect_upload(f)`` for each file. Both
   raise ``UploadRefused``; show ``.message`` to the person (plain text, translated, names the file) and keep
   ``.code`` for logs and the API.
2. ``save_upload(f, checked)`` (or ``private_storage.save(stored_name(checked), f)``) stores the bytes under a random
   name in ``GUICHET_PRIVATE_MEDIA_ROOT``. Keep ``checked.content_type``, ``.original_name``, ``.size``, ``.sha256``
   and the stored name on the model; never the browser's content type, never a path built from the person's name.
3. ``attachment_response(...)`` is the only way back out, after the view's own access check.

What is accepted, decided from the bytes alone (the name and the browser's type play no part):

- images: PNG, JPEG, GIF (87a/89a), WebP: served as what they are, inline only on request;
- PDF (``%PDF-`` at offset 0);
- e-mail files: text that starts with an RFC 5322 header block holding ``From:`` and at least two of ``Date:``,
  ``Subject:``, ``Received:``, ``Message-ID:``, ``To:``, ``MIME-Version:``, ``Return-Path:``; or an Outlook item
  (``.msg``): an OLE compound file with the message property stream and a message class ``IPM.…`` (a Word or
  Excel file is a compound file too, and is refused);
- plain text: UTF-8 (BOM allowed), or Windows-1252 (what French Windows tools still write), without NUL or other
  control bytes.

Everything else is refused, and a "text" file that opens with markup a browser would sniff as HTML, SVG or XML
(``<html``, ``<!doctype``, ``<svg``, ``<?xml``, ``<script``, ``<body``, ``<iframe``, ``<!--``…) or with a ``#!``
script line is refused explicitly, whatever its name. Executables, archives and office files fail every test above
(binary, no known signature) and are refused as well.

Polyglots: a GIF (or PNG, JPEG…) whose bytes also contain ``<script>`` is accepted as an image. The bytes are only
ever served as the image type we detected, with ``nosniff``, ``Content-Security-Policy: sandbox`` and a download
name ending in the image's extension, so no browser and no desktop will treat them as a page. Scanning image data
for markup would be easy to evade (compressed or encoded payloads) and would refuse legitimate pictures whose
metadata (XMP) is XML.
"""

import codecs
import hashlib
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

KIND_IMAGE = "image"
KIND_PDF = "pdf"
KIND_EMAIL = "email"
KIND_TEXT = "text"

OUTLOOK_MESSAGE = "application/vnd.ms-outlook"
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
TEXT_UTF8 = "text/plain; charset=utf-8"
TEXT_WINDOWS_1252 = "text/plain; charset=windows-1252"

# Detected content type → (kind, canonical extension). The only types that are ever stored or served.
ACCEPTED_TYPES = {
    "image/png": (KIND_IMAGE, "png"),
    "image/jpeg": (KIND_IMAGE, "jpg"),
    "image/gif": (KIND_IMAGE, "gif"),
    "image/webp": (KIND_IMAGE, "webp"),
    "application/pdf": (KIND_PDF, "pdf"),
    "message/rfc822": (KIND_EMAIL, "eml"),
    OUTLOOK_MESSAGE: (KIND_EMAIL, "msg"),
    TEXT_UTF8: (KIND_TEXT, "txt"),
    TEXT_WINDOWS_1252: (KIND_TEXT, "txt"),
}
# Other names a person may give a file of that type; any other extension gets the canonical one appended on download.
_EXTENSION_ALIASES = {"jpg": {"jpeg", "jpe", "jfif"}, "txt": {"log", "text", "csv", "md"}}

MAX_NAME_LENGTH = 150
_CHUNK = 64 * 1024
_HEAD = 64 * 1024  # bytes kept to decide the type; the rest is only hashed and checked as it streams past

# Markup a browser's MIME sniffer (WHATWG "identifying a resource with an unknown MIME type") would take for HTML,
# plus SVG and XML. Matched case-insensitively after leading whitespace; a tag must end with a space, ">" or "/".
_MARKUP_TAGS = ("!doctype", "html", "head", "script", "iframe", "h1", "div", "font", "table", "a", "style", "title")
_MARKUP_TAGS += ("b", "body", "br", "p", "svg", "xml", "xsl", "math", "object", "embed", "meta", "link", "form")
_MARKUP_START = re.compile(r"<(?:" + "|".join(_MARKUP_TAGS) + r")(?:[\s>/]|$)|<!--|<\?xml", re.IGNORECASE)
# Control characters that never belong in a text file (tab, line feed, form feed and carriage return do).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# RFC 5322 header field name, then a colon.
_HEADER_LINE = re.compile(rb"^([!-9;-~]+)[ \t]*:")
_MAIL_HEADERS = {b"date", b"subject", b"received", b"message-id", b"to", b"mime-version", b"return-path"}


class UploadRefused(Exception):
    """An attachment we will not keep. ``message`` is for the person (plain text); ``code`` is stable."""

    CODES = ("too_large", "empty", "type", "count", "name")

    def __init__(self, message: str, *, code: str):
        assert code in self.CODES, code
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self):
        return str(self.message)


@dataclass(frozen=True)
class CheckedUpload:
    original_name: str  # display only: sanitised, never used to build a path
    content_type: str  # what the bytes are, as we detected it; a key of ACCEPTED_TYPES
    extension: str  # canonical for content_type, without the dot
    size: int
    sha256: str  # hex
    kind: str  # "image" | "pdf" | "email" | "text"


# --- Names -----------------------------------------------------------------------------------------------------------

# Characters that change how a name is displayed or interpreted: control and format characters (including the
# right-to-left override that turns "exe.pdf" around) and path separators of every platform.
_NAME_DROP = re.compile(r"[/\\\x00-\x1f\x7f-\x9f]")


def clean_filename(name: str, *, max_length: int = MAX_NAME_LENGTH) -> str:
    """The person's file name, safe to display: last path component only, no control or format characters, no
    path separators, no leading dots, at most ``max_length`` characters (extension kept). Accents are kept.
    "" when nothing usable remains."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
    name = _NAME_DROP.sub("", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > max_length:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10 and stem:
            name = stem[: max_length - len(extension) - 1].rstrip(" .") + "." + extension
        else:
            name = name[:max_length].rstrip(" .")
    return name


def download_name(name: str, content_type: str) -> str:
    """The name a download gets: the display name, ending with an extension of the type we detected (a PNG
    called "page.html" downloads as "page.html.png", so no desktop opens it as a page)."""
    extension = ACCEPTED_TYPES.get(content_type, (None, "bin"))[1]
    name = clean_filename(name) or "attachment"
    current = name.rpartition(".")[2].lower() if "." in name else ""
    if current != extension and current not in _EXTENSION_ALIASES.get(extension, ()):
        name = f"{name}.{extension}"
    return name


# --- Checking --------------------------------------------------------------------------------------------------------


def check_count(*, adding: int, already: int = 0) -> None:
    """Refuse a submission with more files than ``GUICHET_ATTACHMENT_MAX_COUNT``, or one that would take the
    ticket over ``GUICHET_ATTACHMENT_MAX_PER_TICKET`` (``already``: attachments the ticket holds)."""
    per_submission = settings.GUICHET_ATTACHMENT_MAX_COUNT
    per_ticket = settings.GUICHET_ATTACHMENT_MAX_PER_TICKET
    if adding > per_submission:
        raise UploadRefused(
            ngettext(
                "You can attach at most %(max)d file at a time; you chose %(count)d. Remove some and try again.",
                "You can attach at most %(max)d files at a time; you chose %(count)d. Remove some and try again.",
                per_submission,
            )
            % {"max": per_submission, "count": adding},
            code="count",
        )
    if already + adding > per_ticket:
        room = max(per_ticket - already, 0)
        raise UploadRefused(
            ngettext(
                "A request can hold at most %(max)d attachment and this one already has %(already)d: "
                "you can add %(room)d more.",
                "A request can hold at most %(max)d attachments and this one already has %(already)d: "
                "you can add %(room)d more.",
                per_ticket,
            )
            % {"max": per_ticket, "already": already, "room": room},
            code="count",
        )


def _refused_type(name: str) -> UploadRefused:
    return UploadRefused(
        _(
            "“%(name)s” was refused: only images (PNG, JPEG, GIF, WebP), PDF, e-mail files (.eml or Outlook .msg) "
            "and plain text are accepted."
        )
        % {"name": name},
        code="type",
    )


def inspect_upload(uploaded_file, *, max_bytes: int | None = None) -> CheckedUpload:
    """Read ``uploaded_file`` (a Django ``UploadedFile``) once, in chunks, and say what it really is.

    Raises ``UploadRefused`` (codes ``name``, ``too_large``, ``empty``, ``type``). Reads at most ``max_bytes`` + 1
    bytes (default ``GUICHET_ATTACHMENT_MAX_BYTES``), 64 KiB at a time, and keeps only the first 64 KiB to decide
    the type; the rest is hashed and checked as it streams past. Leaves the file rewound for saving.
    """
    limit = settings.GUICHET_ATTACHMENT_MAX_BYTES if max_bytes is None else max_bytes
    name = clean_filename(getattr(uploaded_file, "name", "") or "")
    if not name:
        raise UploadRefused(
            _("An attachment has no usable file name; rename it (letters and digits are enough) and try again."),
            code="name",
        )
    too_large = UploadRefused(
        _(
            "“%(name)s” was refused: it is larger than %(max)s. Send a smaller file, or a screenshot of the part "
            "that matters."
        )
        % {"name": name, "max": filesizeformat(limit)},
        code="too_large",
    )
    announced = getattr(uploaded_file, "size", None)
    if isinstance(announced, int) and announced > limit:
        raise too_large

    digest = hashlib.sha256()
    text = _TextCheck()
    head = bytearray()
    whole = bytearray()  # kept only for a compound file, whose type is in its directory, not its first bytes
    size = 0
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    while chunk := uploaded_file.read(min(_CHUNK, limit + 1 - size)):
        size += len(chunk)
        if size > limit:  # one byte past the limit is enough to know
            raise too_large
        digest.update(chunk)
        text.feed(chunk)
        if len(head) < _HEAD:
            head += chunk[: _HEAD - len(head)]
        if head.startswith(OLE_SIGNATURE):
            whole += chunk
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    if size == 0:
        raise UploadRefused(
            _("“%(name)s” was refused: the file is empty. Check that you picked the right one.") % {"name": name},
            code="empty",
        )

    content_type = _binary_type(bytes(head)) or _outlook_type(bytes(whole)) or _text_type(bytes(head), text)
    if content_type is None:
        raise _refused_type(name)
    kind, extension = ACCEPTED_TYPES[content_type]
    return CheckedUpload(
        original_name=name,
        content_type=content_type,
        extension=extension,
        size=size,
        sha256=digest.hexdigest(),
        kind=kind,
    )


def _binary_type(head: bytes) -> str | None:
    """The image or PDF type whose signature ``head`` starts with, checked a little beyond the magic number."""
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        return "image/png"
    if head.startswith(b"\xff\xd8\xff") and len(head) > 3 and head[3] >= 0xC0:
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 13:
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP" and head[12:15] == b"VP8":
        return "image/webp"
    if re.match(rb"%PDF-\d", head):
        return "application/pdf"
    return None


def _outlook_type(data: bytes) -> str | None:
    """OUTLOOK_MESSAGE for an Outlook item: a compound file with the message property stream and a message class
    ``IPM.…`` (IPM.Note for a mail). olefile only reads the directory and one short stream."""
    if not data.startswith(OLE_SIGNATURE):
        return None
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            if not ole.exists("__properties_version1.0"):
                return None
            for stream, encoding in (("__substg1.0_001A001F", "utf-16-le"), ("__substg1.0_001A001E", "cp1252")):
                if ole.exists(stream):
                    message_class = ole.openstream(stream).read(256).decode(encoding, "ignore")
                    return OUTLOOK_MESSAGE if message_class.upper().startswith("IPM.") else None
    except Exception:
        return None
    return None


class _TextCheck:
    """Follows the whole stream: is it UTF-8, or at least Windows-1252, and free of control bytes?"""

    def __init__(self):
        self._utf8 = codecs.getincrementaldecoder("utf-8")("strict")
        self.utf8 = True
        self.windows_1252 = True

    def feed(self, chunk: bytes) -> None:
        if b"\x00" in chunk:
            self.utf8 = self.windows_1252 = False
        if self.utf8:
            try:
                if _CONTROL.search(self._utf8.decode(chunk)):
                    self.utf8 = False
            except UnicodeDecodeError:
                self.utf8 = False
        if self.windows_1252:
            try:
                if _CONTROL.search(chunk.decode("cp1252")):
                    self.windows_1252 = False
            except UnicodeDecodeError:  # the five bytes Windows-1252 leaves undefined
                self.windows_1252 = False

    @property
    def encoding(self) -> str | None:
        if self.utf8:
            try:
                self._utf8.decode(b"", final=True)  # a sequence cut at the very end
            except UnicodeDecodeError:
                self.utf8 = False
        if self.utf8:
            return "utf-8"
        return "cp1252" if self.windows_1252 else None


def _text_type(head: bytes, text: _TextCheck) -> str | None:
    encoding = text.encoding
    if encoding is None:
        return None
    # The head may end inside a UTF-8 sequence: ignore that tail; the whole stream was checked strictly above.
    start = head.removeprefix(codecs.BOM_UTF8).decode(encoding, "ignore").lstrip()
    if _MARKUP_START.match(start) or start.startswith("#!"):
        return None
    if _looks_like_mail(head.removeprefix(codecs.BOM_UTF8)):
        return "message/rfc822"
    return TEXT_UTF8 if encoding == "utf-8" else TEXT_WINDOWS_1252


def _looks_like_mail(head: bytes) -> bool:
    """An RFC 5322 header block from the first line: header fields (folded lines allowed) up to an empty line or
    the end of what we read. An mbox "From " separator line before it is allowed (Thunderbird exports)."""
    lines = head.splitlines()
    if lines and lines[0].startswith(b"From "):
        lines = lines[1:]
    names: set[bytes] = set()
    for index, line in enumerate(lines):
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t") and index > 0:
            continue
        match = _HEADER_LINE.match(line)
        if not match:
            return False
        names.add(match.group(1).lower())
    return b"from" in names and len(names & _MAIL_HEADERS) >= 2


# --- Storage ---------------------------------------------------------------------------------------------------------


def _served_directories() -> list[Path]:
    served = [*getattr(settings, "STATICFILES_DIRS", []), getattr(settings, "STATIC_ROOT", None)]
    served += [getattr(settings, "MEDIA_ROOT", None), getattr(settings, "WHITENOISE_ROOT", None)]
    directories = []
    for entry in served:
        if isinstance(entry, tuple | list):  # STATICFILES_DIRS entries may be (prefix, path)
            entry = entry[-1]
        if entry:
            directories.append(Path(entry).resolve())
    return directories


def private_root() -> Path:
    """``GUICHET_PRIVATE_MEDIA_ROOT``, refused when it is inside (or contains) a directory the site serves."""
    root = Path(settings.GUICHET_PRIVATE_MEDIA_ROOT).resolve()
    for served in _served_directories():
        if root.is_relative_to(served) or served.is_relative_to(root):
            raise ImproperlyConfigured(
                f"GUICHET_PRIVATE_MEDIA_ROOT ({root}) overlaps {served}, which the site serves; move it outside."
            )
    return root


def check_private_media(app_configs=None, **kwargs):
    """A Django system check for ``TicketsConfig.ready()`` (``checks.register(check_private_media)``): fails
    ``manage.py check`` and start-up when ``GUICHET_PRIVATE_MEDIA_ROOT`` overlaps a served directory."""
    from django.core import checks

    try:
        private_root()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="tickets.E001")]
    return []


@deconstructible(path="tickets.uploads.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    """File storage in ``GUICHET_PRIVATE_MEDIA_ROOT``: directories 0700, files 0600, created on first save, and no
    URL (``url()`` raises): files only leave through ``attachment_response`` after an access check."""

    def __init__(self):
        super().__init__(file_permissions_mode=0o600, directory_permissions_mode=0o700)

    @property
    def base_location(self):
        return str(private_root())

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private attachments have no URL; serve them with tickets.uploads.attachment_response().")

    def _save(self, name, content):
        root = Path(self.location)
        if not root.is_dir():
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
        return super()._save(name, content)


private_storage = PrivateStorage()


def get_private_storage() -> PrivateStorage:
    """For ``FileField(storage=get_private_storage)``: migrations then refer to this function, not to a path."""
    return private_storage


def stored_name(checked: CheckedUpload) -> str:
    """A fresh random name such as ``2026/11/3f2a….png``: year and month of storage, a uuid4, the canonical
    extension of the detected type. Nothing of the person's file name goes into it."""
    now = timezone.now()
    return f"{now:%Y}/{now:%m}/{uuid.uuid4().hex}.{checked.extension}"


def save_upload(uploaded_file, checked: CheckedUpload) -> str:
    """Store the checked file in the private storage under ``stored_name(checked)``; returns the stored name."""
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    return private_storage.save(stored_name(checked), uploaded_file)


# --- Serving ---------------------------------------------------------------------------------------------------------

# Types a browser may show in the page (as <img> or in its PDF viewer) when the view asks for it.
_INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}


def _ascii_fallback(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9._ -]", "_", folded).strip() or "attachment"


def attachment_response(*, file, checked_name: str, content_type: str, inline: bool = False) -> FileResponse:
    """Stream a stored attachment. ``checked_name`` is the stored display name, ``content_type`` the stored detected
    type; anything outside ``ACCEPTED_TYPES`` is sent as ``application/octet-stream``, so text/html never is.

    Always a download unless ``inline=True`` and the type is an image or PDF. The download name ends with the
    detected type's extension. The headers forbid sniffing, scripts, caching and use from other sites. Note: with
    ``sandbox`` some browsers refuse to show a PDF inline and offer the download instead.
    """
    if content_type not in ACCEPTED_TYPES:
        content_type = "application/octet-stream"
    disposition = "inline" if inline and content_type in _INLINE_TYPES else "attachment"
    name = download_name(checked_name, content_type)
    response = FileResponse(file, content_type=content_type)
    response["Content-Disposition"] = (
        f"{disposition}; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Referrer-Policy"] = "no-referrer"
    return response
