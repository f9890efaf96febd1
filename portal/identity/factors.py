"""The second factors a person removes one at a time, authenticator apps and security keys, seen as one thing.

Each kind has its own list of the person's confirmed factors and its own rule for when the last one must stay
(``portal.identity.mfa.must_keep_last_factor``, ``portal.identity.webauthn.must_keep_security_key``); removing
one is the same workflow whatever the kind (``portal.identity.services.factor_remove``). Recovery codes are not
removed one by one: they are replaced as a set.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from portal.identity import mfa, webauthn
from portal.models import AuthenticatorApp, SecurityKey


@dataclass(frozen=True)
class FactorKind:
    confirmed: Callable[..., QuerySet]  # the person's confirmed factors of this kind, oldest first
    must_keep: Callable[..., bool]  # (user, factors of this kind) → the last one may not go
    event_data: dict = field(default_factory=dict)  # what the event adds to the device's name


AUTHENTICATOR_APP = FactorKind(confirmed=mfa.confirmed_totp_devices, must_keep=mfa.must_keep_last_factor)
SECURITY_KEY = FactorKind(
    confirmed=webauthn.security_keys,
    must_keep=webauthn.must_keep_security_key,
    event_data={"factor": "security_key"},
)


def kind_of(factor: AuthenticatorApp | SecurityKey) -> FactorKind:
    return SECURITY_KEY if isinstance(factor, SecurityKey) else AUTHENTICATOR_APP


def must_stay(user, factor: AuthenticatorApp | SecurityKey) -> bool:
    """Whether the person may not remove ``factor`` now (for the confirmation page; the removal checks it again
    under a lock)."""
    kind = kind_of(factor)
    return kind.must_keep(user, list(kind.confirmed(user)))
