"""What people type, and the article they must get first, over the knowledge base shipped in kb/content/.

Twenty queries as staff type them (accents missing, plurals, typos, whole sentences). Run with -s to print the
table of top results; both search backends are held to it.
"""

import pytest

from kb.loader import load_articles
from kb.search import PostgresSearch, PythonSearch, search_articles
from tests.helpers import requires_services

pytestmark = pytest.mark.django_db

EXPECTED = {
    "code otp refusé": "code-otp-refuse",
    "compte bloqué après changement de mot de passe": "changer-mot-de-passe",
    "mots de passe oubliés": "mot-de-passe-oublie",
    "identifiant incorrect": "identifiant-incorrect",
    "token badvalu": "erreur-token-badvalue",
    "erreur ajax": "erreur-ajax",
    "page blanche webmail": "page-blanche",
    "boite pleine": "quota-plein",
    "nouveau telephone authentificateur": "nouveau-telephone",
    "lien ENT boucle connexion": "sso-ent-echec",
    "configurer iphone messagerie": "configurer-ios",
    "paramètres imap smtp": "parametres-messagerie",
    "thunderbird": "configurer-thunderbird",
    "mail suspect lien": "reconnaitre-hameconnage",
    "j'ai donné mon mot de passe sur un faux site": "mot-de-passe-compromis",
    "ordinateur partagé": "ordinateur-partage",
    "votre connexion n'est pas privée": "erreur-certificat",
    "4g réseau établissement": "reseau-etablissement",
    "vpn accès distance": "vpn-acces-distant",
    "comment signaler un incident": "decrire-incident",
}


@pytest.fixture
def shipped_articles(marie):
    load_articles()
    return marie


@pytest.mark.parametrize("backend", [PostgresSearch, PythonSearch], ids=["postgresql", "python"])
def test_realistic_french_queries_find_the_right_article_first(shipped_articles, backend):
    requires_services()
    rows, wrong = [], []
    for query, slug in EXPECTED.items():
        hits = search_articles(query=query, user=shipped_articles, language="fr", backend=backend())
        top = hits[0].article if hits else None
        rows.append(f"| {query} | {top.title if top else '—'} |")
        if top is None or top.slug != slug:
            wrong.append((query, top.slug if top else None, slug))
    print("\n" + "\n".join(rows))
    assert wrong == []
