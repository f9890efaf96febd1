"""The fixed list of knowledge-base categories.

Categories are code, not data: the content files name them by code, the home page shows them in this order and
each has a French URL slug. Adding one is a code change with its translation, like any other page text.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class CategoryCode(models.TextChoices):
    CONNECTION = "connection", _("Signing in")
    PASSWORD = "password", _("Password")
    MFA = "mfa", _("Two-factor authentication (OTP)")
    SSO = "sso", _("Intranet sign-in (SSO)")
    BROWSER = "browser", _("Browser")
    NETWORK = "network", _("Network and remote access")
    MAIL_CLIENTS = "mail-clients", _("Mail apps and phones")
    PHISHING = "phishing", _("Phishing and suspicious messages")
    USAGE = "usage", _("Everyday mail")
    QUOTA = "quota", _("Mailbox quota and archiving")
    SECURITY = "security", _("Account security")
    SUPPORT = "support", _("Helpdesk and support")


@dataclass(frozen=True)
class Category:
    code: str
    slug: str
    description: Promise

    @property
    def label(self) -> str:
        return CategoryCode(self.code).label


CATEGORIES = (
    Category(CategoryCode.CONNECTION, "connexion", _("Error messages at sign-in, identifier format, locked account.")),
    Category(CategoryCode.PASSWORD, "mot-de-passe", _("Forgotten or expired password, changing it safely.")),
    Category(CategoryCode.MFA, "double-authentification", _("Authenticator app, refused code, new or lost phone.")),
    Category(CategoryCode.SSO, "intranet-sso", _("Signing in through the intranet link, sign-in loops.")),
    Category(CategoryCode.BROWSER, "navigateur", _("Blank page, outdated browser, cache and cookies.")),
    Category(CategoryCode.NETWORK, "reseau", _("Establishment network, proxy, VPN, testing over 4G.")),
    Category(CategoryCode.MAIL_CLIENTS, "logiciels-de-messagerie", _("Outlook, Thunderbird, iPhone and Android.")),
    Category(CategoryCode.PHISHING, "hameconnage", _("Recognising and reporting a fraudulent message.")),
    Category(
        CategoryCode.USAGE, "messagerie-au-quotidien", _("Out-of-office reply, signature, filters and forwarding.")
    ),
    Category(CategoryCode.QUOTA, "quota-et-archivage", _("Full mailbox, archiving, large attachments.")),
    Category(CategoryCode.SECURITY, "securite", _("Shared computers, security alerts, delegation.")),
    Category(CategoryCode.SUPPORT, "support", _("Contacting the helpdesk and what to tell it.")),
)
BY_CODE = {category.code: category for category in CATEGORIES}
BY_SLUG = {category.slug: category for category in CATEGORIES}
