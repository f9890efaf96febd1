"""The standard queues, the nine standard problem types and the questions each asks: seed data for admin-editable
rows.

``standard_catalog_seed()`` creates what is missing and never changes what exists, so a name or a form an agent
edited in the admin is never overwritten. Migration 0003 runs it (with the historical models), so a new
installation, production included, starts with a working incident form; load_demo and the tests run it again.

Called "seed", not "catalog": tickets.models.catalog holds the models these rows are made of.
"""

import datetime

from django.db import transaction

from tickets.fields.keys import FieldKey
from tickets.models import ProblemType, ProblemTypeField, Queue

REQ, OPT = True, False

QUEUES = [
    ("niveau-1", "Assistance de premier niveau", "First-line support"),
    ("messagerie", "Équipe messagerie", "Mail service team"),
    ("securite", "Sécurité des systèmes d'information", "Information security"),
]

# slug, French name, English name, queue slug
PROBLEM_TYPES = [
    ("echec-connexion", "Échec de connexion", "Sign-in failure", "niveau-1"),
    ("otp-mfa", "Code OTP / double authentification", "OTP code / two-factor authentication", "niveau-1"),
    ("sso", "Connexion par l'intranet (SSO)", "Sign-in through the intranet (SSO)", "messagerie"),
    ("compte-bloque", "Compte bloqué", "Locked account", "niveau-1"),
    ("mot-de-passe", "Mot de passe oublié ou expiré", "Forgotten or expired password", "niveau-1"),
    ("hameconnage", "Signalement d'hameçonnage", "Phishing report", "securite"),
    ("quota", "Boîte pleine et quota", "Full mailbox and quota", "messagerie"),
    ("client-messagerie", "Configuration d'un logiciel de messagerie", "Mail client setup", "messagerie"),
    ("autre", "Autre problème", "Other problem", "niveau-1"),
]

# slug → (French, English): the line under each problem type on the choice page, in the words people use.
DESCRIPTIONS = {
    "echec-connexion": (
        "Le webmail refuse votre identifiant ou votre mot de passe, ou affiche une erreur quand vous vous connectez.",
        "The webmail refuses your identifier or password, or shows an error when you sign in.",
    ),
    "otp-mfa": (
        "Le code de votre application d'authentification est refusé, ou vous avez changé ou perdu votre téléphone.",
        "The code of your authenticator app is refused, or you changed or lost your phone.",
    ),
    "sso": (
        "Le lien de l'intranet ou de l'ENT ne vous connecte pas à la messagerie, ou tourne en boucle.",
        "The intranet or ENT link does not take you into your mailbox, or goes round in circles.",
    ),
    "compte-bloque": (
        "Votre compte est suspendu après des échecs de connexion, parfois sans que vous ayez rien tapé.",
        "Your account is suspended after failed sign-ins, sometimes without you typing anything.",
    ),
    "mot-de-passe": (
        "Vous avez oublié votre mot de passe, ou il a expiré et la messagerie demande d'en changer.",
        "You forgot your password, or it expired and the webmail asks you to change it.",
    ),
    "hameconnage": (
        "Vous avez reçu un message suspect qui demande vos identifiants, un code ou un paiement.",
        "You received a suspicious message asking for your credentials, a code or a payment.",
    ),
    "quota": (
        "Votre boîte est pleine ou presque : les messages n'arrivent plus ou ne partent plus.",
        "Your mailbox is full or nearly so: messages no longer arrive or leave.",
    ),
    "client-messagerie": (
        "Outlook, Thunderbird, votre iPhone ou votre Android n'envoie plus ou ne reçoit plus vos messages.",
        "Outlook, Thunderbird, your iPhone or your Android no longer sends or receives your mail.",
    ),
    "autre": (
        "Un problème de messagerie qui n'entre dans aucun des cas ci-dessus.",
        "A mailbox problem that fits none of the cases above.",
    ),
}

