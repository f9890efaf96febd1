from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Enough for every queue and habit an agent has; beyond, the list stops being a shortcut.
MAX_SAVED_VIEWS = 30


class SavedView(models.Model):
    """A filtered queue view an agent keeps under a name: its query string, as the filters left it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="tickets_saved_view_name_once")]

    def __str__(self):
        return self.name
