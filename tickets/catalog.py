"""The questions each of the nine standard problem types asks, as seed data for the admin-editable rows.

``problem_type_fields_seed()`` gives a problem type these rows only when it has none, so a form an agent edited in
the admin is never overwritten; load_demo and the tests call it after creating the problem types.
"""

from django.db import transaction

from tickets.models import Category, FieldKey, ProblemTypeField

REQ, OPT = True, False

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
        (FieldKey.OTHER_NETWORK_TRIED, OPT, "", ""),
        (FieldKey.OTP_INVOLVED, OPT, "", ""),
        (FieldKey.SSO_INVOLVED, OPT, "", ""),
        (FieldKey.VPN_USED, OPT, "", ""),
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
        (FieldKey.OTHER_NETWORK_TRIED, OPT, "", ""),
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
        (FieldKey.OTP_INVOLVED, OPT, "", ""),
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
        (FieldKey.OTHER_NETWORK_TRIED, OPT, "", ""),
        (FieldKey.VPN_USED, OPT, "", ""),
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
def problem_type_fields_seed() -> int:
    """Give each standard problem type that has no form fields yet its default ones; returns the rows created."""
    rows = []
    categories = Category.objects.filter(slug__in=DEFAULT_FIELDS, fields__isnull=True)
    for category in categories:
        for position, (key, required, help_fr, help_en) in enumerate(DEFAULT_FIELDS[category.slug]):
            rows.append(
                ProblemTypeField(
                    category=category,
                    key=key,
                    required=required,
                    position=position * 10,
                    help_text_fr=help_fr,
                    help_text_en=help_en,
                )
            )
    ProblemTypeField.objects.bulk_create(rows)
    return len(rows)
