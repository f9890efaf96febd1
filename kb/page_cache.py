"""The parts of the article page that are the same for every reader of one kind, and the search and suggestion
answers (kb.search), kept in each web process and dropped as soon as any article or thesaurus concept changes.

The article page is the knowledge base's most read page, and most of it is the same for everyone who reads it in
one language with the same rights (anonymous, signed in, verified agent): the breadcrumb, the article, the link to
its translation, the related articles, the empty feedback form. Building that takes two queries through the ORM
and most of the page's rendering (the page took 5.8 ms in one process, 20,000 articles on PostgreSQL; 1.3 ms with
its parts kept): with them kept, a request costs one read of the shared cache and no query.

The parts are kept in each web process under the generation ``GENERATION_KEY`` (portal.web.kept): every save or
delete of an article or a thesaurus concept (``post_save``/``post_delete``, connected in ``KbConfig.ready``) makes
them stale in every process, and the related articles of every other page follow the edit too (a new article may be
the latest of its category).
"""

from collections.abc import Callable, Hashable

from portal.web.kept import Generation, Kept

GENERATION_KEY = "kb:articles:generation"
MAX_ENTRIES = 1000  # parts kept per process, the least recently used dropped first (about 10 KB each)
MAX_ANSWERS = 2000  # search and suggestion answers kept per process, likewise

ARTICLES = Generation(GENERATION_KEY)
PAGES = ARTICLES.store(MAX_ENTRIES)
# The search and suggestion answers (kb.search) apart: typing makes a new one at every pause, and they must not push
# the article pages out.
ANSWERS = ARTICLES.store(MAX_ANSWERS)


def current_generation() -> int | None:
    """The token parts are valid under now; None when the shared cache does not answer."""
    return ARTICLES.current()


def kept(key: Hashable, build: Callable, *, store: Kept = PAGES):
    """The part kept under ``key`` in ``store`` while no article changed, else ``build()`` (portal.web.kept)."""
    return ARTICLES.kept(key, build, store=store)


def articles_changed(sender=None, *, using=None, **kwargs) -> None:
    """Receiver of Article's and Concept's post_save and post_delete: every kept part is stale, now and once
    committed."""
    ARTICLES.changed(using=using)
