"""Markdown to sanitised HTML, and the plain text the search indexes.

Article bodies are written by agents and loaded from files, and may one day come from an import: the HTML is
always passed through nh3 (an allow-list sanitiser) after rendering, so no ``<script>``, no ``on*=`` handler, no
``style`` (the CSP forbids inline styles anyway) and no ``javascript:`` or ``data:`` link survives, whatever the
Markdown contains. Raw HTML in the Markdown is allowed to reach the sanitiser, which keeps only the allowed tags.

Two conventions of our own:

- ``[the words](article:slug)`` links to another article, in the language of the one being rendered
  (``/aide/slug/`` or ``/en/aide/slug/``), so a body links where it mentions another answer without spelling URLs.
- A table whose header is "Paramètre | Valeur" ("Setting | Value") is a settings table: it gets the class
  ``settings``, and the page adds a "Copy" button to each of its values (static/js/kb-copy.js). No other table does.
"""

import html
import re

import markdown
import nh3
from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from kb import text

ARTICLE_LINK = "article:"
# Header rows of a settings table (folded: lower case, no accents), in every language of the base.
SETTINGS_HEADERS = {("parametre", "valeur"), ("reglage", "valeur"), ("setting", "value")}

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "dl", "dt", "em", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
# Relative links (other articles, the portal's pages) are kept; absolute ones only with these schemes.
ALLOWED_SCHEMES = {"http", "https", "mailto", "tel"}
# Removed together with their content, not just unwrapped: their text is not meant to be read.
REMOVED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "textarea", "select"}

_BLOCK_END = re.compile(r"</(p|h[1-6]|li|tr|td|th|dt|dd|pre|blockquote|caption)>|<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v]+")


class _DemoteHeadings(Treeprocessor):
    """The article title is the page's only <h1>: body headings are shifted so the highest becomes <h2>."""

    def run(self, root):
        headings = [element for element in root.iter() if re.fullmatch(r"h[1-6]", element.tag)]
        if not headings:
            return
        shift = max(0, 2 - min(int(element.tag[1]) for element in headings))
        for element in headings:
            element.tag = f"h{min(6, int(element.tag[1]) + shift)}"


class _ArticleLinksAndSettingsTables(Treeprocessor):
    """``article:slug`` links become the article's address in ``language``; settings tables get their class."""

    def __init__(self, md, language: str):
        super().__init__(md)
        self.language = language

    def run(self, root):
        for element in root.iter("a"):
            href = element.get("href", "")
            if href.startswith(ARTICLE_LINK):
                element.set("href", article_url(href.removeprefix(ARTICLE_LINK), self.language))
        for table in root.iter("table"):
            header = [text.fold("".join(cell.itertext())).strip() for cell in table.iter("th")]
            if tuple(header[:2]) in SETTINGS_HEADERS and len(header) == 2:
                table.set("class", "settings")


class _GuichetExtension(Extension):
    def __init__(self, language: str):
        super().__init__()
        self.language = language

    def extendMarkdown(self, md):
        md.treeprocessors.register(_DemoteHeadings(md), "guichet_demote_headings", 5)
        md.treeprocessors.register(_ArticleLinksAndSettingsTables(md, self.language), "guichet_links_tables", 4)


def article_url(slug: str, language: str) -> str:
    """The address of an article in a language (an odd slug gives the help home, never an error).

    Built from the current language's address by swapping the language prefix (none for French, /en/ for English:
    portal.urls), rather than under translation.override: in a thread where no language was ever activated (a
    management command, the loader, a test) it leaves French active when it exits."""
    try:
        path = reverse("kb:article", kwargs={"slug": slug})
    except NoReverseMatch:
        path = reverse("kb:home")
    current = translation.get_language() or settings.LANGUAGE_CODE
    if current != settings.LANGUAGE_CODE:
        path = path.removeprefix(f"/{current}")
    return path if language == settings.LANGUAGE_CODE else f"/{language}{path}"


def article_links(source: str) -> list[str]:
    """The slugs ``source`` links to with ``article:`` (for the loader, which checks that they exist)."""
    return re.findall(r"\]\(" + re.escape(ARTICLE_LINK) + r"([^)\s]+)\)", source)


def render_markdown(source: str, *, language: str = "fr") -> str:
    """Sanitised HTML for an article body in ``language`` (safe to mark_safe)."""
    raw = markdown.markdown(
        text.clean(source),
        extensions=["tables", "fenced_code", "sane_lists", _GuichetExtension(language)],
        output_format="html",
    )
    return sanitise(raw)


def sanitise(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes={"table": {"settings"}},
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def plain_text(safe_html: str) -> str:
    """The readable text of rendered HTML, one line per block, for search snippets and the index."""
    with_breaks = _BLOCK_END.sub("\n", safe_html)
    unescaped = html.unescape(_TAG.sub("", with_breaks))
    lines = (_SPACES.sub(" ", line).strip() for line in text.clean(unescaped).split("\n"))
    return "\n".join(line for line in lines if line)
