from django import forms
from django.utils.translation import gettext_lazy as _

from kb import text
from kb.models import Article, Feedback
from kb.search import MAX_QUERY_LENGTH


class SearchForm(forms.Form):
    # Never invalid: an over-long or odd query is cut and cleaned by kb.search, not refused.
    q = forms.CharField(
        label=_("Search the help"),
        required=False,
        strip=True,
        help_text=_("An error message, a few words: for example “identifiant incorrect” or “code refusé”."),
        widget=forms.TextInput(attrs={"type": "search", "maxlength": MAX_QUERY_LENGTH, "autocomplete": "off"}),
    )

    def __init__(self, data=None, **kwargs):
        if data is not None and "q" in data:
            # NUL and control characters are dropped, not refused: a pasted error message may carry them.
            data = data.copy()
            data["q"] = text.clean(data["q"])
        super().__init__(data, **kwargs)

    def query(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label=_("Did this article solve your problem?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose yes or no.")},
    )
    comment = forms.CharField(
        label=_("What was missing or unclear? (optional)"),
        required=False,
        max_length=Feedback.COMMENT_MAX_LENGTH,
        help_text=_("Never write a password or a code here. To get help, contact the support instead."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ArticleForm(forms.ModelForm):
    """The agents' editor. The slug and language are chosen at creation and fixed afterwards."""

    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(
        label=_("What did you change? (optional)"),
        required=False,
        max_length=200,
        help_text=_("Shown in the history of the article."),
    )

    class Meta:
        model = Article
        fields = [
            "slug", "language", "title", "summary", "category", "audience", "status", "tags", "errors", "related",
            "body",
        ]  # fmt: skip
        widgets = {
            "summary": forms.TextInput(),
            "errors": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 24, "class": "monospace"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            del self.fields["slug"]
            del self.fields["language"]
            self.fields["base_version"].initial = self.instance.version
