"""Who must use a security key, and whether a session proved one (R14).

With ``GUICHET_PRIVILEGED_REQUIRE_SECURITY_KEY`` on, agents and admins use the phishing-resistant factor only:

- once they have a security key, codes (authenticator app, recovery codes) no longer sign them in or confirm it is
  them; the key does;
- until they have one, they may sign in with a code, but then reach only the pages to add a key
  (``SessionPolicyMiddleware``), and the agent pages and the admin refuse any session not verified with a key.

Staff are not concerned: an authenticator app is enough for them. No factor is ever sent by e-mail or SMS.
Small and free of the WebAuthn library on purpose: the middleware, the decorators and the admin ask it on every
request.
"""

from django.conf import settings

from portal.models import SecurityKey


def applies(user) -> bool:
    """The person's role requires a security key under the current policy."""
    return bool(settings.GUICHET_PRIVILEGED_REQUIRE_SECURITY_KEY and user.is_authenticated and user.is_agent)


def has_key(user) -> bool:
    return SecurityKey.objects.filter(user=user, confirmed=True).exists()


def codes_refused(user) -> bool:
    """Codes no longer sign this person in: the policy applies and they have a key to use instead."""
    return applies(user) and has_key(user)


def verified_with_key(user) -> bool:
    """This request's session proved a security key (``otp_device`` is set by django-otp's middleware)."""
    return isinstance(getattr(user, "otp_device", None), SecurityKey)


def session_satisfies(user) -> bool:
    """The session is verified as the person's role requires: with a key when the policy applies to them."""
    return not applies(user) or verified_with_key(user)
