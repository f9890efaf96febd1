"""Saved views: an agent keeps a filtered queue view under a name and opens it again in one click.

What is kept is the query string the filters produced, checked by the same form as the page (a view that would not
filter is refused), without the page cursor: a saved view always opens on its first page.
"""

from django import forms
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from tickets.models import MAX_SAVED_VIEWS, SavedView
from tickets.worklist import WorklistFilter

UNSAVED_PARAMETERS = ("after",)


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name of this view"), max_length=80)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("auto_id", "view-%s")
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean(self):
        data = super().clean()
        query = QueryDict(data.get("query", ""), mutable=True)
        for parameter in UNSAVED_PARAMETERS:
            query.pop(parameter, None)
        if not WorklistFilter(query, user=self.user).is_valid():
            raise forms.ValidationError(_("These filters are not valid: correct them before saving the view."))
        data["query"] = query.urlencode()
        name = data.get("name")
        mine = SavedView.objects.filter(user=self.user)
        if name and not mine.filter(name=name).exists() and mine.count() >= MAX_SAVED_VIEWS:
            raise forms.ValidationError(
                _("You already keep %(count)d views: delete one first."), params={"count": MAX_SAVED_VIEWS}
            )
        return data


@transaction.atomic
def saved_view_keep(*, user, name: str, query: str) -> SavedView:
    """Keep the view under ``name``; a view of that name is replaced."""
    view, _created = SavedView.objects.update_or_create(user=user, name=name, defaults={"query": query})
    return view


def saved_view_forget(*, user, pk: int) -> bool:
    """Delete one of ``user``'s views; False when they have none with that id."""
    deleted, _kinds = SavedView.objects.filter(user=user, pk=pk).delete()
    return bool(deleted)
