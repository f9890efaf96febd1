"""The helpdesk-assisted second-factor reset (portal.identity.helpdesk_reset): the person's request from the
lost-phone page, the agents' pages (start, list, approve or refuse) and the line manager's approval.

The agents' pages are behind ``agent_required`` (a verified second factor, a security key under the policy: R14).
No page here has a password field: the agent never learns or sets one (R40). The access pass appears only in the
answer to the approval, never in a redirect, message, session or log.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.identity import helpdesk_reset, key_policy, mfa
from portal.identity.decorators import agent_required, verified_required
from portal.identity.forms import PERSONAL_DETAILS_ONLY, MfaResetRefuseForm, MfaResetStartForm, RecoveryRequestForm
from portal.identity.helpdesk_reset import CaseUnknown, ResetRefused
from portal.identity.selectors import account_for
from portal.models import MfaResetRequest, MfaResetState

# --- The person's request ------------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def recovery_request_view(request):
    form = RecoveryRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        helpdesk_reset.recovery_request(
            submitted=form.cleaned_data["identifier"],
            message=form.cleaned_data["message"],
            contact=form.cleaned_data["contact"],
            request=request,
        )
        # The same answer whatever was typed, whether a case was opened or not.
        return redirect("portal:recovery_request_sent")
    return render(request, "portal/helpdesk/recovery_request.html", {"form": form})


@never_cache
@require_GET
def recovery_request_sent_view(request):
    return render(request, "portal/helpdesk/recovery_request_sent.html")


# --- The agents' pages ---------------------------------------------------------------------------------------------


@never_cache
@require_GET
@agent_required
def resets_view(request):
    """Resets waiting for approval (oldest first: they expire), the last ones decided, and a way to start one."""
    identifier = request.GET.get("identifier", "").strip()[:150]
    if identifier:
        account = account_for(identifier)
        if account is not None:
            return redirect("portal:mfa_reset_start", username=account.username)
        messages.error(request, gettext("No account has the identifier “%(identifier)s”.") % {"identifier": identifier})
    rows = MfaResetRequest.objects.select_related("user", "initiated_by", "approved_by")
    context = {
        "pending": list(rows.pending().order_by("created_at")),
        "recent": list(rows.exclude(state=MfaResetState.PENDING).order_by("-created_at")[:20]),
        "identifier": identifier,
    }
    return render(request, "portal/helpdesk/resets.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@agent_required
def reset_start_view(request, username):
    account = account_for(username)
    if account is None:
        raise Http404
    refused = helpdesk_reset.may_initiate(target=account, by=request.user)
    if refused is not None:
        return _refused_page(request, refused, account=account)
    form = MfaResetStartForm(request.POST or None, target=account, agent=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["method"] == PERSONAL_DETAILS_ONLY:
            helpdesk_reset.mfa_reset_attempt_unverified(
                target=account, by=request.user, details=data["evidence"], case=data["case"], request=request
            )
            return render(request, "portal/helpdesk/reset_not_started.html", {"account": account})
        try:
            row = helpdesk_reset.mfa_reset_initiate(
                target=account,
                by=request.user,
                method=data["method"],
                evidence=data["evidence"],
                case=data["case"],
                request=request,
            )
        except CaseUnknown:
            form.add_error("case", gettext("No helpdesk case has this reference."))
        except ResetRefused as refused:
            if refused.forbidden:
                return _refused_page(request, refused, account=account)
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                gettext("The reset is waiting for a second agent's approval, for 30 minutes. Case: %(case)s.")
                % {"case": row.case_reference},
            )
            return redirect("portal:mfa_reset_detail", pk=row.pk)
    context = {
        "account": account,
        "form": form,
        "factors": _factors_of(account),
        "privileged": helpdesk_reset.is_privileged(account),
    }
    return render(request, "portal/helpdesk/reset_start.html", context)


def _factors_of(account):
    return {
        "apps": mfa.confirmed_totp_devices(account).count(),
        "keys": key_policy.has_key(account),
        "recovery_codes": mfa.recovery_codes_remaining(account),
    }


def _refused_page(request, refused: ResetRefused, *, account=None, row=None):
    context = {"reason": str(refused), "account": account, "row": row}
    return render(request, "portal/helpdesk/refused.html", context, status=403)


def _reset_row(pk) -> MfaResetRequest:
    return get_object_or_404(
        MfaResetRequest.objects.select_related("user", "initiated_by", "approved_by", "manager_approved_by"), pk=pk
    )


@never_cache
@require_GET
@agent_required
def reset_detail_view(request, pk):
    row = _reset_row(pk)
    if row.user_id == request.user.pk:
        raise PermissionDenied  # nobody handles a reset of their own account, not even to read it
    return _detail_page(request, row)


def _detail_page(request, row, *, refuse_form=None, error=None, status=200):
    context = {
        "row": row,
        "approval_refused": helpdesk_reset.approval_refusal(row, by=request.user),
        "is_initiator": row.initiated_by_id == request.user.pk,
        "refuse_form": refuse_form or MfaResetRefuseForm(),
        "error": error,
        "manager_url": reverse("portal:mfa_reset_manager", kwargs={"pk": row.pk}) if row.needs_manager else "",
    }
    return render(request, "portal/helpdesk/reset_detail.html", context, status=status)


@never_cache
@require_POST
@agent_required
def reset_approve_view(request, pk):
    row = _reset_row(pk)
    try:
        executed = helpdesk_reset.mfa_reset_approve(reset_request=row, by=request.user, request=request)
    except ResetRefused as refused:
        row.refresh_from_db()
        return _detail_page(request, row, error=str(refused), status=403)
    # Rendered, not redirected: the pass exists only in this answer (never_cache keeps it out of "Back").
    return render(
        request, "portal/helpdesk/reset_done.html", {"row": executed.reset, "access_pass": executed.access_pass}
    )


@never_cache
@require_POST
@agent_required
def reset_refuse_view(request, pk):
    row = _reset_row(pk)
    form = MfaResetRefuseForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, row, refuse_form=form, status=400)
    try:
        row = helpdesk_reset.mfa_reset_refuse(
            reset_request=row, by=request.user, reason=form.cleaned_data["reason"], request=request
        )
    except ResetRefused as refused:
        row.refresh_from_db()
        return _detail_page(request, row, error=str(refused), status=403 if refused.forbidden else 400)
    if row.state == MfaResetState.CANCELLED:
        messages.success(request, gettext("The reset is cancelled; the account is unchanged and its owner told."))
    else:
        messages.success(request, gettext("The reset is refused; the account is unchanged and its owner told."))
    return redirect("portal:mfa_resets")


# --- The line manager's approval -----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@verified_required
def reset_manager_view(request, pk):
    """The line manager named in the HR record confirms, signed in with their own second factor, that the person
    the helpdesk called back on the HR number is their report asking for a reset (R38)."""
    row = _reset_row(pk)
    if not helpdesk_reset.manager_may_view(row, by=request.user):
        raise Http404  # anybody else learns nothing about the reset, not even that it exists
    error = None
    if request.method == "POST":
        try:
            helpdesk_reset.mfa_reset_manager_approve(reset_request=row, by=request.user, request=request)
        except ResetRefused as refused:
            error = str(refused)
        else:
            messages.success(request, gettext("Thank you: your approval is recorded. The helpdesk finishes the reset."))
            return redirect("portal:mfa_reset_manager", pk=row.pk)
        row.refresh_from_db()
    status = 403 if error else 200
    return render(request, "portal/helpdesk/manager_approval.html", {"row": row, "error": error}, status=status)
