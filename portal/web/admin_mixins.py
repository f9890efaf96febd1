"""What several apps' admin pages share."""


class ReadOnlyAdmin:
    """For records written by the code that makes the changes (event logs, feedback, run records): the admin shows
    them and never adds or edits one, which would be a change nobody recorded. Deleting is left to each page: an
    append-only log forbids it too (``AppendOnlyAdmin``), purgeable records let the administrators do it.

    Mixed into ModelAdmin and inlines alike: the inline's ``obj`` argument is accepted and ignored."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AppendOnlyAdmin(ReadOnlyAdmin):
    """Read-only, and nobody deletes a row either."""

    def has_delete_permission(self, request, obj=None):
        return False
