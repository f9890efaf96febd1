"""portal.web.form_rendering writes the same HTML as Django's form templates, on the project's own pages.

Each page is fetched twice, once through Django's template renderer and once through ours, and the two pages must
be identical (apart from the CSRF token, masked anew on each request): a Django upgrade that changes its form
markup either disables the fast path (the digests) or fails here, never a page that renders differently.
"""

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.test import Client, override_settings

from portal.web.form_rendering import FormRenderer
from tests.tickets.test_desk import QUOTA, SIGN_IN_FAILURE, make

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')


def both_ways(fetch) -> tuple[str, str]:
    with override_settings(FORM_RENDERER="django.forms.renderers.DjangoTemplates"):
        templates = fetch()
    ours = fetch()
    assert templates.status_code == ours.status_code
    return (TOKEN.sub(r'\1"', templates.content.decode()), TOKEN.sub(r'\1"', ours.content.decode()))


def test_the_fast_path_is_on_with_the_django_we_run():
    assert FormRenderer()._writers, "Django's form templates changed: update DIGESTS and the writers"


def test_a_template_we_do_not_write_still_renders_through_django():
    context = {"widget": {"name": "when", "subwidgets": [], "attrs": {}, "template_name": ""}}
    name = "django/forms/widgets/multiwidget.html"
    assert FormRenderer().render(name, context) == DjangoTemplates().render(name, context)


class EveryWidget(forms.Form):
    """The widgets and shapes no page of ours has yet: groups of options, help texts, a fieldset, a file."""

    grouped = forms.ChoiceField(
        choices=[("Messagerie", [("imap", "IMAP <993>"), ("smtp", "SMTP & 587")]), ("web", "Webmail")],
        help_text="<em>Aide</em> de saisie",
    )
    several = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.SelectMultiple)
    channel = forms.ChoiceField(
        choices=[("Portail", [("form", "Formulaire")]), ("api", "API")], widget=forms.RadioSelect
    )
    note = forms.CharField(widget=forms.Textarea, initial='Une "note" <b>brute</b>')
    agreed = forms.BooleanField(required=False, initial=True)
    hidden = forms.CharField(widget=forms.HiddenInput, initial="x&y")
    screenshot = forms.FileField(required=False)


@pytest.mark.parametrize("data", [None, {"grouped": "smtp", "several": ["b", "z"], "channel": "nope", "note": ""}])
def test_every_widget_is_the_same_both_ways(data):
    templates = EveryWidget(data, renderer=DjangoTemplates()).render()
    ours = EveryWidget(data, renderer=FormRenderer()).render()
    assert "<optgroup" in ours
    assert templates == ours


def test_staff_pages_with_forms_are_the_same_both_ways(client, marie, sign_in, problem_types):
    sign_in(client, marie)
    pages = ["/", "/incidents/signaler/", "/compte/securite/", "/compte/mot-de-passe/", "/aide/contact/"]
    pages += [f"/incidents/signaler/{slug}/" for slug in problem_types]
    for path in pages:
        templates, ours = both_ways(lambda path=path: client.get(path))
        assert templates == ours, path


def test_forms_with_errors_are_the_same_both_ways(client, marie, sign_in, problem_types):
    """Refused input: error lists, aria-invalid attributes, the values typed shown again."""
    sign_in(client, marie)
    answers = {"error_message": 'Identifiant <incorrect> & "refusé"', "identifier": "x" * 300, "browser": ""}
    templates, ours = both_ways(lambda: client.post(f"/incidents/signaler/{SIGN_IN_FAILURE}/", answers))
    assert "errorlist" in ours
    assert templates == ours
    templates, ours = both_ways(lambda: client.post("/compte/mot-de-passe/", {"new_password1": "a"}))
    assert templates == ours


def test_agent_pages_are_the_same_both_ways(marie, sophie, sign_in, problem_types):
    agent = sign_in(Client(), sophie)
    ticket = make(marie, problem_types[QUOTA], 3)[0]
    pages = [
        "/espace-agents/",
        "/espace-agents/?status=new&status=waiting&priority=high&sort=stale&size=100&q=quota",
        "/espace-agents/?created_from=2026-13-45&size=7",  # refused filters, with their errors
        f"/incidents/{ticket.reference}/",
        "/espace-agents/tableau-de-bord/",
        "/en/espace-agents/",
    ]
    for path in pages:
        templates, ours = both_ways(lambda path=path: agent.get(path))
        assert templates == ours, path
    templates, ours = both_ways(lambda: agent.post("/espace-agents/actions-groupees/", {"action": "merge"}))
    assert "errorlist" in ours
    assert templates == ours
