from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Incidents")

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from tickets import major_incidents  # noqa: F401 (connects the signal that keeps its cache right)
        from tickets.desk_cache import catalogue_changed, person_changed
        from tickets.models import BusinessCalendar, BusinessHours, ProblemType, Queue, QueueMembership, SavedView

        # The workspace's lists, forms and clocks kept in every web process are dropped on any change
        # (tickets/desk_cache.py).
        for model in (Queue, QueueMembership, ProblemType, SavedView, BusinessCalendar, BusinessHours):
            for signal in (post_save, post_delete):
                signal.connect(catalogue_changed, sender=model, dispatch_uid=f"desk_catalogue_{model.__name__}")
        for signal in (post_save, post_delete):
            signal.connect(person_changed, sender=get_user_model(), dispatch_uid="desk_catalogue_person")
