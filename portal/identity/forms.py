from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

NO_AUTOCORRECT = {"autocapitalize": "none", "spellcheck": "false"}


def password_field(label, autocomplete: str) -> forms.CharField:
    # strip=False: spaces are part of a passphrase. max_length only bounds the work done on a hostile input; the
    # policy's own maximum (128) is a validator with a readable message.
    return forms.CharField(
        label=label, strip=False, max_length=4096, widget=forms.PasswordInput(attrs={"autocomplete": autocomplete})
    )


class CodeField(forms.CharField):
    """A code as typed from an app or from paper: "123 456" and "abcd-efgh …" lose their spaces."""

    def to_python(self, value):
        return "".join(super().to_python(value).split())


def code_field(*, required: bool = True) -> forms.CharField:
    return CodeField(
        label=_("Code"),
        max_length=40,
        required=required,
        help_text=_("The 6-digit code of your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", **NO_AUTOCORRECT}),
    )


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("Identifier"),
        max_length=150,
        help_text=_("Usually firstname.lastname, as in your e-mail address."),
        widget=forms.TextInput(attrs={"autocomplete": "username", **NO_AUTOCORRECT}),
    )
    password = password_field(_("Password"), "current-password")


class CodeForm(forms.Form):
    code = code_field()


def security_key_answer_field(*, required: bool = True) -> forms.CharField:
    """The browser's answer to a security-key ceremony (JSON, base64url inside), filled in by static/js/webauthn.js."""
    return forms.CharField(required=required, max_length=65536, strip=False, widget=forms.HiddenInput)


class SecurityKeyAnswerForm(forms.Form):
    credential = security_key_answer_field()


class ReauthForm(forms.Form):
    password = password_field(_("Password"), "current-password")
    code = code_field(required=False)
    credential = security_key_answer_field(required=False)


class NewPasswordForm(forms.Form):
    """A new password typed twice and checked against the policy (the store's own policy is checked when it is
    written: credentials.PasswordRefused)."""

    new_password = password_field(_("New password"), "new-password")
    confirmation = password_field(_("New password again"), "new-password")

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Built per form, not at import, so the rules are listed in the language of the page.
        self.fields["new_password"].help_text = password_validation.password_validators_help_text_html()

    def clean_new_password(self):
        password = self.cleaned_data["new_password"]
        password_validation.validate_password(password, self.user)
        return password

    def clean(self):
        cleaned = super().clean()
        new, again = cleaned.get("new_password"), cleaned.get("confirmation")
        if new and again and new != again:
            self.add_error("confirmation", forms.ValidationError(_("The two new passwords differ."), code="mismatch"))
        return cleaned

    def refused(self, error) -> None:
        """Show why the store refused the password (credentials.PasswordRefused)."""
        for reason in error.reasons:
            self.add_error("new_password", forms.ValidationError(reason, code="store_policy"))


class PasswordChangeForm(NewPasswordForm):
    current_password = password_field(_("Current password"), "current-password")
    field_order = ["current_password", "new_password", "confirmation"]

    def __init__(self, user, *args, check_current=None, **kwargs):
        super().__init__(user, *args, **kwargs)
        # Checks the current password through the sign-in lockout (portal.identity.signin.check_current_password).
        self.check_current = check_current

    def clean_current_password(self):
        from portal.identity.signin import CurrentPassword

        password = self.cleaned_data["current_password"]
        result = self.check_current(password)
        if result is CurrentPassword.THROTTLED:
            raise forms.ValidationError(_("Too many attempts: wait a moment and try again."), code="throttled")
        if result is CurrentPassword.WRONG:
            raise forms.ValidationError(_("This is not your current password."), code="wrong_password")
        return password


class ResetRequestForm(forms.Form):
    identifier = forms.CharField(
        label=_("Identifier or work e-mail address"),
        max_length=254,
        help_text=_("Usually firstname.lastname, or firstname.lastname@ followed by your organisation's domain."),
        widget=forms.TextInput(attrs={"autocomplete": "username", **NO_AUTOCORRECT}),
    )


