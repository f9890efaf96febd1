from django import template
from django.conf import settings
from django.urls import translate_url

register = template.Library()


@register.simple_tag(takes_context=True)
def url_in_language(context, language_code: str) -> str:
    """The current page in another language (French unprefixed, English under /en/), query string kept.

    A path that resolves to no view (a 404 page) still gets the other language's prefix, so the error page itself
    can be read in the other language.
    """
    request = context["request"]
    path = request.path
    url = translate_url(path, language_code)
    if url == path:
        bare = path.removeprefix("/en/") if path.startswith("/en/") else path.lstrip("/")
        url = "/" + bare if language_code == settings.LANGUAGE_CODE else f"/{language_code}/{bare}"
    query = request.META.get("QUERY_STRING")
    return f"{url}?{query}" if query else url


@register.filter
def has_errors(form) -> bool:
    """Whether a form has errors. ``{% if form.errors %}`` looks up a *field* named "errors" first, and the
    knowledge-base editor has one: its empty alert showed on every load."""
    return bool(form.errors)
