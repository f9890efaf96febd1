from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    default = True
    name = "portal"
    verbose_name = _("Portal and accounts")

    def ready(self):
        from portal.web import api_schema  # noqa: F401 - registers the schema extension of the API's authentication

        _request_encoding_without_parsing()


def _request_encoding_without_parsing():
    """Django sets a request's encoding from a ``charset=`` in its Content-Type while building the request, and the
    setter asks ``hasattr(self, "GET")``, which parses the query string there and then: with over
    DATA_UPLOAD_MAX_NUMBER_FIELDS parameters, TooManyFieldsSent escapes before any middleware and the server answers
    500. Forgetting a parsed query string needs no parsing: the setter only drops what was already parsed, and the
    same error then comes from the view as a 400."""
    from django.http import HttpRequest

    def set_encoding(request, value):
        request._encoding = value
        request.__dict__.pop("GET", None)  # WSGIRequest.GET is a cached property: parsed on first use
        request.__dict__.pop("_post", None)

    HttpRequest.encoding = HttpRequest.encoding.setter(set_encoding)


class GuichetAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the portal's admin site (second factor required) as the default site."""

    default = False
    default_site = "portal.site.admin_site.GuichetAdminSite"
