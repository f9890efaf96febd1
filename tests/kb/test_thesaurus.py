"""The words people use: synonyms from the thesaurus, rare words above common ones, "did you mean", the other
language's answers, and the hint that signing in shows more. Each runs on both search backends."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from kb.models import Article, Concept, Term
from kb.search import search_articles, search_page
from kb.thesaurus import load_thesaurus, phrase_index, query_groups
from kb.vocabulary import vocabulary_rebuild
from tests.kb.helpers import corpus, make_article, slugs

pytestmark = pytest.mark.django_db

ANONYMOUS = AnonymousUser()


def concept(name, *terms, language="fr"):
    return Concept.objects.create(language=language, name=name, terms="\n".join(terms))


@pytest.fixture
def lock_articles():
    make_article("compte-bloque", title="Compte bloqué après plusieurs échecs", body="Attendez la fin du blocage.")
    make_article("mot-de-passe", title="Changer son mot de passe", body="Le compte et le mot de passe.")


def test_a_synonym_finds_the_article_that_uses_the_other_word_and_an_edit_applies_at_once(backend, lock_articles):
    def found():
        return slugs(search_articles(query="verrouillé", user=ANONYMOUS, language="fr", backend=backend))

    assert found() == []
    bloque = concept("bloqué", "bloqué", "verrouillé", "suspendu")
    assert found() == ["compte-bloque"]
    # No re-indexing: the next search reads the thesaurus as it is now.
    bloque.terms = "bloqué\nsuspendu"
    bloque.save()
    assert found() == []


def test_a_phrase_is_a_synonym_of_another_phrase(backend):
    make_article("absence", title="Programmer un message d'absence", category="usage", body="Pendant vos congés.")
    make_article("autre", title="Programmer un envoi différé", category="usage", body="Choisissez l'heure.")
    concept("réponse d'absence", "message d'absence", "réponse automatique")
    hits = search_articles(query="reponse automatique", user=ANONYMOUS, language="fr", backend=backend)
    assert slugs(hits)[0] == "absence"


def test_groups_take_the_longest_phrase_and_keep_the_word_being_typed_alone():
    concepts = [(("mot", "passe"), ("mdp",)), (("mot", "passe", "oublie"), ("mot", "passe", "perdu"))]
    index = phrase_index(concepts)
    groups = query_groups(["mot", "passe", "oublie", "tel"], language="fr", prefix_last=True, index=index)
    assert [group.typed for group in groups] == [("mot", "passe", "oublie"), ("tel",)]
    assert ("mot", "passe", "perdu") in groups[0].alternatives and groups[1].prefix


def test_rare_words_of_a_question_outweigh_the_common_ones(backend):
    for number in range(8):
        make_article(f"mdp-{number}", title=f"Mot de passe et compte, cas {number}", category="password",
                     body="Le mot de passe du compte perdu se change.")  # fmt: skip
    make_article("codes", title="Utiliser un code de secours", category="mfa", body="Chaque code sert une fois.")
    question = "j'ai perdu mon mot de passe et mes codes de secours pour mon compte"
    hits = search_articles(query=question, user=ANONYMOUS, language="fr", backend=backend)
    assert slugs(hits)[0] == "codes"


def test_word_counts_follow_every_save_and_delete():
    article = make_article("quota", title="Boîte pleine", body="Archivez les pièces jointes.", category="quota")
    counts = dict(Term.objects.filter(language="fr").values_list("term", "articles"))
    assert counts[""] == 1 and counts["archiv"] == 1 and counts["plein"] == 1
    make_article("quota-bis", title="Archiver chaque année", body="Archivez.", category="quota")
    article.body = "Supprimez les pièces jointes."
    article.save()
    counts = dict(Term.objects.filter(language="fr").values_list("term", "articles"))
    assert (counts[""], counts["archiv"], counts["supprim"]) == (2, 1, 1)
    Article.objects.filter(slug="quota-bis").delete()
    incremental = dict(Term.objects.filter(language="fr", articles__gt=0).values_list("term", "articles"))
    vocabulary_rebuild(language="fr")
    assert dict(Term.objects.filter(language="fr", articles__gt=0).values_list("term", "articles")) == incremental
    assert "archiv" not in incremental and incremental[""] == 1


def test_a_typo_that_finds_nothing_is_corrected_and_said(backend, client):
    make_article("thunderbird", title="Configurer Thunderbird", category="mail-clients", body="Compte IMAP.")
    results = search_page(query="thunderbrid", user=ANONYMOUS, language="fr", backend=backend)
    assert results.corrected == "thunderbird" and slugs(results.hits) == ["thunderbird"]
    assert search_page(query="thunderbird", user=ANONYMOUS, language="fr", backend=backend).corrected == ""


def test_the_page_says_did_you_mean_with_a_link_to_the_corrected_search(client):
    make_article("thunderbird", title="Configurer Thunderbird", category="mail-clients", body="Compte IMAP.")
    page = client.get("/aide/recherche/", {"q": "thunderbrid"}).content.decode()
    assert "Vouliez-vous dire" in page and 'href="/aide/recherche/?q=thunderbird"' in page
    assert "Configurer Thunderbird" in page


def test_a_question_in_the_other_language_offers_its_answers(backend):
    corpus()
    results = search_page(query="how do I get a forgotten password back", user=ANONYMOUS, language="fr",
                          backend=backend)  # fmt: skip
    assert [(hit.article.slug, hit.article.language) for hit in results.other_language][0] == (
        "mot-de-passe-oublie",
        "en",
    )
    assert results.other_language_code == "en"


def test_the_other_language_is_marked_as_such_on_the_page(client):
    corpus()
    page = client.get("/aide/recherche/", {"q": "how do I get a forgotten password back"}).content.decode()
    assert 'lang="en" hreflang="en">Forgotten password</a>' in page
    assert "en anglais" in page


def test_a_reader_not_signed_in_is_told_that_signing_in_shows_more(backend, marie):
    corpus()  # "Archiver sa boîte chaque année" is for signed-in staff
    results = search_page(query="archiver sa boite", user=ANONYMOUS, language="fr", backend=backend)
    assert results.more_after_sign_in and "archivage-annuel" not in slugs(results.hits)
    signed_in = search_page(query="archiver sa boite", user=marie, language="fr", backend=backend)
    assert not signed_in.more_after_sign_in and slugs(signed_in.hits)[0] == "archivage-annuel"
    assert not search_page(query="mot de passe", user=ANONYMOUS, language="fr", backend=backend).more_after_sign_in


def test_the_hint_links_to_the_sign_in_page(client):
    corpus()
    page = client.get("/aide/recherche/", {"q": "archiver sa boite"}).content.decode()
    assert "/connexion/?next=/aide/recherche/%3Fq%3Darchiver%2Bsa%2Bboite" in page


def test_the_shipped_thesaurus_loads_and_an_edited_concept_is_kept(tmp_path):
    report = load_thesaurus()
    assert report.created > 50 and Concept.objects.filter(language="en").exists()
    edited = Concept.objects.get(language="fr", name="bloqué")
    edited.terms += "\ninaccessible"
    edited.save()
    (tmp_path / "fr.txt").write_text("bloqué: bloqué, verrouillé\nnouveau: courriel, mél\n", encoding="utf-8")
    second = load_thesaurus(directory=tmp_path)
    assert (second.created, second.kept) == (1, ["fr:bloqué"])
    assert "inaccessible" in Concept.objects.get(language="fr", name="bloqué").terms


def test_a_malformed_thesaurus_line_is_refused_with_its_line_number(tmp_path):
    (tmp_path / "fr.txt").write_text("# commentaire\nbloqué verrouillé\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        load_thesaurus(directory=tmp_path)
    assert not Concept.objects.exists()


def test_agents_edit_the_thesaurus_in_the_administration_and_staff_cannot(client, sophie, marie, sign_in):
    sign_in(client, marie)
    assert client.get("/admin/kb/concept/add/").status_code in (302, 403)
    sign_in(client, sophie)
    data = {"language": "fr", "name": "portable", "terms": "portable\ntéléphone\nsmartphone"}
    assert client.post("/admin/kb/concept/add/", data).status_code == 302
    assert Concept.objects.get(name="portable").term_list == ["portable", "téléphone", "smartphone"]
    refused = client.post("/admin/kb/concept/add/", {"language": "fr", "name": "seul", "terms": "seul"})
    assert refused.status_code == 200 and "au moins deux" in refused.content.decode()


def test_a_kept_answer_never_reaches_a_reader_with_other_rights_and_an_edit_drops_it(client, sophie, sign_in):
    corpus()  # "Procédure interne de déverrouillage de compte" is for agents only
    agent = sign_in(Client(), sophie)
    assert "Procédure interne" in agent.get("/aide/recherche/", {"q": "procédure déverrouillage"}).text
    assert "Procédure interne" not in client.get("/aide/recherche/", {"q": "procédure déverrouillage"}).text
    assert "Mot de passe oublié" in client.get("/aide/recherche/", {"q": "mot de passe"}).text
    Article.objects.get(slug="mot-de-passe-oublie", language="fr").delete()
    assert "Mot de passe oublié" not in client.get("/aide/recherche/", {"q": "mot de passe"}).text


def test_the_search_api_gives_the_correction_the_other_language_and_the_sign_in_hint(client):
    corpus()
    make_article("thunderbird", title="Configurer Thunderbird", category="mail-clients", body="Compte IMAP.")
    typo = client.get("/api/kb/search/", {"q": "thunderbrid", "lang": "fr"}).json()
    assert typo["corrected"] == "thunderbird" and typo["results"][0]["slug"] == "thunderbird"
    english = client.get("/api/kb/search/", {"q": "how do I get a forgotten password back", "lang": "fr"}).json()
    assert english["other_language"][0]["language"] == "en"
    assert client.get("/api/kb/search/", {"q": "archiver sa boite", "lang": "fr"}).json()["more_after_sign_in"]


def test_the_english_page_names_the_other_language_as_english_does(client):
    corpus()
    page = client.get("/en/aide/recherche/", {"q": "comment retrouver un mot de passe oublié"}).text
    assert "Also in French" in page or "these answers in French match" in page


def test_did_you_mean_keeps_the_accents_of_the_words_it_does_not_correct(backend):
    make_article("thunderbird", title="Configurer Thunderbird", category="mail-clients", body="IMAP.")
    results = search_page(query="Thunderbrid après l'été", user=ANONYMOUS, language="fr", backend=backend)
    assert results.corrected == "thunderbird après l'été"


def test_did_you_mean_never_offers_a_word_only_a_restricted_article_uses(backend):
    make_article("interne", title="Procédure zorglub", audience="agents", body="Réservé.")
    assert search_page(query="zorglubb", user=ANONYMOUS, language="fr", backend=backend).corrected == ""
