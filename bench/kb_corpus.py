"""A generated knowledge base for the search benchmark: N French articles mixing the domain's vocabulary.

Run by `make bench` before the server starts (``python -m bench.kb_corpus --count 20000``). Titles, bodies, tags
and error messages are drawn from the words people and agents really use about webmail access, so the full-text
index has realistic term frequencies: "mot de passe" is everywhere, "token badvalue" is rare. The articles of
kb/content/ are loaded too, so the benchmark queries also have their real answers. Deterministic (fixed seed) and
idempotent: nothing is generated when the database already holds the corpus.
"""

import random
import time

from bench.corpus import corpus_main

SUBJECTS = [
    "mot de passe", "code OTP", "double authentification", "compte", "boîte aux lettres", "webmail", "identifiant",
    "application d'authentification", "certificat", "navigateur", "lien de l'ENT", "VPN", "quota", "message suspect",
    "agenda partagé", "carnet d'adresses", "signature", "réponse d'absence", "délégation", "archive", "pièce jointe",
    "filtre", "téléphone professionnel", "clé de sécurité", "code de secours", "session", "cookie", "proxy",
    "liste de diffusion", "boîte fonctionnelle", "alias", "redirection", "dossier partagé", "calendrier",
    "synchronisation", "notification", "connexion IMAP", "envoi SMTP", "annuaire", "espace de stockage",
    "visioconférence", "portail RH", "messagerie instantanée", "antispam", "quarantaine", "mot de passe d'application",
]  # fmt: skip
PROBLEMS = [
    "oublié", "expiré", "refusé", "bloqué", "verrouillé", "introuvable", "inaccessible", "lent", "incorrect",
    "désynchronisé", "vide", "plein", "compromis", "perdu", "remplacé", "désactivé", "en erreur", "dupliqué",
    "corrompu", "illisible", "ignoré", "supprimé par erreur", "non reçu", "en double", "tronqué", "mal affiché",
    "intermittent", "rejeté", "suspendu", "limité",
]  # fmt: skip
PLACES = [
    "collège", "lycée", "lycée professionnel", "école élémentaire", "école maternelle", "rectorat", "inspection",
    "circonscription", "mairie annexe", "médiathèque", "service des sports", "direction des finances",
    "centre technique", "crèche", "service état civil", "conservatoire", "CIO", "DSDEN", "GRETA", "atelier",
]  # fmt: skip
TOWNS = [
    "Montpellier", "Béziers", "Nîmes", "Alès", "Sète", "Lunel", "Perpignan", "Carcassonne", "Narbonne", "Mende",
    "Grenoble", "Voiron", "Échirolles", "Chambéry", "Annecy", "Valence", "Privas", "Gap", "Vienne", "Bourgoin",
]  # fmt: skip
DEVICES = [
    "un iPhone", "un téléphone Android", "une tablette", "un ordinateur portable", "un poste fixe", "un Mac",
    "un Chromebook", "un poste partagé de la salle des professeurs", "un ordinateur personnel", "un smartphone",
]  # fmt: skip
APPS = [
    "Thunderbird", "Outlook", "Apple Mail", "Gmail pour Android", "K-9 Mail", "Evolution", "eM Client",
    "Mail de Windows", "FairEmail", "Spark",
]  # fmt: skip
BROWSERS = ["Firefox", "Chrome", "Edge", "Safari", "Brave", "Opera", "Chromium"]
CONTEXTS = [
    "depuis le réseau de l'établissement", "en télétravail", "sur {device}", "après un changement de téléphone",
    "après la réinitialisation du mot de passe", "depuis l'intranet", "en 4G", "avec {app}", "sous {browser}",
    "le lundi matin", "après une mise à jour de {browser}", "en navigation privée", "depuis l'étranger",
    "au {place} de {town}", "pendant la vague de déploiement de la double authentification", "après les congés",
    "à la rentrée", "lors d'un remplacement", "pour un compte de stagiaire", "pour une boîte fonctionnelle",
]  # fmt: skip
DOMAIN_ERRORS = [
    "token badvalue", "identifiant incorrect", "mot de passe expiré", "erreur AJAX", "code invalide",
    "votre connexion n'est pas privée", "NET::ERR_CERT_DATE_INVALID", "session expirée", "compte verrouillé",
    "quota dépassé", "authentification échouée", "trop de tentatives", "accès refusé", "boucle de redirection",
]  # fmt: skip
SENTENCES = [
    "Vérifiez d'abord l'adresse affichée dans la barre de {browser} et la présence du cadenas HTTPS.",
    "Saisissez votre identifiant au format prenom.nom, sans majuscules ni espaces.",
    "Attention à la touche Verr. Maj. : le mot de passe distingue majuscules et minuscules.",
    "Après {count} échecs, le compte est suspendu pendant {delay} minutes : ne réessayez pas au hasard.",
    "{app} configuré avec l'ancien mot de passe peut verrouiller le compte en arrière-plan.",
    "Supprimez puis recréez le compte dans {app} sur {device} après chaque changement de mot de passe.",
    "L'horloge de {device} doit être réglée automatiquement, sinon les codes de l'application sont refusés.",
    "Gardez vos codes de secours hors ligne, imprimés et rangés au {place}.",
    "Essayez une fenêtre de navigation privée, puis {browser}, pour isoler le problème.",
    "Videz le cache et les cookies du seul site de la messagerie dans {browser}.",
    "Testez en 4G : si cela fonctionne, le réseau du {place} de {town} est en cause.",
    "Passez par l'adresse directe du webmail si le lien de l'ENT tourne en boucle.",
    "Ne cliquez jamais sur un lien qui demande votre mot de passe : vérifiez le domaine exact.",
    "Signalez le message suspect avec ses en-têtes complets, sans le transférer.",
    "Archivez chaque année les messages antérieurs à {year} pour rester sous le quota de {quota} Go.",
    "Déposez les fichiers de plus de {size} Mo sur l'espace de stockage au lieu de les joindre.",
    "Dans {app}, choisissez IMAP sur le port 993 en SSL/TLS et SMTP sur le port 587 en STARTTLS.",
    "Sur {device}, ne cochez jamais « se souvenir de moi » et déconnectez-vous.",
    "Notez l'heure exacte et le message d'erreur complet avant de contacter le support.",
    "Le support ne vous demandera jamais votre mot de passe ni un code de vérification.",
    "Une alerte de sécurité après une connexion depuis {device} est normale si c'était vous.",
    "La redirection automatique vers une messagerie personnelle est interdite pour le courrier sensible.",
    "Le correspondant informatique du {place} de {town} peut vérifier la configuration du proxy.",
    "Le délai de traitement habituel est de {delay} minutes pendant les heures d'ouverture.",
    "Depuis {year}, les comptes inactifs depuis {months} mois sont désactivés automatiquement.",
    "La synchronisation de l'agenda avec {app} peut prendre jusqu'à {delay} minutes.",
    "Les listes de diffusion de plus de {count} destinataires sont modérées par le secrétariat.",
    "Un mot de passe d'application se crée depuis la page de sécurité, un par appareil.",
    "La quarantaine antispam conserve les messages douteux pendant {count} jours.",
    "Pour une boîte fonctionnelle, demandez une délégation plutôt que de partager le mot de passe.",
    "La réponse d'absence doit indiquer un contact relais au {place}.",
    "En cas de perte de {device}, signalez-la immédiatement pour révoquer les sessions ouvertes.",
]  # fmt: skip
SECTIONS = ["Pourquoi cela arrive", "Que faire", "Vérifications", "Si cela ne suffit pas", "À savoir", "Contexte"]
CATEGORIES = [
    "connection", "password", "mfa", "sso", "browser", "network", "mail-clients", "phishing", "quota", "security",
    "support",
]  # fmt: skip


