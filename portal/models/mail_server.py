import hashlib

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models.security import Source


class MailServerQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True)


class MailServer(models.Model):
    """A mail server (Dovecot, a submission relay) allowed to ask the portal whether a login may go on and to
    report its outcome (portal.identity.mail_policy).

    Its key reads ``gms_<prefix>_<secret>``; it is shown once, by ``manage.py mail_server add``, and only the SHA-256
    of the secret is kept (256 random bits: nothing to brute-force). ``prefix`` finds the row.
    """

    PREFIX_LENGTH = 8

    name = models.CharField(_("name"), max_length=80, unique=True)
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last request"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = MailServerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("mail server")
        verbose_name_plural = _("mail servers")

    def __str__(self):
        return self.name

    @staticmethod
    def digest(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()


class MailClient(models.Model):
    """One mail app as the portal sees it through its failures: an identifier, a protocol and a device (Dovecot's
    client id, else the address), with the short hash of the last wrong password it sent.

    A failure that repeats that hash is the same password tried again, not a new guess: after a password change it is
    a phone or a desktop client still holding the old one (a *stale client*). Such repeats do not take the lock beyond
    its first tier, and the person is told once which app it is (portal.identity.stale_clients).
    """

    identifier = models.CharField(_("identifier"), max_length=150)
    protocol = models.CharField(_("protocol"), max_length=16, choices=Source.choices)
    device = models.CharField(_("device"), max_length=200)
    pwhash = models.CharField(max_length=16, editable=False)  # stale_clients.fingerprint of the hash sent
    repeats = models.PositiveIntegerField(_("repeated failures"), default=0)
    first_failure_at = models.DateTimeField(_("first failure"))
    last_failure_at = models.DateTimeField(_("last failure"))
    last_ip = models.GenericIPAddressField(_("last address"), null=True, blank=True)
    notified_at = models.DateTimeField(_("owner told"), null=True, blank=True)

    class Meta:
        ordering = ["-last_failure_at"]
        verbose_name = _("mail app")
        verbose_name_plural = _("mail apps")
        constraints = [
            models.UniqueConstraint(fields=["identifier", "protocol", "device"], name="mail_client_unique"),
        ]

    def __str__(self):
        return f"{self.identifier} {self.protocol} {self.device}"
