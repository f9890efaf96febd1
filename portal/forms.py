from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

CODE_ATTRS = {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
CODE_HELP = _("The 6-digit code of your authenticator app, or one of your recovery codes.")


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("Identifier"),
        max_length=150,
        help_text=_("Usually firstname.lastname, as in your e-mail address."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("The 6-digit code of your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split())


class ReauthForm(forms.Form):
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        required=False,
        help_text=_("The 6-digit code of your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


class PasswordChangeForm(forms.Form):
    # strip=False: spaces are part of a passphrase. max_length only bounds the work done on a hostile input; the
    # policy's own maximum (128) is a validator with a readable message.
    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirmation = forms.CharField(
        label=_("New password again"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user, *args, check_current=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Checks the current password through the sign-in lockout (portal.signin.check_current_password).
        self.check_current = check_current
        # Built per form, not at import, so the rules are listed in the language of the page.
        self.fields["new_password"].help_text = password_validation.password_validators_help_text_html()

    def clean_current_password(self):
        from portal.signin import CurrentPassword

        password = self.cleaned_data["current_password"]
        result = self.check_current(password)
        if result is CurrentPassword.THROTTLED:
            raise forms.ValidationError(_("Too many attempts: wait a moment and try again."), code="throttled")
        if result is CurrentPassword.WRONG:
            raise forms.ValidationError(_("This is not your current password."), code="wrong_password")
        return password

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
