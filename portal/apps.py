from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    default = True
    name = "portal"
    verbose_name = _("Portal and accounts")

    def ready(self):
        from portal import api_schema  # noqa: F401 - registers the schema extension of the API's authentication


class GuichetAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the portal's admin site (second factor required) as the default site."""

    default = False
    default_site = "portal.admin_site.GuichetAdminSite"
