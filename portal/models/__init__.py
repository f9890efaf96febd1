from portal.models.accounts import ROLE_RANK, Role, User, UserManager, identifier_validator, role_rank
from portal.models.api_token import ApiToken, Scope
from portal.models.authenticator import AuthenticatorApp
from portal.models.event_base import EventBase
from portal.models.helpdesk import (
    IdentityCheck,
    MfaResetRequest,
    MfaResetState,
    RecoveryRequest,
    TemporaryAccessPass,
)
from portal.models.jobs import JobCursor, JobRun, LogCursor
from portal.models.lockout import AccountLockout, ChallengeMode, SourceThrottle
from portal.models.mail_server import MailClient, MailServer
from portal.models.mfa import RecoveryCode, RecoveryCodeDevice
from portal.models.reset import PasswordResetRequest, PasswordResetToken
from portal.models.security import EventKind, SecurityEvent
from portal.models.security_key import SecurityKey
from portal.models.sessions import SignedInSession

__all__ = [
    "ROLE_RANK",
    "IdentityCheck",
    "MfaResetRequest",
    "MfaResetState",
    "RecoveryRequest",
    "TemporaryAccessPass",
    "role_rank",
    "AccountLockout",
    "ApiToken",
    "AuthenticatorApp",
    "MailServer",
    "ChallengeMode",
    "EventBase",
    "EventKind",
    "JobCursor",
    "JobRun",
    "LogCursor",
    "MailClient",
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
