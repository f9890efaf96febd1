"""What every API view requires unless it says otherwise (R8, R42): a session that passed the second factor.

The API has no credential endpoint of its own: it is reached with the session of a full sign-in (password and
second factor), so it shares every sign-in protection of the web flow. Staff still inside their enrolment grace
period, who have no second factor to check yet, are the one exception, as on the web pages; agents and admins never
are.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp import user_has_device
from rest_framework.permissions import BasePermission

from portal import key_policy


class IsVerified(BasePermission):
    message = _("Sign in with your second factor to use the API.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if user.is_verified():
            return key_policy.session_satisfies(user)  # agents and admins, under the policy: with a key (R14)
        return not user.is_agent and timezone.now() <= user.mfa_deadline and not user_has_device(user, confirmed=True)
