"""The contact page: how to reach the helpdesk, and how long its first answer takes these days.

A page of the site rather than of the knowledge base: it composes the support settings with a figure from the
incidents (tickets.metrics), and the knowledge base does not depend on incidents.
"""

from datetime import timedelta

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from portal.web.language import content_language
from tickets.metrics import average_first_response


@require_GET
def contact_view(request):
    language = content_language()
    average = average_first_response(days=30)
    phone = settings.GUICHET_SUPPORT_PHONE
    context = {
        "hours": _localised(settings.GUICHET_SUPPORT_HOURS, language),
        "phone": phone,
        "phone_href": telephone_href(phone),
        "email": settings.GUICHET_SUPPORT_EMAIL,
        "address": _localised(settings.GUICHET_SUPPORT_ADDRESS, language),
        "average_response": humanise_duration(average) if average is not None else None,
    }
    return render(request, "portal/contact.html", context)


def _localised(values: dict[str, str], language: str) -> str:
    return values.get(language) or values.get("fr", "")


def telephone_href(number: str) -> str:
    """A tel: link for a number written for people ("01 99 00 12 34", "+33 1 99 00 12 34"): French national numbers
    get +33; "" when there are no digits."""
    digits = "".join(character for character in number if character.isdigit())
    if not digits:
        return ""
    if number.strip().startswith("+"):
        return f"tel:+{digits}"
    if len(digits) == 10 and digits.startswith("0"):
        return f"tel:+33{digits[1:]}"
    return f"tel:{digits}"


def humanise_duration(duration: timedelta) -> str:
    """ "45 minutes", "3 hours 20 minutes", "2 days": the precision a person waiting needs, no more."""
    minutes = max(1, round(duration.total_seconds() / 60))
    if minutes < 60:
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        text = ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
        if minutes:
            text += " " + ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        return text
    days = round(hours / 24)
    return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
