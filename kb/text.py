"""Text normalisation shared by the search backends: accent folding, words, stop words and a light stemmer.

PostgreSQL does the same work with its ``unaccent`` dictionary and the Snowball stemmers; this module is the
portable twin used by the Python fallback (SQLite, tests) and to build ``Article.match_text``. It needs to agree
with itself, not with Snowball: both the articles and the queries go through it.
"""

import re

from portal.web.text import strip_accents

# Characters a person types or pastes that must never reach the database or a pattern: NUL and other controls, and
# the private-use marks the search uses to delimit highlights.
HIGHLIGHT_START = "\ue000"
HIGHLIGHT_STOP = "\ue001"
_UNWANTED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ue000\ue001]")
_WORD = re.compile(r"[a-z0-9]+")
# NFKD splits "é" into "e" and a combining accent, but leaves these ligatures and letters whole.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o", "’": "'"})

FRENCH_STOP_WORDS = frozenset({
    "a", "afin", "ai", "au", "aux", "avec", "avez", "avoir", "c", "ce", "ces", "cet", "cette", "comment", "d",
    "dans", "de", "des", "du", "elle", "en", "est", "et", "il", "ils", "j", "je", "l", "la", "le", "les",
    "leur", "lui", "m", "ma", "me", "mes", "mon", "n", "ne", "nous", "on", "ou", "par", "pas", "peut", "plus",
    "pour", "qu", "que", "qui", "quoi", "s", "sa", "se", "ses", "si", "son", "sont", "sur", "t", "ta", "te",
    "tes", "ton", "tu", "un", "une", "vos", "votre", "vous", "y",
    # Words of a sentence that say nothing about the problem ("depuis ce matin, que faire ?"): in a long question
    # they would otherwise weigh as rare words.
    "alors", "aussi", "avait", "bien", "ca", "car", "cela", "ceci", "comme", "deja", "depuis", "dois", "doit",
    "donc", "dont", "encore", "es", "etait", "etre", "faire", "fais", "fait", "faut", "lorsque", "mais", "meme",
    "ni", "ont", "peux", "pouvez", "puis", "quand", "quel", "quelle", "quelles", "quels", "suis", "tout", "toute",
    "toutes", "tous", "tres", "veux", "voudrais", "hier", "aujourd", "hui", "matin", "soir",
    # The rest of PostgreSQL's French list (Snowball's, folded): the words its index never holds, so that the
    # Python backend drops them too and both answer the same.
    "aie", "aient", "aies", "ait", "as", "aura", "aurai", "auraient", "aurais", "aurait", "auras", "aurez",
    "auriez", "aurions", "aurons", "auront", "avaient", "avais", "aviez", "avions", "avons", "ayant", "ayante",
    "ayantes", "ayants", "ayez", "ayons", "etaient", "etais", "etant", "etante", "etantes", "etants", "ete", "etee",
    "etees", "etes", "etiez", "etions", "eu", "eue", "eues", "eumes", "eurent", "eus", "eusse", "eussent", "eusses",
    "eussiez", "eussions", "eut", "eutes", "eux", "fumes", "furent", "fus", "fusse", "fussent", "fusses", "fussiez",
    "fussions", "fut", "futes", "moi", "nos", "notre", "sera", "serai", "seraient", "serais", "serait", "seras",
    "serez", "seriez", "serions", "serons", "seront", "soient", "sois", "soit", "sommes", "soyez", "soyons", "toi",
})  # fmt: skip
ENGLISH_STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "cannot", "do", "does", "for", "from", "how", "i",
    "if", "in", "into", "is", "it", "its", "my", "no", "not", "of", "on", "or", "our", "so", "that", "the",
    "their", "this", "to", "was", "what", "when", "where", "why", "will", "with", "you", "your",
    # As in French: the words of a sentence that say nothing about the problem, and the pieces of contractions.
    "again", "all", "also", "am", "any", "anymore", "been", "could", "did", "didn", "don", "even", "has", "have",
    "had", "im", "isn", "just", "m", "me", "now", "re", "s", "should", "some", "still", "t", "there", "very",
    "ve", "wasn", "which", "who", "would", "doesn", "won", "aren", "yesterday", "today", "morning", "tonight",
    "since",
    # The rest of PostgreSQL's English list (Snowball's), as for French.
    "about", "above", "after", "against", "because", "before", "being", "below", "between", "both", "but", "doing",
    "down", "during", "each", "few", "further", "having", "he", "her", "here", "hers", "herself", "him", "himself",
    "his", "itself", "more", "most", "myself", "nor", "off", "once", "only", "other", "ours", "ourselves", "out",
    "over", "own", "same", "she", "such", "than", "theirs", "them", "themselves", "then", "these", "they", "those",
    "through", "too", "under", "until", "up", "we", "were", "while", "whom", "yours", "yourself", "yourselves",
})  # fmt: skip
STOP_WORDS = {"fr": FRENCH_STOP_WORDS, "en": ENGLISH_STOP_WORDS}

# Longest first; a suffix is removed only if at least MIN_STEM letters remain. Applied to folded words, so "é" is
# already "e". The aim is that singular/plural and masculine/feminine forms and the common noun/verb endings meet:
# oublié, oubliés, oublier → oubli; sécurité, sécurités → secur; connexions → connexion.
FRENCH_SUFFIXES = (
    "issements", "issement", "atrices", "ateurs", "ations", "ements", "atrice", "ateur", "ation", "ement",
    "ances", "ences", "ables", "ismes", "istes", "euses", "ance", "ence", "able", "isme", "iste", "euse",
    "ites", "ite", "ees", "ee", "es", "er", "ez", "e", "s", "x",
)  # fmt: skip
ENGLISH_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s")
SUFFIXES = {"fr": FRENCH_SUFFIXES, "en": ENGLISH_SUFFIXES}
MIN_STEM = 3


def clean(text: str) -> str:
    """Remove control characters and highlight marks; everything typed or stored passes through here first."""
    return _UNWANTED.sub(" ", text)


def fold(text: str) -> str:
    """Lower case without accents: "Sécurité Œuvre" → "securite oeuvre"."""
    return strip_accents(clean(text).translate(_LIGATURES)).lower()


def words(text: str) -> list[str]:
    """The folded words of a text, in order (apostrophes and punctuation separate words)."""
    return _WORD.findall(fold(text))


def stem(word: str, language: str = "fr") -> str:
    """A light suffix stemmer for a folded word (see FRENCH_SUFFIXES)."""
    if word.isdigit():
        return word
    for suffix in SUFFIXES.get(language, FRENCH_SUFFIXES):
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            if language == "en" and suffix in ("ies", "ied"):
                return word[: -len(suffix)] + "y"
            return word[: -len(suffix)]
    return word


def terms(text: str, language: str = "fr") -> list[str]:
    """Stems of the meaningful words of a text, in order, stop words left out."""
    stop_words = STOP_WORDS.get(language, FRENCH_STOP_WORDS)
    return [stem(word, language) for word in words(text) if word not in stop_words]
