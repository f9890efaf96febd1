"""Print the code a demo account's authenticator app would show now, so demo agents can sign in without a phone."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from portal.identity import mfa
from portal.models import User


class Command(BaseCommand):
    help = "Print the current 6-digit code of an account's authenticator app (development only)."

    def add_arguments(self, parser):
        parser.add_argument("identifier", help="the account's identifier, for example sophie.bernard")

    def handle(self, *args, identifier, **options):
        if settings.PRODUCTION:
            raise CommandError("demo_otp prints second-factor codes; it never runs when DJANGO_ENV=production.")
        try:
            user = User.objects.get_by_natural_key(identifier)
        except User.DoesNotExist:
            raise CommandError(f"No account with the identifier {identifier!r}.") from None
        device = mfa.confirmed_totp_devices(user).first()
        if device is None:
            raise CommandError(f"{user.username} has no authenticator app set up.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        # On stderr, so `$(manage.py demo_otp …)` captures the code alone.
        seconds_left = device.step - int(totp.time - device.t0) % device.step
        self.stderr.write(f"valid for {seconds_left} more seconds; each code signs in only once")