# slug → [(key, required, help_text_fr, help_text_en)], in the order of the form.
DEFAULT_FIELDS: dict[str, list[tuple]] = {
    "echec-connexion": [
        (FieldKey.ERROR_MESSAGE, REQ, "", ""),
        (FieldKey.URL, REQ, "", ""),
        (FieldKey.IDENTIFIER, REQ, "", ""),
        (FieldKey.OCCURRED_AT, REQ, "", ""),
        (FieldKey.BROWSER, REQ, "", ""),
        (FieldKey.DEVICE, OPT, "", ""),
        (FieldKey.OTHER_BROWSER_TRIED, REQ, "", ""),
        (FieldKey.OTHER_BROWSER, OPT, "", ""),
        (FieldKey.OTHER_NETWORK_TRIED, REQ, "", ""),
        (FieldKey.OTP_INVOLVED, REQ, "", ""),
        (FieldKey.SSO_INVOLVED, REQ, "", ""),
        (FieldKey.VPN_USED, REQ, "", ""),
        (FieldKey.SCREENSHOTS, OPT, "", ""),
        (FieldKey.DESCRIPTION, OPT, "", ""),
    ],
    "otp-mfa": [
        (FieldKey.ERROR_MESSAGE, OPT, "", ""),
        (FieldKey.IDENTIFIER, REQ, "", ""),
        (FieldKey.OCCURRED_AT, REQ, "", ""),
        (
            FieldKey.DEVICE,
            REQ,
            "Le téléphone et l'application d'authentification (par exemple iPhone, FreeOTP).",
            "The phone and the authenticator app (for example iPhone, FreeOTP).",
        ),
        (FieldKey.BROWSER, OPT, "", ""),
        (FieldKey.SCREENSHOTS, OPT, "", ""),
        (
            FieldKey.DESCRIPTION,
            REQ,
            "Nouveau téléphone, téléphone perdu, code toujours refusé ? Ne recopiez jamais un code ici.",
            "New phone, lost phone, code always refused? Never copy a code here.",
        ),
    ],
    "sso": [
        (FieldKey.URL, REQ, "L'adresse du lien de l'intranet ou de l'ENT.", "The address of the intranet or ENT link."),
        (FieldKey.ERROR_MESSAGE, OPT, "", ""),
        (FieldKey.IDENTIFIER, REQ, "", ""),
        (FieldKey.OCCURRED_AT, REQ, "", ""),
        (FieldKey.BROWSER, REQ, "", ""),
        (FieldKey.DEVICE, OPT, "", ""),
        (FieldKey.OTHER_BROWSER_TRIED, REQ, "", ""),
        (FieldKey.OTHER_BROWSER, OPT, "", ""),
        (FieldKey.OTHER_NETWORK_TRIED, REQ, "", ""),
        (FieldKey.SCREENSHOTS, OPT, "", ""),
        (FieldKey.DESCRIPTION, OPT, "", ""),
    ],
    "compte-bloque": [
        (FieldKey.ERROR_MESSAGE, OPT, "", ""),
        (FieldKey.IDENTIFIER, REQ, "", ""),
        (FieldKey.OCCURRED_AT, REQ, "", ""),
        (
            FieldKey.DEVICE,
            OPT,
            "Un téléphone ou un logiciel de messagerie qui garde un ancien mot de passe peut bloquer le compte.",
            "A phone or mail app still using an old password can lock the account.",
        ),
        (FieldKey.OTP_INVOLVED, REQ, "", ""),
        (FieldKey.DESCRIPTION, OPT, "", ""),
    ],
    "mot-de-passe": [
        (FieldKey.IDENTIFIER, REQ, "", ""),
        (FieldKey.ERROR_MESSAGE, OPT, "", ""),
        (FieldKey.URL, OPT, "", ""),
        (FieldKey.OCCURRED_AT, OPT, "", ""),
        (FieldKey.DESCRIPTION, OPT, "", ""),
    ],
    "hameconnage": [
        (FieldKey.SUSPICIOUS_MESSAGE, REQ, "", ""),
        (FieldKey.OCCURRED_AT, OPT, "Quand le message est arrivé.", "When the message arrived."),
        (
            FieldKey.DESCRIPTION,
            OPT,
            "Avez-vous cliqué sur un lien ou saisi votre mot de passe ? Dites-le, sans honte : c'est urgent.",
            "Did you click a link or type your password? Say so, without shame: it is urgent.",
        ),
        (FieldKey.IDENTIFIER, OPT, "", ""),
    ],
    "quota": [
        (FieldKey.IDENTIFIER, REQ, "", ""),
        (FieldKey.ERROR_MESSAGE, OPT, "", ""),
        (FieldKey.DEVICE, OPT, "", ""),
        (FieldKey.SCREENSHOTS, OPT, "", ""),
        (FieldKey.DESCRIPTION, REQ, "", ""),
    ],
    "client-messagerie": [
        (
            FieldKey.DEVICE,
            REQ,
            "Le logiciel et l'appareil : Outlook, Thunderbird, Mail sur iPhone, Gmail sur Android…",
            "The app and the device: Outlook, Thunderbird, iPhone Mail, Android Gmail…",
        ),
        (FieldKey.ERROR_MESSAGE, REQ, "", ""),
        (FieldKey.IDENTIFIER, REQ, "", ""),
        (FieldKey.OCCURRED_AT, OPT, "", ""),
        (FieldKey.OTHER_NETWORK_TRIED, REQ, "", ""),
        (FieldKey.VPN_USED, REQ, "", ""),
        (FieldKey.SCREENSHOTS, OPT, "", ""),
        (FieldKey.DESCRIPTION, OPT, "", ""),
    ],
    "autre": [
        (FieldKey.TITLE, REQ, "", ""),
        (FieldKey.DESCRIPTION, REQ, "", ""),
        (FieldKey.IDENTIFIER, REQ, "", ""),
        (FieldKey.OCCURRED_AT, OPT, "", ""),
        (FieldKey.URL, OPT, "", ""),
        (FieldKey.BROWSER, OPT, "", ""),
        (FieldKey.DEVICE, OPT, "", ""),
        (FieldKey.SCREENSHOTS, OPT, "", ""),
    ],
}


