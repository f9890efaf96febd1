"""The vocabulary of incident form fields: for each FieldKey, its form field(s), its checks, what it stores in
Ticket.data, how it is shown and its API field and type.

A problem type's form is built from its ProblemTypeField rows (data, edited in the admin); this package is the only
place that knows what each key means. The web form, the API and the services all validate through the form built
here (tickets.fields.form.AnswersForm), so a rule is written once.

What a kind stores in ``Ticket.data`` is JSON: strings (the answer's value for questions: "yes", "no", "unknown",
"not_applicable"; older incidents hold true/false) and, for the date, an ISO 8601 string with its offset plus the
zone's name; None for an optional answer left blank. Files are not stored in ``data``: screenshots
and the reported message become attachments, and the parsed message a PhishingReport.

The modules, import them directly (this file imports nothing, so tickets.models can use ``keys`` while it loads):

- ``keys``: FieldKey and the keys that are questions;
- ``answers``: the answers of a question and their labels;
- ``context``: what the form may fill in by itself (FillContext);
- ``inputs``: the Django form fields the kinds use;
- ``api_types``: the API's serializer fields and their OpenAPI schema;
- ``kinds``: the kinds of text, address, question and date; ``files``: screenshots and the reported message;
- ``vocabulary``: KINDS, one kind per key, and the fieldsets of the form;
- ``prefetch``: a problem type with its form's rows, in one query;
- ``form``: AnswersForm, the one validation of a filing, and ``validate_answers`` for code that has no request.
"""
