"""Sign-in in two steps, and re-authentication before sensitive changes.

Every refusal of the password step renders the same page with the same words, whatever the reason (wrong
password, unknown identifier, inactive account, lock): only the per-address limit answers differently (429),
because it concerns the network, not the account.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device

from portal.identity import challenge, key_policy, known_device, session_state, signin, webauthn
from portal.identity.forms import CodeForm, LoginForm, ReauthForm, SecurityKeyAnswerForm
from portal.identity.signin import CodeResult, PasswordResult
from portal.web.network import client_ip
from portal.web.next_page import next_target


def _half_signed_in(request):
    """The person between the password and the second step; None, after telling them to sign in again, when that
    state expired, was never reached, or no longer matches the account (portal.identity.signin.pending_user)."""
    user = signin.pending_user(request)
    if user is None:
        signin.clear_pending(request)
        messages.info(request, _("Please sign in again: the previous step expired or was not completed."))
    return user


def _refused(form: LoginForm) -> None:
    form.add_error(
        None,
        _(
            "Incorrect identifier or password. After several failures, signing in is suspended for a while: "
            "wait and try again, or reset your password."
        ),
    )


@sensitive_post_parameters("password")
@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request.POST or None)
    status = 200
    ip = client_ip(request)
    if request.method == "POST" and form.is_valid():
        if challenge.required(ip) and not challenge.verify(
            ip, request.POST.get("challenge", ""), request.POST.get("challenge_answer", "")
        ):
            # Refused before the password is looked at: no account counter moves, nothing is learnt (R7).
            form.add_error(
                None,
                _(
                    "The automatic anti-robot check was not completed. Wait for it to finish (it needs "
                    "JavaScript), then sign in again."
                ),
            )
            return _login_page(request, form, ip)
        outcome = signin.check_password_step(request, form.cleaned_data["identifier"], form.cleaned_data["password"])
        if outcome.result is PasswordResult.OK:
            user = outcome.user
            if outcome.weak_password:
                # The reason survives the key changes of sign-in and is named on the change page.
                request.session[session_state.PASSWORD_MUST_CHANGE] = outcome.weak_password
            if user_has_device(user, confirmed=True):
                signin.start_second_step(request, user)
                return redirect(f"{reverse('portal:login_code')}?{urlencode({'next': next_target(request)})}")
            # No second factor yet: staff within their grace period may go on; everyone else is sent to enrol by
            # the session middleware before they can reach anything else.
            signin.complete_sign_in(request, user)
            return redirect(next_target(request))
        if outcome.result is PasswordResult.SOURCE_BLOCKED:
            status = 429
            form.add_error(None, _("Too many failed sign-ins from your network. Wait a quarter of an hour."))
        else:
            _refused(form)
    return _login_page(request, form, ip, status=status)


def _login_page(request, form: LoginForm, ip: str, *, status: int = 200):
    # The site-wide Referrer-Policy (same-origin) stays: with no-referrer, browsers send "Origin: null" with the
    # form and Django's CSRF check rightly refuses it.
    context = {
        "form": form,
        "next": next_target(request),
        "challenge": challenge.issue(ip) if challenge.required(ip) else None,
    }
    return render(request, "portal/login.html", context, status=status)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def login_code_view(request):
    user = _half_signed_in(request)
    if user is None:
        return redirect("portal:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = signin.check_code(request, user, form.cleaned_data["code"])
        if outcome.result is CodeResult.OK:
            signin.complete_sign_in(request, user, outcome.device)
            if signin.used_recovery_code(outcome.device):
                # R17: a recovery code is the last resort; lead straight to setting up a new authenticator.
                messages.warning(
                    request, _("You signed in with a recovery code. Set up your authenticator app again now.")
                )
                response = redirect("portal:mfa")
            else:
                response = redirect(next_target(request))
            known_device.remember(response, user)
            return response
        if outcome.result is CodeResult.BLOCKED:
            signin.clear_pending(request)
            messages.error(
                request,
                _(
                    "Too many wrong codes. For your safety the second factor is blocked for an hour and your "
                    "password must be reset. Contact the helpdesk if you need help."
                ),
            )
            return redirect("portal:login")
        if outcome.result is CodeResult.THROTTLED:
            form.add_error(
                "code",
                _("Too many attempts: wait %(seconds)d seconds before trying again.")
                % {"seconds": outcome.wait_seconds},
            )
        elif outcome.result is CodeResult.KEY_REQUIRED:
            form.add_error(None, _key_required_message())
        else:
            form.add_error("code", _("This code is not valid. Check the time on your phone and try the next code."))
    return _second_step_page(request, form, user)


def _second_step_page(request, form: CodeForm, user):
    has_key = key_policy.has_key(user)
    codes_refused = has_key and key_policy.applies(user)
    context = {
        "form": form,
        "next": next_target(request),
        "has_security_key": has_key,
        "codes_refused": codes_refused,
        # Under the key policy an agent with a key is not offered a field whose codes would be refused (R14).
        "offers_code": not codes_refused and signin.has_code_device(user),
    }
    return render(request, "portal/login_code.html", context)


def _key_required_message() -> str:
    return _(
        "Your role requires your security key to sign in: codes from an authenticator app and recovery codes are "
        "not accepted for your account. Use the “Use my security key” button. Lost your key? Contact the helpdesk."
    )


def _key_refused_message(outcome, *, codes_allowed: bool) -> str:
    if outcome.result is CodeResult.THROTTLED:
        return _("Too many attempts: wait %(seconds)d seconds before trying again.") % {"seconds": outcome.wait_seconds}
    if outcome.result is CodeResult.BLOCKED:
        return _(
            "Too many failed attempts with your second factor. For your safety it is blocked for an hour and your "
            "password must be reset. Contact the helpdesk if you need help."
        )
    if codes_allowed:
        return _(
            "Your security key was not accepted: it may not be a key added to your account, or the request took "
            "too long. Try again, or use your authenticator app code."
        )
    return _(
        "Your security key was not accepted: it may not be a key added to your account, or the request took too "
        "long. Try again with your key; if you lost it, contact the helpdesk."
    )


def options_response(options: str | None) -> HttpResponse:
    if options is None:
        return JsonResponse({"error": _("No security key is registered on your account.")}, status=404)
    return HttpResponse(options, content_type="application/json")


@never_cache
@csrf_protect
@require_POST
def login_key_options_view(request):
    """Second step with a security key, first half: the options for navigator.credentials.get() (JSON)."""
    user = _half_signed_in(request)
    if user is None:
        return JsonResponse({"redirect": reverse("portal:login")}, status=401)
    return options_response(webauthn.authentication_options(request, user, purpose=webauthn.Purpose.SIGN_IN))


@never_cache
@csrf_protect
@require_POST
def login_key_view(request):
    """Second step with a security key, second half: the browser's answer, posted by static/js/webauthn.js."""
    user = _half_signed_in(request)
    if user is None:
        return redirect("portal:login")
    form = SecurityKeyAnswerForm(request.POST)
    if form.is_valid():
        outcome = webauthn.security_key_check(
            request, user=user, credential=form.cleaned_data["credential"], purpose=webauthn.Purpose.SIGN_IN
        )
        if outcome.result is CodeResult.OK:
            signin.complete_sign_in(request, user, outcome.device)
            response = redirect(next_target(request))
            known_device.remember(response, user)
            return response
        message = _key_refused_message(
            outcome, codes_allowed=not key_policy.codes_refused(user) and signin.has_code_device(user)
        )
        if outcome.result is CodeResult.BLOCKED:
            signin.clear_pending(request)
            messages.error(request, message)
            return redirect("portal:login")
    else:
        message = _("Your browser sent no answer from a security key. Try again.")
    messages.error(request, message)
    return redirect(f"{reverse('portal:login_code')}?{urlencode({'next': next_target(request)})}")


