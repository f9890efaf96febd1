"""Where a request comes from: the one way every part of the portal reads the client's address (sign-in counters,
rate limits, metrics networks, security events)."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address of the client as seen by the outermost trusted proxy.

    With N trusted proxies, each appends the address it received the request from to X-Forwarded-For, so the real
    client is the N-th entry from the right; everything left of it was written by the client and is ignored.
    With no proxy (N = 0), the socket address is the client.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 (a placeholder, never bound)
    count = settings.GUICHET_TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
