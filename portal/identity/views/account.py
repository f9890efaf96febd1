"""The person's own account: signing out, the security page, signing out other sessions, changing the password; and
the helpdesk's view of any account's security events."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.identity import not_me, session_registry
from portal.identity.credentials import PasswordRefused
from portal.identity.decorators import agent_required, recent_verification_required
from portal.identity.events import record_event
from portal.identity.forms import PasswordChangeForm
from portal.identity.notifications import browser_summary
from portal.identity.selectors import account_for, mail_apps_for, security_events_for
from portal.identity.services import password_set, sessions_end_all
from portal.identity.session_state import PASSWORD_MUST_CHANGE
from portal.identity.signin import check_current_password
from portal.models import EventKind, SecurityEvent, SignedInSession, User


@dataclass(frozen=True)
class EventRow:
    event: SecurityEvent
    browser: str


def _event_rows(account: User, viewer) -> list[EventRow]:
    """The account's latest events the viewer may read, newest first, in one query whatever their number."""
    events = security_events_for(account.username, viewer=viewer)
    return [EventRow(event, browser_summary(event.user_agent)) for event in events]


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        record_event(EventKind.LOGOUT, request=request, user=request.user)
        session_registry.end(request)
    logout(request)  # flushes the server-side session: a copy of the cookie opens nothing
    messages.success(request, gettext("You are signed out. On a shared computer, also close the browser."))
    return redirect("home")


@never_cache
@require_GET
@login_required
def security_view(request):
    context = {
        "rows": _event_rows(request.user, request.user),
        "mail_apps": mail_apps_for(request.user.username, viewer=request.user),
        "sessions": _session_rows(request),
        "tokens": request.user.api_tokens.filter(revoked_at__isnull=True).order_by("-created_at"),
    }
    return render(request, "portal/account/security.html", context)


@dataclass(frozen=True)
class SessionRow:
    entry: SignedInSession
    browser: str
    current: bool


def _session_rows(request) -> list[SessionRow]:
    current = session_registry.current_id(request)
    return [
        SessionRow(entry, browser_summary(entry.user_agent), entry.public_id == current)
        for entry in request.user.signed_in_sessions.all()
    ]


@require_POST
@login_required
def session_end_view(request, public_id):
    """Sign out one other browser from the list (the current one signs out with the usual button)."""
    if public_id == session_registry.current_id(request):
        return redirect("portal:security")
    with transaction.atomic():
        if session_registry.end_one(user=request.user, public_id=public_id):
            record_event(EventKind.SESSION_ENDED, request=request, user=request.user)
            messages.success(request, gettext("That session is signed out."))
    return redirect("portal:security")


@require_POST
@login_required
def logout_other_sessions_view(request):
    sessions_end_all(user=request.user, by=request.user, request=request, keep=session_registry.current_id(request))
    messages.success(request, gettext("Your other sessions are signed out. This one stays open."))
    return redirect("portal:security")


@never_cache
@require_GET
@agent_required
def account_events_view(request, username):
    account = account_for(username)
    if account is None:
        raise Http404
    rows = _event_rows(account, request.user)
    mail_apps = mail_apps_for(account.username, viewer=request.user)
    context = {"account": account, "rows": rows, "mail_apps": mail_apps}
    return render(request, "portal/account/account_events.html", context)


@sensitive_post_parameters("current_password", "new_password", "confirmation")
@never_cache
@require_http_methods(["GET", "POST"])
@recent_verification_required
def password_change_view(request):
    user = request.user
    if request.method != "POST":
        return _password_change_page(request, PasswordChangeForm(user))
    form = PasswordChangeForm(user, request.POST, check_current=lambda pw: check_current_password(request, user, pw))
    if not form.is_valid():
        return _password_change_page(request, form)
    try:
        password_set(user=user, password=form.cleaned_data["new_password"], by=user, reason="change", request=request)
    except PasswordRefused as refused:
        form.refused(refused)
        return _password_change_page(request, form)
    request.session.pop(PASSWORD_MUST_CHANGE, None)
    messages.success(request, gettext("Your password is changed. Your other sessions are signed out."))
    return redirect("portal:security")


def _password_change_page(request, form):
    return render(request, "portal/account/password_change.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def not_me_view(request, token):
    """ "This wasn't me", from a security e-mail: the page says what will happen; only the button does it."""
    event = not_me.event_for(token)
    if event is None:
        return render(request, "portal/account/not_me.html", {"expired": True}, status=410)
    if request.method == "POST":
        case = not_me.not_me_report(request=request, event=event)
        if request.user.is_authenticated:
            logout(request)  # this browser's session ended with the others
        return render(request, "portal/account/not_me.html", {"done": True, "case": case})
    return render(request, "portal/account/not_me.html", {"event": event})
