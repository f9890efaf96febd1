"""The API against its own OpenAPI schema, by schemathesis: generated valid and invalid requests to every operation,
sent in-process to the WSGI application as a signed-in staff member (session cookie and CSRF token).

Checked for each answer: no server error, a documented status code and content type, a body and headers that
match the documented schema, and invalid input refused with a 4xx. "Positive data acceptance" is left out on
purpose: the schema cannot say which fields a given problem type requires (that is data), so a schema-valid
filing may rightly be refused with field errors.

EXAMPLES per operation, bounded; the figures (operations, examples, statuses, failures) are printed at the end of
the run and written to $GUICHET_VAR_DIR/schemathesis.json.
"""

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import checks

from tests.helpers import SUMMARY_LINES

pytestmark = pytest.mark.django_db

EXAMPLES = 200
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
]
FIGURES: dict[str, Counter] = defaultdict(Counter)


# Loaded when the module is collected (the schema view needs no database). schemathesis's lazy loader
# (schemathesis.pytest.from_fixture) does not run under pytest 9 (it sets a node attribute pytest 9 dropped).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
# The session cookie is the staff member's own (session), never a generated one.
schema.config.generation.update(with_security_parameters=False)


@pytest.fixture
def session(client, sign_in, marie, problem_types, settings):
    """A verified staff session, its CSRF token, and rate limits out of the way (429 is tested elsewhere).

    Like Django's test client, requests do not close the database connection when they end: it holds the test's
    transaction, where the session and the staff member live."""
    settings.GUICHET_RATE_LIMITS = dict.fromkeys(settings.GUICHET_RATE_LIMITS, "100000/min")
    sign_in(client, marie)
    token = get_random_string(32)
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    cookies[settings.CSRF_COOKIE_NAME] = token
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"headers": {"X-CSRFToken": token}, "cookies": cookies}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    if not FIGURES:
        return
    documented = {
        f"{method.upper()} {path}" for path, methods in schema.raw_schema["paths"].items() for method in methods
    }
    totals = Counter()
    for counts in FIGURES.values():
        totals.update(counts)
    summary = {
        "operations": len(documented & FIGURES.keys()),
        "undocumented_method_probes": len(FIGURES.keys() - documented),
        "examples": totals["examples"],
        "server_errors": totals["server_errors"],
        "failed_checks": totals["failures"],
        "per_operation": {name: dict(counts) for name, counts in sorted(FIGURES.items())},
    }
    target = Path(settings.VAR_DIR) / "schemathesis.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    request.config.stash[SUMMARY_LINES].append(
        f"schemathesis: {summary['operations']} operations (and {summary['undocumented_method_probes']} probes of "
        f"methods they do not have), {summary['examples']} examples, "
        f"{summary['server_errors']} server errors, {summary['failed_checks']} failed checks ({target})"
    )


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing left in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_as_its_schema_says(case, session):
    figures = FIGURES[f"{case.method} {case.path}"]
    response = case.call(**session)
    figures["examples"] += 1
    figures[f"status_{response.status_code}"] += 1
    if response.status_code >= 500:
        figures["server_errors"] += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=session["headers"])
    except BaseException:  # schemathesis's FailureGroup is a BaseExceptionGroup
        figures["failures"] += 1
        raise
