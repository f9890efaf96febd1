"""``POST /api/mail/events/``: a mail server's authentication events in batches (portal.identity.mail_events).

Same key and same plain-JSON conventions as the policy endpoint (portal.identity.views.mail_policy): every refusal
is a 4xx with a ``detail``; a refused batch also lists its bad events (``errors``: position and message), and
nothing of it is stored.
"""

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.identity.mail_events import BatchErrors, mail_events_ingest, records_from_batch
from portal.identity.views.mail_policy import KEY_REQUIRED, authenticated_server, refused, throttled

MAX_BODY = 4 * 1024 * 1024  # 5,000 events of a few hundred bytes each fit with room to spare


def _body(request) -> bytes | None:
    """The body, read from the stream (Django's own limit would answer a bare 400), or None when it is too big."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY:
        return None
    body = request.read(MAX_BODY + 1)
    return None if len(body) > MAX_BODY else body


@csrf_exempt  # no @never_cache: SecurityHeadersMiddleware marks every /api/ answer no-store, private
@require_POST
def mail_events_view(request):
    if (too_many := throttled(request, "mail_events")) is not None:
        return too_many
    server = authenticated_server(request)
    if server is None:
        return refused(401, KEY_REQUIRED)
    body = _body(request)
    if body is None:
        return refused(413, f"The body must be at most {MAX_BODY} bytes: send smaller batches.")
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return refused(400, 'The body must be a JSON object: {"events": [...]}.')
    if not isinstance(data, dict) or set(data) != {"events"}:
        return refused(400, 'The body must be a JSON object with one member, "events".')
    try:
        records = records_from_batch(data["events"])
    except BatchErrors as refusal:
        errors = [{"index": index, "detail": message} for index, message in refusal.errors]
        detail = f"{refusal.total} event(s) refused; nothing was stored."
        return JsonResponse({"detail": detail, "errors": errors}, status=400)
    result = mail_events_ingest(server=server, records=records)
    return JsonResponse({"received": result.received, "stored": result.stored, "duplicates": result.duplicates})