@transaction.atomic
def standard_catalog_seed(
    *, queue_model=Queue, problem_type_model=ProblemType, field_model=ProblemTypeField, type_field="problem_type"
) -> int:
    """Create the standard queues and problem types that do not exist yet, then their default questions; returns
    the number of question rows created. The model arguments let migration 0003 pass its historical models, and
    ``type_field`` the name their foreign key had then ("category", before migration 0005)."""
    for slug, name_fr, name_en in QUEUES:
        queue_model.objects.get_or_create(slug=slug, defaults={"name_fr": name_fr, "name_en": name_en})
    queues = {queue.slug: queue for queue in queue_model.objects.all()}
    for position, (slug, name_fr, name_en, queue) in enumerate(PROBLEM_TYPES):
        description_fr, description_en = DESCRIPTIONS[slug]
        problem_type_model.objects.get_or_create(
            slug=slug,
            defaults={
                "name_fr": name_fr,
                "name_en": name_en,
                "description_fr": description_fr,
                "description_en": description_en,
                "queue": queues[queue],
                "position": position,
            },
        )
    return problem_type_fields_seed(
        problem_type_model=problem_type_model, field_model=field_model, type_field=type_field
    )


def problem_type_descriptions_fill(*, problem_type_model=ProblemType) -> None:
    """Give the standard problem types that have no description yet their standard one (an agent's text stays)."""
    for slug, (description_fr, description_en) in DESCRIPTIONS.items():
        problem_type_model.objects.filter(slug=slug, description_fr="").update(description_fr=description_fr)
        problem_type_model.objects.filter(slug=slug, description_en="").update(description_en=description_en)


