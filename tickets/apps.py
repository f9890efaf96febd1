from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Incidents")

    def ready(self):
        from tickets import major_incidents  # noqa: F401 (connects the signal that keeps its cache right)
