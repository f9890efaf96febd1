"""Second-factor pages of the account area: overview, authenticator enrolment and removal, security keys, recovery
codes."""

import math
import re
import secrets
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal.identity import access_pass, factors, key_policy, mfa, services, webauthn
from portal.identity.cooling_off import CoolingOff
from portal.identity.decorators import recent_verification_required
from portal.identity.forms import security_key_answer_field
from portal.identity.session_state import reauthenticated_recently


class TOTPEnrolForm(forms.Form):
    name = forms.CharField(
        label=_("Name of this authenticator"),
        max_length=64,
        help_text=_("So you can tell your devices apart later, for example “Work phone”."),
        error_messages={"required": _("Give this authenticator a name, for example “Work phone”.")},
    )
    code = forms.CharField(
        label=_("Code shown by the app"),
        max_length=16,
        help_text=_("6 digits. The app shows a new code every 30 seconds: type the one shown now."),
        error_messages={"required": _("Type the 6-digit code shown by the app.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_code(self):
        # Apps display "123 456": accept the spaces people copy along with the digits.
        code = "".join(self.cleaned_data["code"].split())
        if not re.fullmatch(r"[0-9]{6}", code):
            raise ValidationError(_("The code is made of 6 digits, with no letters."), code="format")
        return code


@require_safe
@login_required
def mfa_overview_view(request):
    devices = list(mfa.confirmed_totp_devices(request.user))
    keys = list(webauthn.security_keys(request.user))
    return render(
        request,
        "portal/mfa/overview.html",
        {
            "devices": devices,
            "keep_last_device": mfa.must_keep_last_factor(request.user, devices),
            "security_keys": keys,
            "keep_last_key": webauthn.must_keep_security_key(request.user, keys),
            "key_required": key_policy.applies(request.user),
            "recovery_remaining": mfa.recovery_codes_remaining(request.user),
        },
    )


# never_cache: the page holds the secret, which must not stay in the browser's cache or history snapshots.
@never_cache
@require_http_methods(["GET", "POST"])
@recent_verification_required
def totp_add_view(request):
    device = mfa.totp_enrolment_device(user=request.user)
    form = TOTPEnrolForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        name = form.cleaned_data["name"]
        try:
            mfa.totp_enrol(request=request, device=device, name=name, code=form.cleaned_data["code"])
        except mfa.CodeRefused as refused:
            form.add_error("code", _code_refused_message(refused))
        else:
            messages.success(request, gettext("Authenticator “%(name)s” added.") % {"name": name})
            if access_pass.in_session(request):
                return redirect("portal:access_pass_steps")
            if not mfa.recovery_codes_remaining(request.user):
                return redirect("portal:mfa_recovery_codes")
            return redirect("portal:mfa")
    return render(
        request,
        "portal/mfa/totp_add.html",
        {
            "form": form,
            "qr_svg": mfa.totp_qr_svg(device, label=gettext("QR code to scan with your authenticator app")),
            "secret": mfa.totp_secret(device),
            "config_url": device.config_url,
            "account": request.user.get_username(),
        },
    )


def _code_refused_message(refused: mfa.CodeRefused) -> str:
    if refused.retry_at is None:
        return gettext(
            "This code is not right. Check that you scanned the QR code above (or typed the key), "
            "then type the code the app shows now."
        )
    seconds = max(1, math.ceil((refused.retry_at - timezone.now()).total_seconds()))
    return ngettext(
        "Too many wrong codes in a row. Wait %(seconds)d second, then type the code the app shows now.",
        "Too many wrong codes in a row. Wait %(seconds)d seconds, then type the code the app shows now.",
        seconds,
    ) % {"seconds": seconds}


# GET shows a confirmation page: it is where a person lands after re-authenticating, since the sign-in page sends
# them back to this URL with a GET. Only POST removes.
@require_http_methods(["GET", "POST"])
@recent_verification_required
def device_remove_view(request, device_id):
    device = get_object_or_404(mfa.confirmed_totp_devices(request.user), pk=device_id)
    return _factor_remove(request, device, AUTHENTICATOR_APP_REMOVAL)


@dataclass(frozen=True)
class _Removal:
    """What the removal pages of one kind of factor say; the workflow is the same (services.factor_remove)."""

    template: str
    factor_name: str  # the template's names for the factor and for "it must stay"
    must_stay_name: str
    removed: str
    kept: str


AUTHENTICATOR_APP_REMOVAL = _Removal(
    template="portal/mfa/device_remove.html",
    factor_name="device",
    must_stay_name="keep_last_device",
    removed=_("Authenticator “%(name)s” removed. Your other sessions have been signed out."),
    kept=_(
        "“%(name)s” is your only authenticator and your role requires one. "
        "Add another authenticator first, then remove this one."
    ),
)
SECURITY_KEY_REMOVAL = _Removal(
    template="portal/mfa/security_key_remove.html",
    factor_name="key",
    must_stay_name="keep_last_key",
    removed=_("Security key “%(name)s” removed. Your other sessions have been signed out."),
    kept=_(
        "“%(name)s” is your only security key and your role requires one. Add another key first, then remove this one."
    ),
)


def _factor_remove(request, factor, removal: _Removal):
    """The confirmation page (GET), or the removal and its message (POST)."""
    if request.method == "GET":
        context = {removal.factor_name: factor, removal.must_stay_name: factors.must_stay(request.user, factor)}
        return render(request, removal.template, context)
    try:
        removed = services.factor_remove(user=request.user, factor=factor, by=request.user, request=request)
    except CoolingOff as held:
        messages.error(request, str(held))
        return redirect("portal:mfa")
    if removed:
        messages.success(request, removal.removed % {"name": factor.name})
    else:
        messages.error(request, removal.kept % {"name": factor.name})
    return redirect("portal:mfa")


# never_cache: the POST response shows the codes; no copy may stay in a cache or come back through "Back".
RECOVERY_GENERATION = "guichet_recovery_generation"


@never_cache
@require_http_methods(["GET", "POST"])
@recent_verification_required
def recovery_codes_view(request):
    if request.method == "POST":
        # The form carries a single-use token: reloading the page of new codes re-sends the form, and must not
        # silently replace the codes the person is copying down.
        # A token is needed: a bare POST (no page opened, so None on both sides) makes no new set either.
        expected = request.session.pop(RECOVERY_GENERATION, None)
        if not expected or not secrets.compare_digest(request.POST.get("generation", ""), expected):
            messages.info(
                request,
                _("Your codes were already generated. If you did not note them down, generate a new set below."),
            )
            return redirect("portal:mfa_recovery_codes")
        # Rendered, not redirected: the codes exist only in this response.
        codes = mfa.recovery_codes_regenerate(request=request)
        return render(request, "portal/mfa/recovery_codes_new.html", {"codes": codes})
    request.session[RECOVERY_GENERATION] = generation = secrets.token_urlsafe(16)
    context = {"remaining": mfa.recovery_codes_remaining(request.user), "generation": generation}
    return render(request, "portal/mfa/recovery_codes.html", context)


class SecurityKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name of this security key"),
        max_length=64,
        help_text=_("So you can tell your keys apart later, for example “Blue USB key” or “Laptop fingerprint”."),
        error_messages={"required": _("Give this key a name, for example “Blue USB key”.")},
    )
    # Filled in by static/js/webauthn.js with the browser's answer once the key has been touched.
    credential = security_key_answer_field(required=False)


# never_cache: nothing secret here, but the page starts a ceremony bound to this session; "Back" must not replay it.
@never_cache
@require_http_methods(["GET", "POST"])
@recent_verification_required
def security_key_add_view(request):
    form = SecurityKeyForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        name = form.cleaned_data["name"]
        if not form.cleaned_data["credential"]:
            form.add_error(
                None,
                gettext(
                    "Your browser sent no answer from a security key. Press “Add this key” and follow your "
                    "browser's instructions (this needs JavaScript)."
                ),
            )
        else:
            try:
                webauthn.security_key_register(request=request, name=name, credential=form.cleaned_data["credential"])
            except webauthn.RegistrationRefused as refused:
                form.add_error(None, _registration_refused_message(refused))
            else:
                messages.success(request, gettext("Security key “%(name)s” added.") % {"name": name})
                if access_pass.in_session(request):
                    return redirect("portal:access_pass_steps")
                if not key_policy.applies(request.user) and not mfa.recovery_codes_remaining(request.user):
                    return redirect("portal:mfa_recovery_codes")
                return redirect("portal:mfa")
    context = {"form": form, "key_required": key_policy.applies(request.user)}
    return render(request, "portal/mfa/security_key_add.html", context)


def _registration_refused_message(refused: webauthn.RegistrationRefused) -> str:
    if refused.reason == webauthn.RegistrationRefused.ALREADY_REGISTERED:
        return gettext("This security key is already registered. Use another key, or keep using this one.")
    if refused.reason == webauthn.RegistrationRefused.EXPIRED:
        return gettext("The request to your security key expired or was already used. Press “Add this key” again.")
    return gettext(
        "Your security key's answer could not be checked. Press “Add this key” to try again; if it keeps failing, "
        "try another browser or contact the helpdesk."
    )


@never_cache
@require_POST
def security_key_options_view(request):
    """Adding a key, first half: the options for navigator.credentials.create() (JSON), after a recent check."""
    if not request.user.is_authenticated:
        return JsonResponse({"redirect": reverse("portal:login")}, status=401)
    if not reauthenticated_recently(request):
        reauth = f"{reverse('portal:reauth')}?{urlencode({'next': reverse('portal:mfa_key_add')})}"
        return JsonResponse(
            {"error": gettext("For your safety, confirm it is you before adding a key."), "redirect": reauth},
            status=403,
        )
    return HttpResponse(webauthn.registration_options(request), content_type="application/json")


# GET shows a confirmation page, where a person lands after re-authenticating; only POST removes.
@require_http_methods(["GET", "POST"])
@recent_verification_required
def security_key_remove_view(request, key_id):
    key = get_object_or_404(webauthn.security_keys(request.user), pk=key_id)
    return _factor_remove(request, key, SECURITY_KEY_REMOVAL)
