"""Forms rendered without a template per option: Django's own default form markup, written by Python functions.

Django renders every field, label, error list, widget and each option of a list through a template. The queue
view's filter form (a dozen fields, lists of statuses, queues, problem types and colleagues) cost about a third of
the page's time that way. ``FormRenderer`` (settings.FORM_RENDERER) writes the same HTML as Django's templates for
the field group, labels, error lists, inputs, selects, checkbox and radio lists and textareas, and hands every
other template to Django's renderer as before.

The functions follow Django 5.2's templates character for character (tests/portal/test_form_rendering.py compares
both outputs on every form of the project). They are used only while those templates are the ones Django ships:
the renderer checks a digest of each source once, and renders everything through the templates if any differs
(a Django upgrade, or a project that overrides one).
"""

import hashlib
from functools import cached_property

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape as esc

# sha256 (first 16 hex digits) of each template as Django 5.2 ships it.
DIGESTS = {
    "django/forms/field.html": "fd3b0b7c28d88f5b",
    "django/forms/label.html": "d1b2427488fc1b97",
    "django/forms/attrs.html": "5053e00975c20246",
    "django/forms/errors/list/default.html": "2a6c759f0af3438f",
    "django/forms/errors/list/ul.html": "84f81a22e37d9f5a",
    "django/forms/widgets/attrs.html": "f729483efe44660f",
    "django/forms/widgets/input.html": "770cf3acba1c18b6",
    "django/forms/widgets/select.html": "ed4d11ce3784486f",
    "django/forms/widgets/select_option.html": "37fa6c7742580aa3",
    "django/forms/widgets/multiple_input.html": "8f111646a577d9ae",
    "django/forms/widgets/input_option.html": "3f244d9fd96613d0",
    "django/forms/widgets/checkbox_option.html": "536745b405ef3a7f",
    "django/forms/widgets/radio_option.html": "536745b405ef3a7f",
    "django/forms/widgets/checkbox_select.html": "fa86f6eaeaa6beb1",
    "django/forms/widgets/radio.html": "fa86f6eaeaa6beb1",
    "django/forms/widgets/textarea.html": "02fd58fa1a57514d",
}
# Widgets whose template only includes widgets/input.html.
INPUTS = ("checkbox", "color", "date", "datetime", "email", "file", "hidden", "number", "password", "search", "tel")
INPUTS += ("text", "time", "url")
INPUT_DIGEST = "7d7a5bc4ccc075bb"
DIGESTS.update({f"django/forms/widgets/{name}.html": INPUT_DIGEST for name in INPUTS})


def _attrs(attrs) -> str:
    """attrs.html: ` name="value"`, a bare name for True, nothing for False."""
    return "".join(
        f" {esc(name)}" if value is True else f' {esc(name)}="{esc(value)}"'
        for name, value in (attrs or {}).items()
        if value is not False
    )


def _input(widget) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{esc(value)}"'
    return f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"{shown}{_attrs(widget["attrs"])}>\n'


def _input_option(option) -> str:
    if not option["wrap_label"]:
        return _input(option) + "\n"
    target = option["attrs"].get("id")
    opening = f'<label for="{esc(target)}">' if target else "<label>"
    return f"{opening}{_input(option)} {esc(option['label'])}</label>\n"


def _select_option(option) -> str:
    return f'<option value="{esc(option["value"])}"{_attrs(option["attrs"])}>{esc(option["label"])}</option>\n'


class FormRenderer(DjangoTemplates):
    """Django's template renderer, with the default form templates written in Python (module docstring)."""

    @cached_property
    def _writers(self) -> dict:
        for name, digest in DIGESTS.items():
            source = self.engine.get_template(name).template.source.encode()
            if hashlib.sha256(source).hexdigest()[:16] != digest:
                return {}
        writers = {
            "django/forms/field.html": self._field,
            "django/forms/label.html": self._label,
            "django/forms/errors/list/default.html": self._errors,
            "django/forms/errors/list/ul.html": self._errors,
            "django/forms/widgets/select.html": self._select,
            "django/forms/widgets/checkbox_select.html": self._multiple_input,
            "django/forms/widgets/radio.html": self._multiple_input,
            "django/forms/widgets/textarea.html": self._textarea,
        }
        writers.update({f"django/forms/widgets/{name}.html": self._input for name in INPUTS})
        return writers

    def render(self, template_name, context, request=None):
        writer = self._writers.get(template_name)
        if writer is None:
            return super().render(template_name, context, request=request)
        return writer(context).strip()

    def _option(self, option) -> str:
        """The include of an option's template, which keeps its trailing line break (not stripped)."""
        name = option["template_name"]
        if name == "django/forms/widgets/select_option.html":
            return _select_option(option)
        if name in ("django/forms/widgets/checkbox_option.html", "django/forms/widgets/radio_option.html"):
            return _input_option(option) + "\n"
        return self.get_template(name).render({"widget": option})

    def _field(self, context) -> str:
        field = context["field"]
        parts = []
        if field.use_fieldset:
            described = field.aria_describedby
            parts.append(f'\n  <fieldset aria-describedby="{esc(described)}">' if described else "\n  <fieldset>")
            parts.append("\n  ")
            if field.label:
                parts.append(str(field.legend_tag()))
        else:
            parts.append("\n  ")
            if field.label:
                parts.append(str(field.label_tag()))
        parts.append("\n\n")
        if field.help_text:
            anchor = f' id="{esc(field.auto_id)}_helptext"' if field.auto_id else ""
            parts.append(f'<div class="helptext"{anchor}>{field.help_text}</div>')
        parts.append(f"\n{field.errors}\n{field}")
        if field.use_fieldset:
            parts.append("</fieldset>")
        return "".join(parts)

    def _label(self, context) -> str:
        if not context["use_tag"]:
            return str(esc(context["label"]))
        tag = esc(context["tag"])
        return f"<{tag}{_attrs(context['attrs'])}>{esc(context['label'])}</{tag}>"

    def _errors(self, context) -> str:
        errors = context["errors"]
        if not errors:
            return ""
        anchor = f' id="{esc(errors.field_id)}_error"' if errors.field_id else ""
        items = "".join(f"<li>{esc(error)}</li>" for error in errors)
        return f'<ul class="{esc(context["error_class"])}"{anchor}>{items}</ul>'

    def _input(self, context) -> str:
        return _input(context["widget"])

    def _textarea(self, context) -> str:
        widget = context["widget"]
        value = esc(widget["value"]) if widget["value"] else ""
        return f'<textarea name="{esc(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'

    def _select(self, context) -> str:
        widget = context["widget"]
        parts = [f'<select name="{esc(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{esc(group_name)}">')
            parts.extend(f"\n  {self._option(option)}" for option in options)
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return "".join(parts)

    def _multiple_input(self, context) -> str:
        widget = context["widget"]
        target, css = widget["attrs"].get("id"), widget["attrs"].get("class")
        parts = ["<div", f' id="{esc(target)}"' if target else "", f' class="{esc(css)}"' if css else "", ">"]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(f"\n  <div><label>{esc(group)}</label>")
            parts.extend(f"<div>\n    {self._option(option)}</div>" for option in options)
            if group:
                parts.append("\n  </div>")
        parts.append("\n</div>")
        return "".join(parts)
