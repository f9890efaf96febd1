"""The portal's URL map, walked rather than listed by hand, so that a route added later is covered by the tests that
go through every route (tests/portal/test_privileged_routes.py, tests/portal/test_fuzz_requests.py)."""

import re

from django.contrib import admin
from django.urls import URLPattern, URLResolver, reverse
from django.urls.resolvers import RoutePattern

SAMPLE_ARGUMENTS = {"int": "1", "str": "sample", "slug": "sample", "path": "sample"}


def routes(patterns, prefix="", namespace="", arguments=None):
    """(name, concrete path) for every named route whose pattern is a route string (the admin is walked apart).

    ``arguments`` maps a converter ("int", "str", "slug") or a parameter name ("reference") to the value put in
    the path; SAMPLE_ARGUMENTS otherwise."""
    values = {**SAMPLE_ARGUMENTS, **(arguments or {})}
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue
            child_namespace = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from routes(entry.url_patterns, prefix + str(entry.pattern), child_namespace, arguments)
        elif isinstance(entry, URLPattern) and entry.name and isinstance(entry.pattern, RoutePattern):
            route = re.sub(
                r"<(?:(\w+):)?(\w+)>",
                lambda m: values.get(m.group(2)) or values[m.group(1) or "str"],
                str(entry.pattern),
            )
            yield f"{namespace}{entry.name}", "/" + prefix + route


def admin_paths():
    """The admin's index and the list of each registered model."""
    yield reverse("admin:index")
    for model in admin.site._registry:
        meta = model._meta
        yield reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