@sensitive_post_parameters("password", "code")
@never_cache
@csrf_protect
@login_required
@require_http_methods(["GET", "POST"])
def reauth_view(request):
    """Prove every factor again before changing credentials (R13, R29). Wrong passwords count toward the lock."""
    user = request.user
    has_key = key_policy.has_key(user)
    needs_code = not (has_key and key_policy.applies(user)) and signin.has_code_device(user)
    form = ReauthForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        checked = signin.check_current_password(request, user, form.cleaned_data["password"])
        if checked is signin.CurrentPassword.THROTTLED:
            form.add_error("password", _("Too many attempts: wait a moment and try again."))
        elif checked is signin.CurrentPassword.WRONG:
            form.add_error("password", _("This password is not correct."))
        elif has_key and form.cleaned_data["credential"]:
            outcome = webauthn.security_key_check(
                request, user=user, credential=form.cleaned_data["credential"], purpose=webauthn.Purpose.REAUTH
            )
            if outcome.result is CodeResult.OK:
                otp_login(request, outcome.device)
                session_state.mark_reauthenticated(request)
                return redirect(next_target(request))
            form.add_error(None, _key_refused_message(outcome, codes_allowed=needs_code))
        elif needs_code:
            outcome = signin.check_code(request, user, form.cleaned_data["code"])
            if outcome.result is CodeResult.OK:
                otp_login(request, outcome.device)
                session_state.mark_reauthenticated(request)
                return redirect(next_target(request))
            form.add_error("code", _("This code is not valid."))
        elif has_key:
            form.add_error(None, _("Confirm with your security key: use the “Confirm with my security key” button."))
        else:
            session_state.mark_reauthenticated(request)
            return redirect(next_target(request))
    context = {"form": form, "needs_code": needs_code, "has_security_key": has_key, "next": next_target(request)}
    return render(request, "portal/reauth.html", context)


@never_cache
@csrf_protect
@require_POST
def reauth_key_options_view(request):
    """Confirming it is them with a security key: the options for navigator.credentials.get() (JSON)."""
    if not request.user.is_authenticated:
        return JsonResponse({"redirect": reverse("portal:login")}, status=401)
    return options_response(webauthn.authentication_options(request, request.user, purpose=webauthn.Purpose.REAUTH))
