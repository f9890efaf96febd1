"""'I forgot my password': the request, the link, the second factor, the new password (portal.identity.reset).

The link's secret leaves the address bar at once: its page keeps it in the server-side session and redirects to a
page without it, so it reaches no Referer, history or later log line (R23). That redirect says
``Referrer-Policy: no-referrer``. The pages with a form keep the site's ``same-origin``, which never sends a Referer
to another site: under ``no-referrer`` browsers post forms with ``Origin: null``, which the CSRF check rightly
refuses, and their addresses hold no secret anyway. No page here loads anything from elsewhere.

A person with a second factor proves it before the new password is accepted (R24), by the same checks and limits
as at sign-in; nobody is signed in at the end.
"""

from functools import wraps

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import user_has_device

from portal.identity import key_policy, reset, signin, webauthn
from portal.identity.credentials import PasswordRefused
from portal.identity.events import record_event
from portal.identity.forms import CodeForm, NewPasswordForm, ResetRequestForm, SecurityKeyAnswerForm
from portal.identity.signin import CodeResult
from portal.identity.views.login import options_response
from portal.models import EventKind

# Session keys: the link's secret, moved there from the address; the link whose account proved a second factor.
RESET_SECRET = "guichet_reset_secret"  # noqa: S105 (the name of a session key)
RESET_PROVED = "guichet_reset_proved"


def no_referrer(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapper


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_view(request):
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reset.reset_request(submitted=form.cleaned_data["identifier"], request=request)
        # The same answer whatever was typed, sent or not (R18).
        return redirect("portal:password_reset_sent")
    return render(request, "portal/reset/request.html", {"form": form})


@never_cache
@no_referrer
@require_GET
def password_reset_sent_view(request):
    return render(request, "portal/reset/sent.html")


@never_cache
@no_referrer
@require_GET
def password_reset_link_view(request, secret):
    """The link of the e-mail: remember its secret in the session and go on to a page whose address lacks it.
    Nothing is checked or used up here, so a mail scanner opening the link spoils nothing (R22)."""
    request.session[RESET_SECRET] = secret[: reset.MAX_SECRET_LENGTH + 1]
    request.session.pop(RESET_PROVED, None)
    return redirect("portal:password_reset_new")


def _link(request):
    secret = request.session.get(RESET_SECRET)
    return reset.link_for(secret) if secret else None


def _needs_factor(request, token) -> bool:
    return user_has_device(token.user, confirmed=True) and request.session.get(RESET_PROVED) != token.pk


def _invalid_page(request):
    request.session.pop(RESET_SECRET, None)
    request.session.pop(RESET_PROVED, None)
    return render(request, "portal/reset/invalid.html", status=410)


@sensitive_post_parameters("new_password", "confirmation")
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_new_view(request):
    token = _link(request)
    if token is None:
        return _invalid_page(request)
    if _needs_factor(request, token):
        return _factor_page(request, token, CodeForm())
    form = NewPasswordForm(token.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = reset.reset_complete(token=token, password=form.cleaned_data["new_password"], request=request)
        except PasswordRefused as refused:
            form.refused(refused)
        else:
            if not done:
                return _invalid_page(request)
            request.session.flush()  # this browser was never signed in; it keeps nothing of the reset either
            messages.success(
                request,
                _(
                    "Your password is changed and every session of your account is signed out. Sign in with the "
                    "new password; your second factor is asked as usual. Then update the password on your phone "
                    "and mail software."
                ),
            )
            return redirect("portal:login")
    return render(request, "portal/reset/new_password.html", {"form": form, "account": token.user})


def _factor_page(request, token, form, status=200):
    user = token.user
    has_key = key_policy.has_key(user)
    codes_refused = has_key and key_policy.applies(user)
    context = {
        "form": form,
        "account": user,
        "has_security_key": has_key,
        "codes_refused": codes_refused,
        "offers_code": not codes_refused and signin.has_code_device(user),
    }
    return render(request, "portal/reset/factor.html", context, status=status)


def _proved(request, token, device):
    request.session[RESET_PROVED] = token.pk
    if signin.used_recovery_code(device):
        record_event(
            EventKind.RECOVERY_CODE_USED,
            request=request,
            user=token.user,
            data={"remaining": device.remaining, "during": "password reset"},
            notify=True,
        )
    return redirect("portal:password_reset_new")


def _factor_error(outcome) -> str:
    if outcome.result is CodeResult.THROTTLED:
        return _("Too many attempts: wait %(seconds)d seconds before trying again.") % {"seconds": outcome.wait_seconds}
    if outcome.result is CodeResult.BLOCKED:
        return _(
            "Too many failed attempts with your second factor: it is blocked for an hour. Try again later, or "
            "contact the helpdesk."
        )
    if outcome.result is CodeResult.KEY_REQUIRED:
        return _("Your role requires your security key: codes are not accepted for your account.")
    return _("This code is not valid. Check the time on your phone and try the next code.")


@never_cache
@require_POST
def password_reset_code_view(request):
    token = _link(request)
    if token is None:
        return _invalid_page(request)
    form = CodeForm(request.POST)
    if form.is_valid():
        outcome = signin.check_code(request, token.user, form.cleaned_data["code"])
        if outcome.result is CodeResult.OK:
            return _proved(request, token, outcome.device)
        form.add_error("code", _factor_error(outcome))
    return _factor_page(request, token, form, status=400)


@never_cache
@csrf_protect
@require_POST
def password_reset_key_options_view(request):
    token = _link(request)
    if token is None:
        return JsonResponse({"redirect": reverse("portal:password_reset_new")}, status=401)
    return options_response(webauthn.authentication_options(request, token.user, purpose=webauthn.Purpose.RESET))


@never_cache
@require_POST
def password_reset_key_view(request):
    token = _link(request)
    if token is None:
        return _invalid_page(request)
    form = CodeForm()
    answer = SecurityKeyAnswerForm(request.POST)
    if answer.is_valid():
        outcome = webauthn.security_key_check(
            request, user=token.user, credential=answer.cleaned_data["credential"], purpose=webauthn.Purpose.RESET
        )
        if outcome.result is CodeResult.OK:
            return _proved(request, token, outcome.device)
        form.add_error(None, _factor_error(outcome) if outcome.result is not CodeResult.WRONG else _key_refused())
    else:
        form.add_error(None, _("Your browser sent no answer from a security key. Try again."))
    return _factor_page(request, token, form, status=400)


def _key_refused() -> str:
    return _(
        "Your security key was not accepted: it may not be a key added to your account, or the request took too "
        "long. Try again."
    )


@never_cache
@require_GET
def lost_phone_view(request):
    """What to do without one's phone: with recovery codes, alone; without, with the helpdesk."""
    return render(request, "portal/reset/lost_phone.html", {"recovery_request_url": reverse("portal:recovery_request")})
