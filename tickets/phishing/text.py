"""Cleaning what a message says before anyone sees it: surrogates, control and bidirectional characters, length
caps, and the folded form the checks compare."""

import re
import unicodedata

from portal.web.text import strip_accents

_SURROGATES = re.compile(r"[\ud800-\udfff]")


def unsurrogate(text: str) -> str:
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


def plain_text(text, limit: int = 300) -> str:
    """One line of displayable plain text: no control, format (bidi override, zero-width) or private characters,
    whitespace collapsed, at most ``limit`` characters."""
    text = unicodedata.normalize("NFC", unsurrogate(str(text or "")))
    text = "".join(
        " " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch
        for ch in text
        if unicodedata.category(ch) not in {"Cf", "Co", "Cs"}
    )
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fold(text: str) -> str:
    """Lower case, accents removed."""
    return strip_accents(text.casefold())
