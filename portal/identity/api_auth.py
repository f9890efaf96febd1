"""Who may call the API, and how a call proves who it is (R8, R42).

Permission: a session that passed the second factor, unless a view says otherwise, or a personal token within its
scopes. The API has no credential endpoint of its own: it is reached with the session of a full sign-in (password
and second factor), so it shares every sign-in protection of the web flow. Staff still inside their enrolment grace
period, who have no second factor to check yet, are the one exception, as on the web pages; agents and admins never
are.
"""

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp import user_has_device
from rest_framework import authentication, exceptions
from rest_framework.permissions import BasePermission

from portal.identity import key_policy
from portal.identity.api_tokens import TOKEN_PREFIX, TokenRefused, api_token_check
from portal.models import ApiToken, Scope


class IsVerified(BasePermission):
    """A session that passed the second factor, or a personal token (issued only to such a session) whose scopes
    cover the request: "read" for reading, "file" for writing, and "agent" for any token of an agent or admin,
    whose every answer carries the helpdesk's rights."""

    message = _("Sign in with your second factor to use the API.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if isinstance(getattr(request, "auth", None), ApiToken):
            return self._token_allows(request, request.auth)
        if user.is_verified():
            return key_policy.session_satisfies(user)  # agents and admins, under the policy: with a key (R14)
        return not user.is_agent and timezone.now() <= user.mfa_deadline and not user_has_device(user, confirmed=True)

    def _token_allows(self, request, token: ApiToken) -> bool:
        needed = Scope.READ if request.method in ("GET", "HEAD", "OPTIONS") else Scope.FILE
        if token.user.is_agent and not token.allows(Scope.AGENT):
            self.message = _("This token has no agent scope: an agent's account needs one to use the API.")
            return False
        if not token.allows(needed):
            self.message = _("This token does not have the “%(scope)s” scope this request needs.") % {"scope": needed}
            return False
        return True


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer gch_…``: a personal token (portal.identity.api_tokens). Any other scheme or none is
    left to session authentication; a wrong token is refused, never treated as no token. Refusals stay 403 (no
    WWW-Authenticate challenge), as for a session without its second factor."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        scheme, _space, value = header.partition(" ")
        if scheme != self.keyword or not value.startswith(f"{TOKEN_PREFIX}_"):
            return None
        try:
            token = api_token_check(request, value.strip())
        except TokenRefused as refused:
            if refused.source_blocked:
                raise exceptions.Throttled(wait=int(settings.GUICHET_SOURCE_WINDOW.total_seconds())) from None
            raise exceptions.AuthenticationFailed(_("This token is not valid, or no longer is.")) from None
        return token.user, token


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication, whose CSRF refusal says what to do in the request's language instead of
    quoting Django's English reason ("CSRF token missing")."""

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise exceptions.PermissionDenied(
                _(
                    "The security token (CSRF) of this request is missing or out of date. Send the csrftoken "
                    "cookie's value in the X-CSRFToken header, or reload the page and try again."
                ),
                code="csrf_failed",
            ) from None
