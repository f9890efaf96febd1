"""Articles for the knowledge-base tests, created the way the portal creates them (with a revision)."""

from kb.models import Article, Audience, Status
from kb.services import article_save
from tests import helpers

FIXTURES = helpers.FIXTURES / "kb"


def make_article(slug, *, title, language="fr", body="Texte de l'article.", by=None, **fields) -> Article:
    fields.setdefault("category", "connection")
    fields.setdefault("audience", Audience.PUBLIC)
    fields.setdefault("status", Status.PUBLISHED)
    article = Article(slug=slug, language=language, title=title, body=body, **fields)
    article_save(article=article, by=by)
    return article


def slugs(hits) -> list[str]:
    return [hit.article.slug for hit in hits]


def corpus():
    """A few articles covering what the search must tell apart (one per audience, a draft, an English one)."""
    return {
        "password": make_article(
            "mot-de-passe-oublie",
            title="Mot de passe oublié",
            category="password",
            tags="réinitialisation",
            errors="identifiant incorrect",
            summary="Réinitialisez-le en libre-service.",
            body="Un mot de passe **oublié** se remplace en libre-service avec votre identifiant.",
        ),
        "security": make_article(
            "securite-poste-partage",
            title="Sécurité sur un ordinateur partagé",
            category="security",
            body="Utilisez une fenêtre de navigation privée et déconnectez-vous.",
        ),
        "token": make_article(
            "erreur-token-badvalue",
            title="Erreur de jeton de session",
            category="browser",
            errors="token badvalue",
            tags="jeton, cookies",
            body="Fermez tous les onglets du webmail puis rouvrez l'adresse officielle.",
        ),
        "staff": make_article(
            "archivage-annuel",
            title="Archiver sa boîte chaque année",
            category="quota",
            audience=Audience.STAFF,
            body="Le quota de la boîte est de 10 Go : archivez les messages anciens.",
        ),
        "agents": make_article(
            "procedure-deverrouillage",
            title="Procédure interne de déverrouillage de compte",
            category="connection",
            audience=Audience.AGENTS,
            errors="compte verrouillé agents",
            body="Vérifier l'identité de la personne par rappel avant de lever le verrouillage interne.",
        ),
        "draft": make_article(
            "brouillon-vpn",
            title="Brouillon sur le VPN",
            category="network",
            status=Status.DRAFT,
            body="Accès distant par le VPN institutionnel : brouillon interne.",
        ),
        "english": make_article(
            "mot-de-passe-oublie",
            language="en",
            title="Forgotten password",
            category="password",
            body="A forgotten password is replaced through the self-service tool.",
        ),
    }
