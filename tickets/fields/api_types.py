"""The API side of the vocabulary: the serializer fields the kinds declare, and how the OpenAPI schema shows them.

Declared fields document the filing endpoint; its validation is the form's (tickets.fields.form), so these fields
promise no more and no less than the form accepts.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers


def optional_text(*, help_text="", **options) -> serializers.CharField:
    """A text value the client may leave out or send empty, as the web form's text inputs."""
    return serializers.CharField(required=False, allow_blank=True, help_text=help_text, **options)


class AnswerField(serializers.ChoiceField):
    """A question's answer in the API: one of its values, or true/false for yes/no (the schema says both, through
    AnswerFieldSchema)."""


class AnswerFieldSchema(OpenApiSerializerFieldExtension):
    target_class = AnswerField

    def map_serializer_field(self, auto_schema, direction):
        return {
            "oneOf": [{"type": "string", "enum": list(self.target.choices)}, {"type": "boolean"}],
            "description": " ".join(
                str(text) for text in (self.target.help_text, _("true and false are read as yes and no.")) if text
            ),
        }