@transaction.atomic
def problem_type_fields_seed(
    *, problem_type_model=ProblemType, field_model=ProblemTypeField, type_field="problem_type"
) -> int:
    """Give each standard problem type that has no form fields yet its default ones; returns the rows created."""
    rows = []
    problem_types = problem_type_model.objects.filter(slug__in=DEFAULT_FIELDS, fields__isnull=True)
    for problem_type in problem_types:
        for position, (key, required, help_fr, help_en) in enumerate(DEFAULT_FIELDS[problem_type.slug]):
            rows.append(
                field_model(
                    **{type_field: problem_type},
                    key=key,
                    required=required,
                    position=position * 10,
                    help_text_fr=help_fr,
                    help_text_en=help_en,
                )
            )
    field_model.objects.bulk_create(rows)
    return len(rows)


CATALOGUE_PERMISSIONS = ["change_queue", "change_problemtype", "change_businesscalendar", "change_slatarget"]


# The support's hours (Monday to Friday) and, per priority, the first response and resolution targets in business
# minutes. The security queue keeps no calendar: its clock runs around the clock.
SUPPORT_HOURS = ((datetime.time(8, 0), datetime.time(12, 30)), (datetime.time(13, 30), datetime.time(18, 0)))
SUPPORT_CALENDAR = "Horaires du support"
CALENDAR_QUEUES = ("niveau-1", "messagerie")
SLA_TARGETS = {
    "urgent": (30, 4 * 60),
    "high": (60, 8 * 60),
    "normal": (4 * 60, 3 * 8 * 60),
    "low": (8 * 60, 5 * 8 * 60),
}
# A locked-out person cannot work at all: answered within the hour and solved the same day, whatever the priority.
SLA_TARGETS_BY_TYPE = {"compte-bloque": {"normal": (60, 4 * 60), "low": (60, 4 * 60)}}


def sla_seed(
    *,
    calendar_model=None,
    hours_model=None,
    target_model=None,
    queue_model=Queue,
    problem_type_model=ProblemType,
) -> None:
    """The support calendar on the first-line and mail queues that have none, and the standard SLA targets that do
    not exist yet; what an agent edited stays. Migration 0012 runs it with its historical models."""
    from tickets.models import BusinessCalendar, BusinessHours, SlaTarget

    calendar_model = calendar_model or BusinessCalendar
    hours_model = hours_model or BusinessHours
    target_model = target_model or SlaTarget
    calendar, created = calendar_model.objects.get_or_create(name=SUPPORT_CALENDAR)
    if created:
        hours_model.objects.bulk_create(
            hours_model(calendar=calendar, weekday=weekday, opens=opens, closes=closes)
            for weekday in range(5)
            for opens, closes in SUPPORT_HOURS
        )
    queue_model.objects.filter(slug__in=CALENDAR_QUEUES, calendar__isnull=True).update(calendar=calendar)
    for priority, (response, resolution) in SLA_TARGETS.items():
        target_model.objects.get_or_create(
            priority=priority,
            problem_type=None,
            defaults={"first_response_minutes": response, "resolution_minutes": resolution},
        )
    for slug, targets in SLA_TARGETS_BY_TYPE.items():
        problem_type = problem_type_model.objects.filter(slug=slug).first()
        if problem_type is None:
            continue
        for priority, (response, resolution) in targets.items():
            target_model.objects.get_or_create(
                priority=priority,
                problem_type=problem_type,
                defaults={"first_response_minutes": response, "resolution_minutes": resolution},
            )


def catalogue_editors_grant(user) -> None:
    """Put ``user`` in the "Catalogue" group, whose members edit queues, their members and problem types in the
    admin (tickets.admin.CatalogEditors); the group is made with its permissions when missing."""
    _group_grant(user, "Catalogue", CATALOGUE_PERMISSIONS)


