"""Personal API tokens on the account's security page: create one (after confirming it is you), see it once,
revoke it (portal.identity.api_tokens)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portal.identity.api_tokens import api_token_issue, api_token_revoke
from portal.identity.cooling_off import CoolingOff
from portal.identity.decorators import recent_verification_required, verified_required
from portal.identity.forms import ApiTokenForm


@never_cache
@require_http_methods(["GET", "POST"])
@verified_required
@recent_verification_required
def api_token_add_view(request):
    """Only a session that passed the second factor, and proved every factor again just now, gets a token."""
    form = ApiTokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_token_issue(
                request=request,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                days=form.cleaned_data["days"],
            )
        except CoolingOff as held:
            form.add_error(None, str(held))
        else:
            # Shown in this answer only: not stored, not put in the session, not sent by e-mail.
            return render(request, "portal/account/api_token_created.html", {"issued": issued})
    return render(request, "portal/account/api_token_add.html", {"form": form})


@require_POST
@verified_required
def api_token_revoke_view(request, prefix):
    token = get_object_or_404(request.user.api_tokens, prefix=prefix)
    api_token_revoke(request=request, token=token)
    messages.success(
        request, gettext("The token “%(name)s” is revoked: programs using it are refused.") % {"name": token.name}
    )
    return redirect("portal:security")
