"""The language of the content a request reads."""

from django.utils import translation


def content_language() -> str:
    """The language of the articles, problem types and messages to show: "en" when English is active (the /en/
    pages, or the API's ``?lang=`` and Accept-Language), else French, the organisation's language, for anything
    else, including no language at all (a task, a management command)."""
    return "en" if (translation.get_language() or "fr").startswith("en") else "fr"
