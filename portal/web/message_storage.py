"""Where the one-off messages after an action wait ("You are signed out"…): Django's cookie-then-session storage,
with the cookie named ``__Host-messages`` in production, like the session and CSRF cookies, so no sub-domain can
plant or read it (browsers accept a __Host- cookie only Secure, host-only and for the whole site, which Django's
cookie storage gives it from the session cookie settings)."""

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.messages.storage.session import SessionStorage


class HostCookieStorage(CookieStorage):
    cookie_name = "__Host-messages" if settings.PRODUCTION else "messages"


class HostFallbackStorage(FallbackStorage):
    storage_classes = (HostCookieStorage, SessionStorage)
