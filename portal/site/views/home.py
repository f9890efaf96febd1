from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.site import health, metrics
from tickets.major_incidents import shown_major_incidents


@require_GET
def home(request):
    # Known outages first: whoever meets one learns at once that it is being handled.
    major_incidents = shown_major_incidents(user=request.user)
    return render(request, "portal/home.html", {"major_incidents": major_incidents})


@never_cache
@require_GET
def health_view(request):
    """200 only when every dependency is up, 503 otherwise (for load balancers and probes). The state of each part
    (which one is down, how slow) is for the people who run the portal: the networks and the token that may read
    /metrics/; anyone else only learns up or down."""
    checks = health.run_checks()
    healthy = all(check["ok"] for check in checks.values())
    answer = {"status": "ok" if healthy else "error"}
    if metrics.allowed(request):
        answer["checks"] = checks
    return JsonResponse(answer, status=200 if healthy else 503)
