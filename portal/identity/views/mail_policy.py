"""The endpoint of Dovecot's authentication policy protocol (auth_policy_server_url): portal.identity.mail_policy.

Not a DRF view: Dovecot is its only client, its request and answer shapes are Dovecot's, and it waits for the
answer before each login, so the path is kept short. Every refusal is JSON with a 4xx status and a ``detail``;
Dovecot treats any answer other than 2xx as a failure of the policy server (auth_policy_reject_on_fail decides).
"""

import json
import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.identity import lockout
from portal.identity.mail_policy import (
    PolicyRequest,
    mail_login_allow,
    mail_login_report,
    mail_server_for,
    valid_address,
)
from portal.models import MailServer
from portal.web.db_budget import OverBudget, database_budget
from portal.web.network import client_ip
from portal.web.ratelimit import limited

MAX_BODY = 16 * 1024
TEXT_FIELDS = {"login": 320, "protocol": 20, "fail_type": 20, "device_id": 200, "pwhash": 128, "session_id": 200}
SEEN_EVERY = 60  # seconds between two writes of a server's last_seen_at


log = logging.getLogger(__name__)
KEY_REQUIRED = "A valid mail server key is required (Authorization: Bearer gms_…)."


def refused(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def throttled(request, scope: str) -> JsonResponse | None:
    """429 with Retry-After past the server's rate limit for ``scope``, else None (the request goes on)."""
    wait = limited(request, scope)
    if wait is None:
        return None
    response = refused(429, "Too many requests from this server.")
    response["Retry-After"] = str(wait)
    return response


def authenticated_server(request, *, asking: PolicyRequest | None = None) -> MailServer | None:
    """The server whose key the request carries (its last request time noted), or None, counted as a failure from
    the address: a guessed key is a failed credential (R4). ``asking``: see mail_server_for."""
    # META, not request.headers, which copies every header of the request first.
    scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    server = mail_server_for(key.strip(), asking=asking) if scheme.lower() == "bearer" else None
    if server is None:
        lockout.record_source_failure(client_ip(request))
        return None
    now = timezone.now()
    if server.last_seen_at is None or (now - server.last_seen_at).total_seconds() > SEEN_EVERY:
        MailServer.objects.filter(pk=server.pk).update(last_seen_at=now)
    return server


def _read(body: bytes) -> PolicyRequest | str:
    """The request, or what is wrong with it."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "The body must be a JSON object."
    if not isinstance(data, dict):
        return "The body must be a JSON object."
    values = {}
    for name, limit in TEXT_FIELDS.items():
        value = data.get(name, "")
        if not isinstance(value, str) or len(value) > limit:
            return f"{name} must be a string of at most {limit} characters."
        if not value.isprintable():  # a NUL or a lone surrogate would reach the database
            return f"{name} must not contain control characters."
        values[name] = value
    if not values["login"].strip():
        return "login is required."
    for name in ("success", "policy_reject"):
        if not isinstance(data.get(name, False), bool):
            return f"{name} must be true or false."
    remote = data.get("remote", "")
    address = valid_address(remote) if isinstance(remote, str) and remote.strip() else None
    if isinstance(remote, str) and remote.strip() and address is None:
        return "remote must be an IP address."
    return PolicyRequest(
        remote=address,
        success=data.get("success", False),
        policy_reject=data.get("policy_reject", False),
        **values,
    )


@csrf_exempt  # no @never_cache: SecurityHeadersMiddleware marks every /api/ answer no-store, private
@require_POST
def mail_policy_view(request):
    """Answers within GUICHET_MAIL_POLICY_BUDGET_MS, below Dovecot's own wait (auth_policy_server_timeout_msecs,
    2 s by default): a database too slow for that gets a quick 503, which Dovecot treats as a failed policy server
    (auth_policy_reject_on_fail decides, docs/mail-servers.md), and nothing of the request is written."""
    try:
        with database_budget(settings.GUICHET_MAIL_POLICY_BUDGET_MS / 1000):
            if (too_many := throttled(request, "mail_policy")) is not None:
                return too_many
            return _answer_on_a_live_connection(request)
    except OverBudget:
        log.warning("mail policy: no answer within %d ms, the database is slow", settings.GUICHET_MAIL_POLICY_BUDGET_MS)
        response = refused(503, "The policy server could not answer in time.")
        response["Retry-After"] = "5"
        return response


def _answer_on_a_live_connection(request) -> JsonResponse:
    """Django's connection health check (CONN_HEALTH_CHECKS: a SELECT 1 before each request's first query) is left
    out here, a round trip on every login; a connection that the answer's own first query finds dead (PostgreSQL
    restarted since) is replaced, and the answer asked once more. Nothing of the failed try was committed."""
    connection.health_check_done = True
    try:
        return _answer(request)
    except (OperationalError, InterfaceError):
        if connection.connection is not None and connection.is_usable():
            raise  # not a dead connection: a cancelled query, a server that refuses
        connection.close()
        return _answer(request)


def _answer(request) -> JsonResponse:
    # The request is read first, so that the key's check and everything the answer depends on take one query.
    command = request.GET.get("command", "")
    problem = None
    if command not in ("allow", "report"):
        problem = "command must be allow or report."
    elif len(request.body) > MAX_BODY:
        problem = f"The body must be at most {MAX_BODY} bytes."
    else:
        policy_request = _read(request.body)
        if isinstance(policy_request, str):
            problem = policy_request
    if problem is not None:
        # Refused either way; who may hear why is the key's to say.
        return refused(400, problem) if authenticated_server(request) else refused(401, KEY_REQUIRED)
    server = authenticated_server(request, asking=policy_request)
    if server is None:
        return refused(401, KEY_REQUIRED)
    if command == "allow":
        return JsonResponse(mail_login_allow(server).as_json())
    with transaction.atomic():  # all of the report or, past the budget, nothing
        mail_login_report(policy_request, server)
    return JsonResponse({"status": 0, "msg": ""})
