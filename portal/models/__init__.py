from portal.models.accounts import Role, User, UserManager, identifier_validator
from portal.models.api_token import ApiToken, Scope
from portal.models.authenticator import AuthenticatorApp
from portal.models.event_base import EventBase
from portal.models.jobs import JobRun
from portal.models.lockout import AccountLockout, ChallengeMode, SourceThrottle
from portal.models.mfa import RecoveryCode, RecoveryCodeDevice
from portal.models.reset import PasswordResetRequest, PasswordResetToken
from portal.models.security import EventKind, SecurityEvent
from portal.models.security_key import SecurityKey
from portal.models.sessions import SignedInSession

__all__ = [
    "AccountLockout",
    "ApiToken",
    "AuthenticatorApp",
    "ChallengeMode",
    "EventBase",
    "EventKind",
    "JobRun",
    "PasswordResetRequest",
    "PasswordResetToken",
    "RecoveryCode",
    "RecoveryCodeDevice",
    "Role",
    "Scope",
    "SecurityEvent",
    "SecurityKey",
    "SignedInSession",
    "SourceThrottle",
    "User",
    "UserManager",
    "identifier_validator",
]
