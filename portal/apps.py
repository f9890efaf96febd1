from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    default = True
    name = "portal"
    verbose_name = _("Portal and accounts")


class GuichetAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the portal's admin site (second factor required) as the default site."""

    default = False
    default_site = "portal.admin_site.GuichetAdminSite"
