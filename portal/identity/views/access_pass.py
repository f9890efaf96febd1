"""Signing in with the helpdesk's temporary access pass, and the two steps its session allows: adding a second
factor, then choosing a new password (portal.identity.access_pass, R40). The session policy keeps this session
away from every other page (portal.identity.middleware)."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from portal.identity import access_pass, key_policy, session_registry
from portal.identity.credentials import PasswordRefused
from portal.identity.forms import AccessPassForm, NewPasswordForm


@sensitive_post_parameters("access_pass")
@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def access_pass_login_view(request):
    form = AccessPassForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        outcome = access_pass.sign_in_with_pass(
            request, form.cleaned_data["identifier"], form.cleaned_data["access_pass"]
        )
        if outcome.result == access_pass.Result.OK:
            return redirect("portal:access_pass_steps")
        if outcome.result == access_pass.Result.SOURCE_BLOCKED:
            status = 429
            form.add_error(None, gettext("Too many failed sign-ins from your network. Wait a quarter of an hour."))
        else:
            status = 400
            form.add_error(
                None,
                gettext(
                    "This identifier and pass do not match a valid pass. A pass works once, within an hour of the "
                    "helpdesk giving it; type it as it was read to you (dashes and spaces do not matter)."
                ),
            )
    return render(request, "portal/access_pass/login.html", {"form": form}, status=status)


def _in_pass_session(view):
    """Only a session opened with a pass reaches these pages; any other goes to its security page."""

    @login_required
    def wrapper(request, *args, **kwargs):
        if not access_pass.in_session(request):
            return redirect("portal:security")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@never_cache
@require_GET
@_in_pass_session
def access_pass_steps_view(request):
    context = {
        "steps": access_pass.steps(request),
        "key_required": key_policy.applies(request.user),
        "until": access_pass.session_end_time(request),
    }
    return render(request, "portal/access_pass/steps.html", context)


@sensitive_post_parameters("new_password", "confirmation")
@never_cache
@require_http_methods(["GET", "POST"])
@_in_pass_session
def access_pass_password_view(request):
    if not access_pass.steps(request).factor_added:
        messages.info(request, gettext("First add a second factor: then choose the new password."))
        return redirect("portal:access_pass_steps")
    form = NewPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            access_pass.new_password_set(request=request, password=form.cleaned_data["new_password"])
        except PasswordRefused as refused:
            form.refused(refused)
        else:
            # Both steps are done: the pass's session ends here, and the next sign-in is an ordinary one (R40).
            session_registry.end(request)
            logout(request)
            messages.success(
                request,
                gettext(
                    "Your account is ready. Sign in with your new password and your new second factor. Then make "
                    "new recovery codes and keep them away from your phone."
                ),
            )
            return redirect("portal:login")
    return render(request, "portal/access_pass/new_password.html", {"form": form, "account": request.user})