def fill(template: str, rng: random.Random) -> str:
    return template.format(
        device=rng.choice(DEVICES), app=rng.choice(APPS), browser=rng.choice(BROWSERS), place=rng.choice(PLACES),
        town=rng.choice(TOWNS), count=rng.randint(3, 50), delay=rng.choice([5, 10, 15, 30, 45, 60]),
        year=rng.randint(2015, 2025), quota=rng.choice([5, 10, 20]), size=rng.choice([10, 20, 25]),
        months=rng.choice([6, 12, 18]),
    )  # fmt: skip


def error_message(rng: random.Random) -> str:
    """Mostly rare codes, sometimes one of the messages people really report (as in a real knowledge base)."""
    if rng.random() < 0.1:
        return rng.choice(DOMAIN_ERRORS)
    kind = rng.randrange(3)
    if kind == 0:
        return f"0x{rng.randrange(16**8):08X}"
    if kind == 1:
        return f"erreur {rng.randint(100, 999)} {rng.choice(['serveur', 'IMAP', 'SMTP', 'SSO', 'proxy'])}"
    return f"{rng.choice(SUBJECTS)} {rng.choice(PROBLEMS)} (code {rng.randint(1000, 9999)})"


def generate_article(rng: random.Random, number: int) -> dict:
    subject, problem = rng.choice(SUBJECTS), rng.choice(PROBLEMS)
    context = fill(rng.choice(CONTEXTS), rng)
    pattern = rng.randrange(4)
    if pattern == 0:
        title = f"{subject[0].upper()}{subject[1:]} {problem} {context}"
    elif pattern == 1:
        title = f"Que faire si {subject} est {problem} {context}"
    elif pattern == 2:
        title = f"Configurer {rng.choice(APPS)} sur {rng.choice(DEVICES)} {context}"
    else:
        title = f"{subject[0].upper()}{subject[1:]} : cas du {rng.choice(PLACES)} de {rng.choice(TOWNS)}"
    sections = []
    for heading in rng.sample(SECTIONS, k=rng.randint(2, 4)):
        sentences = [fill(template, rng) for template in rng.sample(SENTENCES, k=rng.randint(2, 5))]
        if rng.random() < 0.5:
            sections.append(f"## {heading}\n\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(sentences, 1)))
        else:
            sections.append(f"## {heading}\n\n" + " ".join(sentences))
    if rng.random() < 0.15:
        sections.append("| Paramètre | Valeur |\n|---|---|\n| Serveur entrant | imap.example.fr |\n| Port | 993 |")
    return {
        "slug": f"article-genere-{number}",
        "language": "fr",
        "title": title[:200],
        "summary": fill(rng.choice(SENTENCES), rng),
        "body": "\n\n".join(sections),
        "category": rng.choice(CATEGORIES),
        "audience": rng.choices(["public", "staff", "agents"], weights=[80, 12, 8])[0],
        "status": "published" if rng.random() < 0.95 else "draft",
        "tags": ", ".join(rng.sample([*SUBJECTS[:20], *APPS, *BROWSERS], k=rng.randint(2, 5))),
        "errors": "\n".join(error_message(rng) for _ in range(rng.choice([0, 0, 1, 1, 2]))),
    }


def build(count: int, batch: int = 1000) -> None:
    from kb import rendering, text
    from kb.loader import load_articles
    from kb.models import Article
    from kb.thesaurus import load_thesaurus
    from kb.vocabulary import vocabulary_rebuild

    load_articles()
    load_thesaurus()
    existing = Article.objects.filter(slug__startswith="article-genere-").count()
    if existing >= count:
        print(f"kb corpus: {existing} generated articles already there")
        return
    started = time.monotonic()
    rng = random.Random(2026)
    for start in range(0, count, batch):
        rows = []
        for number in range(start, min(count, start + batch)):
            fields = generate_article(rng, number)
            if number < existing:
                continue
            body_html = rendering.render_markdown(fields["body"])
            body_text = rendering.plain_text(body_html)
            match_text = "\n".join(text.fold(line) for line in fields["errors"].split("\n") if line)
            rows.append(Article(**fields, body_html=body_html, body_text=body_text, match_text=match_text, version=1))
        Article.objects.bulk_create(rows)
    Article.objects.filter(slug__startswith="article-genere-").refresh_search_index()
    vocabulary_rebuild(language="fr")  # bulk_create does not count the words as saves do
    print(f"kb corpus: {count - existing} articles generated in {time.monotonic() - started:.0f} s")


def main() -> None:
    # Refreshing the search index left a dead row version of every article: vacuumed before the measurements.
    corpus_main(description=__doc__, default_count=20_000, build=build, tables=["kb_article"])


if __name__ == "__main__":
    main()
