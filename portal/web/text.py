"""Text normalisation that several apps need to agree on."""

import unicodedata


def strip_accents(text: str) -> str:
    """``text`` without its accents: "Sécurité" → "Securite" (compatibility decomposition, combining marks dropped).

    Case and everything else are the caller's: passwords compare folded words, the phishing checks and the search
    each add their own cleaning around it (kb/text.py also spells out the ligatures NFKD leaves whole)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
