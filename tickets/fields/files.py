"""The kinds whose answer is a file: screenshots, and the reported message (a file, or its headers pasted). Both
go through the shared attachment rules of tickets.uploads; neither stores anything in ``Ticket.data``."""

from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from tickets.fields.api_types import optional_text
from tickets.fields.inputs import NO_AUTOCORRECT, MultipleFileField
from tickets.fields.keys import FieldKey
from tickets.fields.kinds import Kind

UNREADABLE = _(
    "This message could not be read. Save it again as a file (.eml, or .msg from Outlook), or paste its headers "
    "instead."
)


def check_uploads(form, name: str, files, *, already: int = 0):
    """The shared attachment rules (tickets.uploads): count, then each file's content. Errors go next to ``name``."""
    from tickets.uploads import UploadRefused, check_count, inspect_upload

    checked = []
    try:
        check_count(adding=len(files) + len(form.uploads), already=already)
    except UploadRefused as refused:
        form.add_error(name, forms.ValidationError(refused.message, code=refused.code))
        return []
    for file in files:
        try:
            checked.append((file, inspect_upload(file)))
        except UploadRefused as refused:
            form.add_error(name, forms.ValidationError(refused.message, code=refused.code))
    return checked


class FileKind(Kind):
    """Files become attachments, not answers: nothing to show among the answers of the ticket page."""

    group = "files"

    def display(self, data):
        return ""


class ScreenshotsKind(FileKind):
    key = FieldKey.SCREENSHOTS
    help_text = _("Images (PNG, JPEG, GIF, WebP), PDF or text files; you may select several.")
    required_message = _("Add at least one screenshot.")
    api_type = "files"

    def form_fields(self, *, required, help_text, context):
        return {
            self.key: MultipleFileField(
                label=self.label,
                required=required,
                help_text=help_text,
                error_messages={"required": self.required_message},
                widget=MultipleFileField.widget(attrs={"accept": "image/*,.pdf,.txt,.log"}),
            )
        }

    def store(self, form, cleaned, *, required):
        form.uploads.extend(check_uploads(form, self.key, cleaned.get(self.key) or []))

    def api_fields(self):
        return {
            self.key: serializers.ListField(
                child=serializers.FileField(), required=False, help_text="multipart/form-data only."
            )
        }


class SuspiciousMessageKind(FileKind):
    """The reported message: an .eml or Outlook .msg file, or its headers pasted. Parsed by tickets.phishing during
    validation, so an unreadable message is refused next to the field; the message's HTML is never rendered."""

    key = FieldKey.SUSPICIOUS_MESSAGE
    group = "problem"
    help_text = _(
        "In your mail app, save the message as a file (.eml, or .msg from Outlook) or show its source, and attach it "
        "here. Do not forward it and do not click its links."
    )
    headers_key = "suspicious_message_headers"
    max_headers = 100_000
    api_type = "message"

    def form_fields(self, *, required, help_text, context):
        return {
            self.key: forms.FileField(
                label=self.label,
                required=False,
                help_text=help_text,
                widget=forms.ClearableFileInput(
                    attrs={"accept": ".eml,.msg,message/rfc822,application/vnd.ms-outlook"}
                ),
            ),
            self.headers_key: forms.CharField(
                label=_("Or paste the message's headers"),
                required=False,
                max_length=self.max_headers,
                strip=False,
                help_text=_("The source of the message, from its first line down to the blank line after Subject."),
                widget=forms.Textarea(attrs={"rows": 6, **NO_AUTOCORRECT}),
            ),
        }

    def store(self, form, cleaned, *, required):
        file = cleaned.get(self.key)
        headers = (cleaned.get(self.headers_key) or "").strip()
        if file:
            self._store_file(form, file)
        elif headers:
            from tickets.phishing import MessageUnreadable, parse_headers

            try:
                form.reported_message = parse_headers(headers)
            except MessageUnreadable:
                form.add_error(self.headers_key, forms.ValidationError(UNREADABLE, code="unreadable"))
        elif required:
            form.add_error(
                self.key,
                forms.ValidationError(
                    _("Attach the message as a file (.eml, or .msg from Outlook), or paste its headers below."),
                    code="required",
                ),
            )

    def _store_file(self, form, file) -> None:
        from tickets.phishing import MessageUnreadable, parse_message, parse_outlook_message
        from tickets.uploads import OUTLOOK_MESSAGE

        checked = check_uploads(form, self.key, [file])
        if not checked:
            return
        if checked[0][1].kind != "email":
            form.add_error(
                self.key,
                forms.ValidationError(
                    _(
                        "This file is not an e-mail message: save the message as a file (.eml, or .msg from "
                        "Outlook) and attach that."
                    ),
                    code="not_email",
                ),
            )
            return
        try:
            file.seek(0)
            parse = parse_outlook_message if checked[0][1].content_type == OUTLOOK_MESSAGE else parse_message
            form.reported_message = parse(file.read())
        except MessageUnreadable:
            form.add_error(self.key, forms.ValidationError(UNREADABLE, code="unreadable"))
            return
        finally:
            file.seek(0)
        form.uploads.extend(checked)

    def api_fields(self):
        return {
            self.key: serializers.FileField(
                required=False, help_text="The message as .eml or Outlook .msg (multipart/form-data)."
            ),
            self.headers_key: optional_text(max_length=self.max_headers, help_text="Or its headers as text."),
        }
