"""Where to send a person next: the "next" a form or a link carries, and the page to come back to after signing in.

Only a path on this site is ever followed, so a crafted link cannot send someone elsewhere after they typed their
password and code.
"""

from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def local_path(candidate: str, request: HttpRequest) -> str | None:
    """``candidate`` when it is a path on this site ("/incidents/?page=2"), else None.

    A bare word ("foo") passes Django's own check but ``redirect()`` takes it for a URL name and fails, after the
    password and the code were already accepted; "//host" and "/\\host" lead elsewhere in browsers."""
    if not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return None
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=False):
        return None
    return candidate


def next_target(request: HttpRequest, default: str = "home", *, query: bool = True) -> str:
    """The request's "next" (the form's field, else with ``query`` the address's ``?next=``) when it is a local
    path; else the URL named ``default``."""
    candidate = request.POST.get("next") or (request.GET.get("next") if query else None) or ""
    return local_path(candidate, request) or reverse(default)


def return_path(request: HttpRequest) -> str:
    """Where to come back to: the page itself, or for a form submission the page the form was on.

    A POST cannot be replayed after signing in, and its target often answers GET with 405.
    """
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        parts = urlsplit(referer)
        return f"{parts.path}?{parts.query}" if parts.query else parts.path
    return reverse("home")


def redirect_with_next(request: HttpRequest, url_name: str) -> HttpResponse:
    """To the page named ``url_name`` (sign in, confirm it is you, enrol…), which comes back here afterwards."""
    return redirect(f"{reverse(url_name)}?{urlencode({'next': return_path(request)}, safe='/')}")
