"""Problem types and their questions are data: a fixed vocabulary in code, the rows in the database and the admin."""

import pytest
from django.core.management import call_command

from portal.web.user_agent import detect
from tickets.fields.keys import FieldKey
from tickets.fields.vocabulary import KINDS
from tickets.models import ProblemType, ProblemTypeField
from tickets.seed import DEFAULT_FIELDS, catalogue_editors_grant, problem_type_fields_seed

pytestmark = pytest.mark.django_db


def test_every_key_of_the_vocabulary_has_its_form_and_api_fields():
    assert set(KINDS) == set(FieldKey.values)
    for key, kind in KINDS.items():
        assert kind.api_fields(), key
        assert key in kind.api_fields() or key == FieldKey.SCREENSHOTS


def test_the_nine_demo_types_get_their_questions_once_and_edits_survive(problem_types):
    assert set(problem_types) == set(DEFAULT_FIELDS)
    quota = problem_types["quota"]
    row = quota.fields.get(key=FieldKey.DESCRIPTION)
    row.required = False
    row.save()
    assert problem_type_fields_seed() == 0
    call_command("load_demo")
    row.refresh_from_db()
    assert row.required is False
    assert ProblemTypeField.objects.filter(problem_type__slug="hameconnage", key="suspicious_message", required=True)


def test_load_demo_gives_the_problem_types_their_forms(capsys):
    call_command("load_demo")
    assert ProblemTypeField.objects.values("problem_type").distinct().count() == ProblemType.objects.count() == 9


def test_an_agent_with_the_catalogue_permission_edits_the_questions_inline_in_the_admin(
    client, sign_in, sophie, problem_types
):
    problem_type = problem_types["quota"]
    sign_in(client, sophie)
    url = f"/admin/tickets/problemtype/{problem_type.pk}/change/"
    read_only = client.get(url)
    assert read_only.status_code == 200, "every agent reads the catalogue"
    assert 'name="fields-0-key"' not in read_only.content.decode(), "the questions are shown, not editable"
    assert client.post(url, {"name_fr": "Piraté", "name_en": "Hacked"}).status_code == 403
    assert client.get("/admin/tickets/queue/add/").status_code == 403
    problem_type.refresh_from_db()
    assert problem_type.name_fr == "Boîte pleine et quota"

    catalogue_editors_grant(sophie)
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="fields-0-key"' in page.content.decode()
    queue = client.get(f"/admin/tickets/queue/{problem_type.queue_id}/change/")
    assert queue.status_code == 200 and 'name="memberships-0-user"' in queue.content.decode()


@pytest.mark.parametrize(
    ("user_agent", "browser", "system"),
    [
        ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox 128", "Linux"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
            "Safari/537.36 Edg/131.0.2903.51",
            "Edge 131",
            "Windows 10 / 11",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.1 Mobile/15E148 Safari/604.1",
            "Safari 17.1",
            "iOS 17.1",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
            "Samsung Internet 23",
            "Android 14",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 "
            "Safari/605.1.15",
            "Safari 17.0",
            "macOS 10.15",
        ),
        # Named wrongly or not at all by the hand-written rules this replaced:
        (
            "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
            "Internet Explorer 11",
            "Windows 10 / 11",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.5.2",
            "Thunderbird 128",
            "Windows 10 / 11",
        ),
        (
            "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; .NET4.0E; "
            "Microsoft Outlook 16.0.5056; ms-office; MSOffice 16)",
            "Outlook 2016",
            "Windows 10 / 11",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 "
            "YaBrowser/24.10.0.0 Safari/537.36",
            "Yandex Browser 24",
            "Windows 10 / 11",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
            "Safari/537.36 Vivaldi/7.0.3495.15",
            "Vivaldi 7",
            "Linux",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
            "Mobile/15E148 Safari/604.1",
            "Safari 17.4",
            "iPadOS 17.4",
        ),
        ("", "", ""),
        ("x" * 100_000, "", ""),
    ],
)
def test_the_user_agent_gives_the_defaults(user_agent, browser, system):
    detected = detect(user_agent)
    assert (detected.browser, detected.system) == (browser, system)


def test_questions_are_required_wherever_asked_even_when_an_agent_unticks_required(problem_types):
    row = problem_types["echec-connexion"].fields.get(key=FieldKey.OTP_INVOLVED)
    row.required = False
    row.save()
    row.refresh_from_db()
    assert row.required is True  # "I don't know" is an answer: a blank is never needed


def test_the_upgrade_gives_old_incidents_answer_values_and_types_their_descriptions(marie, problem_types):
    import importlib

    from django.apps import apps

    from tickets.models import Ticket

    migration = importlib.import_module("tickets.migrations.0004_question_answers")
    problem_type = problem_types["echec-connexion"]
    ProblemType.objects.filter(pk=problem_type.pk).update(description_fr="", description_en="Our own words.")
    ProblemTypeField.objects.filter(key=FieldKey.SSO_INVOLVED).update(required=False)
    old = Ticket.objects.create(
        reference="INC-2026-000001",
        requester=marie,
        problem_type=problem_type,
        queue=problem_type.queue,
        data={"other_browser_tried": True, "other_network_tried": False, "otp_involved": None, "title": "x"},
    )
    migration.forwards(AppsAsIn0004(apps), None)
    old.refresh_from_db()
    problem_type.refresh_from_db()
    assert old.data == {"other_browser_tried": "yes", "other_network_tried": "no", "otp_involved": None, "title": "x"}
    assert problem_type.description_fr.startswith("Le webmail refuse")  # filled in
    assert problem_type.description_en == "Our own words."  # an agent's text stays
    assert not ProblemTypeField.objects.filter(key=FieldKey.SSO_INVOLVED, required=False).exists()


class AppsAsIn0004:
    """The live models under the names migration 0004 asks for: Category became ProblemType in 0005."""

    def __init__(self, apps):
        self.apps = apps

    def get_model(self, app_label, model_name):
        return self.apps.get_model(app_label, {"Category": "ProblemType"}.get(model_name, model_name))
