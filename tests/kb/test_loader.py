"""Articles come from Markdown files; loading again never overwrites what agents changed in the portal."""

import shutil

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from kb.loader import ContentError, load_articles, parse_file
from kb.models import Article
from kb.services import article_save
from tests.kb.helpers import FIXTURES

pytestmark = pytest.mark.django_db


@pytest.fixture
def content(tmp_path):
    directory = tmp_path / "content"
    shutil.copytree(FIXTURES, directory)
    return directory


def test_the_files_become_published_articles_linked_by_slug(content):
    report = load_articles(directory=content)
    assert sorted(report.created) == ["erreur-token-badvalue.fr", "mot-de-passe-oublie.en", "mot-de-passe-oublie.fr"]
    article = Article.objects.get(slug="mot-de-passe-oublie", language="fr")
    assert article.title == "Mot de passe oublié ou expiré"
    assert (article.category, article.audience, article.status) == ("password", "public", "published")
    assert article.tag_list == ["mot de passe", "réinitialisation", "expiration"]
    assert article.error_list == ["identifiant incorrect", "mot de passe expiré"]
    assert article.related_slugs == ["erreur-token-badvalue", "parametres-serveurs"]
    assert "<strong>oublié</strong>" in article.body_html
    assert Article.objects.get(slug="mot-de-passe-oublie", language="en").title == "Forgotten or expired password"
    revision = article.revisions.get()
    assert revision.author is None and "mot-de-passe-oublie.fr.md" in revision.note
    assert report.warnings == ["mot-de-passe-oublie.fr.md: related article 'parametres-serveurs' does not exist (yet)"]


def test_loading_twice_changes_nothing(content):
    load_articles(directory=content)
    versions = dict(Article.objects.values_list("pk", "version"))
    report = load_articles(directory=content)
    assert report.created == report.updated == report.kept == []
    assert len(report.unchanged) == 3
    assert dict(Article.objects.values_list("pk", "version")) == versions


def test_a_changed_file_updates_an_article_nobody_edited(content):
    load_articles(directory=content)
    path = content / "erreur-token-badvalue.fr.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Fermez tous", "Fermez d'abord tous"), encoding="utf-8")
    report = load_articles(directory=content)
    assert report.updated == ["erreur-token-badvalue.fr"]
    article = Article.objects.get(slug="erreur-token-badvalue")
    assert "Fermez d'abord tous" in article.body
    assert article.revisions.first().changed_fields == ["body"]


def test_an_article_edited_in_the_portal_is_never_overwritten(content, sophie):
    load_articles(directory=content)
    article = Article.objects.get(slug="mot-de-passe-oublie", language="fr")
    article.summary = "Résumé revu par le support."
    article_save(article=article, by=sophie)
    path = content / "mot-de-passe-oublie.fr.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Étapes", "Les étapes"), encoding="utf-8")
    report = load_articles(directory=content)
    assert report.kept == ["mot-de-passe-oublie.fr"]
    assert "kept as edited in the portal" in report.summary()
    article.refresh_from_db()
    assert article.summary == "Résumé revu par le support."
    assert "Les étapes" not in article.body


def test_an_article_created_in_the_portal_is_kept(content, sophie):
    from tests.kb.helpers import make_article

    make_article("erreur-token-badvalue", title="Écrit dans le portail", by=sophie)
    report = load_articles(directory=content)
    assert report.kept == ["erreur-token-badvalue.fr"]
    assert Article.objects.get(slug="erreur-token-badvalue").title == "Écrit dans le portail"


def test_missing_files_appearing_later_are_created(content):
    (content / "erreur-token-badvalue.fr.md").rename(content.parent / "later.md")
    load_articles(directory=content)
    (content.parent / "later.md").rename(content / "erreur-token-badvalue.fr.md")
    assert load_articles(directory=content).created == ["erreur-token-badvalue.fr"]


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("Mauvais Nom.md", "---\ntitle: x\n---\nx", "the file name must be"),
        ("sans-entete.fr.md", "Pas d'en-tête", "must start with a '---' line"),
        ("non-ferme.fr.md", "---\ntitle: x\ncategory: password\n", "not closed"),
        ("categorie.fr.md", "---\ntitle: x\ncategory: meteo\naudience: public\n---\nTexte", "unknown category 'meteo'"),
        ("public.fr.md", "---\ntitle: x\ncategory: sso\naudience: tous\n---\nTexte", "unknown audience 'tous'"),
        ("cle.fr.md", "---\ntitle: x\ncategory: sso\naudience: public\nauteur: moi\n---\nT", "unknown header key"),
        ("vide.fr.md", "---\ntitle: x\ncategory: sso\naudience: public\n---\n  \n", "no text after the header"),
        ("titre.fr.md", "---\ncategory: sso\naudience: public\n---\nTexte", "'title' is missing"),
        ("long.fr.md", "---\ntitle: " + "x" * 250 + "\ncategory: sso\naudience: public\n---\nT", "title"),
        ("contact.fr.md", "---\ntitle: x\ncategory: sso\naudience: public\n---\nT", "used by a page"),
    ],
)
def test_a_bad_file_is_reported_by_name_and_nothing_is_loaded(content, name, text, problem):
    (content / name).write_text(text, encoding="utf-8")
    # As the management command runs it: translations off, so the model's messages read in English too (this test
    # used to pass only after another test had left English active).
    with pytest.raises(ContentError) as error, translation.override(None):
        load_articles(directory=content)
    assert any(line.startswith(name) and problem in line for line in error.value.problems), error.value.problems
    assert not Article.objects.exists()


def test_the_command_reports_and_fails_with_the_file_name(content, capsys):
    call_command("load_kb", "--directory", str(content))
    assert "3 created" in capsys.readouterr().out
    (content / "casse.fr.md").write_text("---\ntitle: x\n---\nx", encoding="utf-8")
    with pytest.raises(CommandError, match=r"casse\.fr\.md: 'category' is missing"):
        call_command("load_kb", "--directory", str(content))


def test_check_mode_writes_nothing(content, capsys):
    call_command("load_kb", "--directory", str(content), "--check")
    assert "Check only" in capsys.readouterr().out
    assert not Article.objects.exists()


def test_windows_line_endings_and_a_byte_order_mark_are_accepted(content):
    path = content / "mot-de-passe-oublie.en.md"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert parse_file(path).fields["title"] == "Forgotten or expired password"


def test_the_real_content_directory_loads(settings):
    """The articles shipped in kb/content/ are valid (whatever their number while they are being written)."""
    from kb.loader import DEFAULT_DIRECTORY

    if not any(DEFAULT_DIRECTORY.glob("*.md")):
        pytest.skip("no article in kb/content/ yet")
    report = load_articles(directory=DEFAULT_DIRECTORY)
    assert report.created
    assert Article.objects.filter(audience="agents").exists()


def test_load_demo_loads_the_knowledge_base(capsys):
    from kb.loader import DEFAULT_DIRECTORY

    call_command("load_demo")
    output = capsys.readouterr().out
    assert "Knowledge base:" in output
    assert Article.objects.count() == len(list(DEFAULT_DIRECTORY.glob("*.md")))