class ApiTokenForm(forms.Form):
    """A new personal API token: what it is for, what it may do, how long it lives."""

    name = forms.CharField(
        label=_("What is this token for?"),
        max_length=80,
        help_text=_("For example: the school's inventory script. It helps you recognise it in the list."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What may it do?"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one thing the token may do.")},
    )
    days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        initial=30,
        error_messages={"invalid_choice": _("Choose one of the durations offered.")},
    )

    def __init__(self, *args, user, **kwargs):
        from portal.identity.api_tokens import LIFETIMES, scopes_for

        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = scopes_for(user)
        self.fields["days"].choices = [
            (days, ngettext("%(count)d day", "%(count)d days", days) % {"count": days}) for days in LIFETIMES
        ]


class RecoveryRequestForm(forms.Form):
    """ "Reset my second factor" on the lost-phone page: who, what happened, how to reach them (R38)."""

    identifier = forms.CharField(
        label=_("Identifier or work e-mail address"),
        max_length=254,
        help_text=_("Usually firstname.lastname, or firstname.lastname@ followed by your organisation's domain."),
        widget=forms.TextInput(attrs={"autocomplete": "username", **NO_AUTOCORRECT}),
    )
    message = forms.CharField(
        label=_("What happened"),
        max_length=2000,
        help_text=_("For example: phone lost on Monday, no recovery codes, I can come to the helpdesk office."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    contact = forms.CharField(
        label=_("How to reach you"),
        max_length=200,
        required=False,
        help_text=_(
            "A phone number or an address, and when you are available. To check it is you, the helpdesk calls back "
            "only on the number of your HR record, or sees you in person or on a video call."
        ),
    )


# Not an identity check: what a caller can recite about someone (R38). Chosen, it records a failed attempt.
PERSONAL_DETAILS_ONLY = "personal_details_only"


class MfaResetStartForm(forms.Form):
    """The agent's record of the identity check that lets a second-factor reset start (R38). No password field:
    the agent never sets or learns one (R40)."""

    method = forms.ChoiceField(
        label=_("How did you check that the caller is the account's owner?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how you checked the person's identity.")},
    )
    evidence = forms.CharField(
        label=_("Evidence of the check"),
        max_length=1000,
        required=False,
        help_text=_(
            "The verification transaction, the badge or ID seen and its number, the time of the call-back… "
            "Required to start a reset."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    case = forms.CharField(
        label=_("Helpdesk case"),
        max_length=20,
        required=False,
        help_text=_("Its reference, for example INC-2026-000123. Without one, a case is opened."),
        widget=forms.TextInput(attrs=NO_AUTOCORRECT),
    )

    def __init__(self, *args, target, agent, **kwargs):
        from portal.identity.helpdesk_reset import method_available
        from portal.models import IdentityCheck

        super().__init__(*args, **kwargs)
        choices = [
            (value, label) for value, label in IdentityCheck.choices if not method_available(value, target, by=agent)
        ]
        choices.append(
            (
                PERSONAL_DETAILS_ONLY,
                _(
                    "The caller could only give personal details (name, employee number, date of birth, manager's "
                    "name): no reset, the attempt is recorded and the owner warned"
                ),
            )
        )
        self.fields["method"].choices = choices

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("method") and cleaned["method"] != PERSONAL_DETAILS_ONLY and not cleaned.get("evidence", ""):
            self.add_error(
                "evidence",
                forms.ValidationError(
                    _("Say what shows the identity check was done: without it, no reset can start."), code="required"
                ),
            )
        return cleaned


class MfaResetRefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why"),
        max_length=300,
        help_text=_("For the case and the security log, for example: the ID did not match the HR record."),
    )


class AccessPassForm(forms.Form):
    identifier = forms.CharField(
        label=_("Identifier"),
        max_length=150,
        help_text=_("Usually firstname.lastname, as in your e-mail address."),
        widget=forms.TextInput(attrs={"autocomplete": "username", **NO_AUTOCORRECT}),
    )
    access_pass = forms.CharField(
        label=_("Temporary access pass"),
        max_length=40,
        help_text=_("The 16 characters the helpdesk read out to you, for example ABCD-EFGH-JKMN-PQRS."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", **NO_AUTOCORRECT}),
    )
