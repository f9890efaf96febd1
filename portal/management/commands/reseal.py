"""Re-seal every authenticator seed with the first key of GUICHET_SEALING_KEYS (after a key rotation)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from portal.models import AuthenticatorApp
from portal.web import sealing


class Command(BaseCommand):
    help = "Rewrite authenticator seeds sealed with an older key so the old key can be retired."

    def handle(self, *args, **options):
        resealed = 0
        with transaction.atomic():
            for device in AuthenticatorApp.objects.select_for_update().only("pk", "user_id", "sealed_seed"):
                if sealing.is_sealed_with_current_key(device.sealed_seed):
                    continue
                device.set_seed(device.bin_key)
                device.save(update_fields=["sealed_seed"])
                resealed += 1
        self.stdout.write(f"{resealed} seed(s) re-sealed with the current key.")