# title (fr, en), text (fr, en), article slug or "", queue slug or "" for every queue
CANNED_ANSWERS = [
    (
        ("Vider le cache du navigateur", "Clear the browser cache"),
        (
            "Bonjour,\n\nLe navigateur garde parfois une session abîmée. Essayez d'abord une fenêtre de navigation "
            "privée ; si la connexion y fonctionne, videz le cache et les cookies du seul site de la messagerie en "
            "suivant cette fiche, puis reconnectez-vous. Dites-nous si le problème persiste.",
            "Hello,\n\nThe browser sometimes keeps a damaged session. First try a private window; if signing in works "
            "there, clear the cache and cookies of the webmail site only by following this guide, then sign in "
            "again. Tell us if the problem remains.",
        ),
        "cache-cookies",
        "",
    ),
    (
        ("Essayer un autre réseau (4G)", "Try another network (4G)"),
        (
            "Bonjour,\n\nPour savoir si le réseau est en cause, pouvez-vous essayer depuis votre téléphone en 4G, "
            "sans le wifi de l'établissement ? La fiche ci-dessous explique le test en deux minutes. Répondez-nous "
            "avec le résultat.",
            "Hello,\n\nTo find out whether the network is the cause, could you try from your phone on 4G, without "
            "the school's wifi? The guide below explains the two-minute test. Reply with the result.",
        ),
        "test-4g",
        "",
    ),
    (
        ("Paramètres du logiciel de messagerie", "Mail client settings"),
        (
            "Bonjour,\n\nVotre logiciel de messagerie doit utiliser IMAP sur le port 993 (SSL/TLS) et SMTP sur le "
            "port 587 (STARTTLS), avec votre identifiant prenom.nom. Tous les réglages à copier sont dans cette "
            "fiche.",
            "Hello,\n\nYour mail app must use IMAP on port 993 (SSL/TLS) and SMTP on port 587 (STARTTLS), with your "
            "firstname.lastname identifier. Every setting to copy is in this guide.",
        ),
        "parametres-messagerie",
        "messagerie",
    ),
    (
        ("Boîte pleine : libérer de la place", "Full mailbox: free some space"),
        (
            "Bonjour,\n\nVotre boîte a atteint son quota : les messages reçus sont refusés tant qu'elle est pleine. "
            "Videz la corbeille et supprimez les gros messages en suivant cette fiche.",
            "Hello,\n\nYour mailbox reached its quota: incoming messages are refused while it is full. Empty the "
            "bin and delete large messages by following this guide.",
        ),
        "quota-plein",
        "messagerie",
    ),
    (
        ("Demander le message d'erreur exact", "Ask for the exact error message"),
        (
            "Bonjour,\n\nPour avancer, pouvez-vous nous copier le message d'erreur exact affiché à l'écran, et "
            "l'heure à laquelle il est apparu ? Une capture d'écran convient aussi.",
            "Hello,\n\nTo go further, could you copy the exact error message shown on screen, and the time it "
            "appeared? A screenshot is fine too.",
        ),
        "",
        "",
    ),
]


@transaction.atomic
def canned_answers_seed() -> int:
    """The standard canned answers, when there are none yet (an agent's answers are never touched); an answer whose
    article is not loaded gets none. Returns how many were created. Run after the knowledge base is loaded."""
    from kb.selectors import linkable_article
    from tickets.models import CannedAnswer

    if CannedAnswer.objects.exists():
        return 0
    queues = {queue.slug: queue for queue in Queue.objects.all()}
    rows = [
        CannedAnswer(
            title_fr=title_fr,
            title_en=title_en,
            body_fr=body_fr,
            body_en=body_en,
            article=linkable_article(slug=slug, language="fr") if slug else None,
            queue=queues.get(queue),
            position=position * 10,
        )
        for position, ((title_fr, title_en), (body_fr, body_en), slug, queue) in enumerate(CANNED_ANSWERS)
    ]
    CannedAnswer.objects.bulk_create(rows)
    return len(rows)


CANNED_ANSWER_PERMISSIONS = ["add_cannedanswer", "change_cannedanswer", "delete_cannedanswer"]


def canned_answer_editors_grant(user) -> None:
    """Put ``user`` in the "Canned answers" group, whose members write the agents' canned answers in the admin."""
    _group_grant(user, "Réponses types", CANNED_ANSWER_PERMISSIONS)


def _group_grant(user, name: str, codenames: list[str]) -> None:
    from django.contrib.auth.models import Group, Permission

    group, _created = Group.objects.get_or_create(name=name)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="tickets", codename__in=codenames))
    user.groups.add(group)
