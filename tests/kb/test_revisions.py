"""Agents edit articles (portal editor or admin); every change is a revision that can be read and restored."""

import pytest

from kb.models import Article, Revision, Status
from kb.services import StaleEdit, article_restore, article_save
from tests.kb.helpers import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(sophie):
    return make_article("quota-plein", title="Boîte pleine", category="quota", body="Archivez.", by=sophie)


def test_each_save_records_who_changed_which_fields(article, sophie, alain):
    article.title = "Boîte pleine : que faire"
    article.body = "Archivez chaque année."
    revision = article_save(article=article, by=alain, note="Plus précis")
    assert (revision.number, revision.author, revision.note) == (2, alain, "Plus précis")
    assert revision.changed_fields == ["title", "body"]
    assert revision.snapshot["title"] == "Boîte pleine : que faire"
    first = article.revisions.get(number=1)
    assert (first.author, first.changed_fields[0]) == (sophie, "title")


def test_saving_without_a_change_records_nothing(article, sophie):
    assert article_save(article=article, by=sophie) is None
    assert article.revisions.count() == 1


def test_restoring_an_old_revision_brings_its_content_back_as_a_new_revision(article, sophie):
    article.body = "Texte abîmé par erreur."
    article_save(article=article, by=sophie)
    restored = article_restore(article=article, revision=article.revisions.get(number=1), by=sophie)
    article.refresh_from_db()
    assert article.body == "Archivez."
    assert "Archivez." in article.body_html
    assert restored.number == 3
    assert restored.changed_fields == ["body"]
    assert list(article.revisions.values_list("number", flat=True)) == [3, 2, 1]


def test_a_save_from_a_stale_page_is_refused(article, sophie):
    opened_at = article.version
    other = Article.objects.get(pk=article.pk)
    other.summary = "Changé par quelqu'un d'autre."
    article_save(article=other, by=sophie)
    article.title = "Ma modification"
    with pytest.raises(StaleEdit):
        article_save(article=article, by=sophie, base_version=opened_at)
    assert Article.objects.get(pk=article.pk).title == "Boîte pleine"


def test_the_editor_previews_without_saving_then_saves(client, article, sophie, sign_in):
    sign_in(client, sophie)
    form = client.get("/aide/quota-plein/modifier/")
    assert form.status_code == 200
    data = {
        "title": "Boîte pleine",
        "summary": "",
        "category": "quota",
        "audience": "public",
        "status": "published",
        "tags": "quota",
        "errors": "quota dépassé",
        "related": "",
        "body": "## Archiver\n\n<script>alert(1)</script>Archivez **chaque** année.",
        "note": "Ajout d'une section",
        "base_version": article.version,
    }
    preview = client.post("/aide/quota-plein/modifier/", {**data, "preview": "1"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "<h2>Archiver</h2>" in html and "<strong>chaque</strong>" in html
    assert "<script>alert(1)" not in html
    assert Article.objects.get(pk=article.pk).version == 1

    saved = client.post("/aide/quota-plein/modifier/", {**data, "save": "1"})
    assert saved.status_code == 302 and saved["Location"] == "/aide/quota-plein/"
    article.refresh_from_db()
    assert article.error_list == ["quota dépassé"]
    latest = article.revisions.first()
    assert (latest.author, latest.note) == (sophie, "Ajout d'une section")


def test_the_editor_refuses_a_stale_save_with_an_explanation(client, article, sophie, sign_in):
    sign_in(client, sophie)
    data = {
        "title": "Nouveau titre",
        "category": "quota",
        "audience": "public",
        "status": "published",
        "body": "Texte",
        "base_version": 0,
    }
    response = client.post("/en/aide/quota-plein/modifier/", {**data, "save": "1"})
    assert response.status_code == 200
    assert "Someone else changed this article" in response.content.decode()


def test_agents_create_a_draft_then_publish_it(client, sophie, sign_in):
    sign_in(client, sophie)
    data = {
        "slug": "nouvel-article-vpn",
        "language": "fr",
        "title": "Accès par le VPN",
        "category": "network",
        "audience": "staff",
        "status": "draft",
        "body": "Texte",
        "save": "1",
    }
    assert client.post("/aide/nouvel-article/", data).status_code == 302
    article = Article.objects.get(slug="nouvel-article-vpn")
    assert article.is_draft and article.published_at is None
    assert article.revisions.get().author == sophie


def test_the_history_lists_revisions_and_restores_one(client, article, sophie, sign_in):
    article.body = "Deuxième version."
    article_save(article=article, by=sophie)
    sign_in(client, sophie)
    history = client.get("/en/aide/quota-plein/historique/").content.decode()
    assert "Sophie Bernard" in history
    assert 'href="/en/aide/quota-plein/historique/1/"' in history
    revision_page = client.get("/en/aide/quota-plein/historique/1/").content.decode()
    assert "Archivez." in revision_page
    response = client.post("/en/aide/quota-plein/historique/1/restaurer/")
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == "Archivez." and article.version == 3


def test_editing_and_history_are_for_agents_only(client, article, marie, sign_in):
    sign_in(client, marie)
    for path in ("/aide/quota-plein/modifier/", "/aide/quota-plein/historique/", "/aide/nouvel-article/"):
        assert client.get(path).status_code == 403
    assert client.post("/aide/quota-plein/historique/1/restaurer/").status_code == 403
    assert Revision.objects.count() == 1


def test_an_admin_edit_is_a_revision_by_its_author(client, article, alain, sign_in):
    sign_in(client, alain)
    url = f"/admin/kb/article/{article.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "title": "Boîte pleine (admin)",
        "summary": "",
        "body": "Archivez.",
        "category": "quota",
        "audience": "public",
        "status": Status.PUBLISHED,
        "tags": "",
        "errors": "",
        "related": "",
        "revisions-TOTAL_FORMS": "1",
        "revisions-INITIAL_FORMS": "1",
        "revisions-MIN_NUM_FORMS": "0",
        "revisions-MAX_NUM_FORMS": "1000",
        "revisions-0-id": str(article.revisions.get().pk),
        "revisions-0-article": str(article.pk),
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    latest = Article.objects.get(pk=article.pk).revisions.first()
    assert (latest.number, latest.author, latest.changed_fields) == (2, alain, ["title"])
