"""The incident API: problem types with their fields, ongoing major incidents, filing and reading one's incidents.

Every view needs a verified session (the project default, portal.identity.api_auth.IsVerified). Filing goes
through the same validation as the web page (tickets.fields.form.AnswersForm): the serializer binds the request to
it, so a missing required field is refused with the same field errors. A reference that is not the requester's
answers 404, like one that does not exist.
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from portal.web.api import (
    AffectedThrottle,
    JSONParser,
    LanguageField,
    PageNumberPagination,
    ScopedThrottle,
    query_parameters,
)
from portal.web.ratelimit import limited
from tickets.access import ticket_for
from tickets.fields.answers import NO, YES
from tickets.fields.api_types import AnswerField
from tickets.fields.form import AnswersForm
from tickets.fields.keys import FieldKey
from tickets.fields.prefetch import with_fields
from tickets.fields.vocabulary import KINDS
from tickets.forms import fill_context
from tickets.major_incidents import major_incident_join, shown_major_incidents
from tickets.models import Attachment, MajorIncident, ProblemType, ProblemTypeField, Ticket, TicketStatus
from tickets.selectors import active_problem_types, campaign_counts
from tickets.services import ticket_create
from tickets.submission import TicketSource

# --- Problem types -----------------------------------------------------------------------------------------------


class AnswerChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class ProblemTypeFieldSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()
    type = serializers.SerializerMethodField()
    required = serializers.BooleanField(source="is_required")
    help_text = serializers.SerializerMethodField()
    choices = serializers.SerializerMethodField(help_text="The answers a question accepts; empty for free text.")

    class Meta:
        model = ProblemTypeField
        fields = ["key", "label", "type", "required", "help_text", "choices"]

    def get_label(self, row) -> str:
        return str(row.get_key_display())

    def get_type(self, row) -> str:
        return KINDS[row.key].api_type

    def get_help_text(self, row) -> str:
        return row.help_text or str(KINDS[row.key].help_text)

    @extend_schema_field(AnswerChoiceSerializer(many=True))
    def get_choices(self, row) -> list[dict]:
        return [{"value": value, "label": str(label)} for value, label in KINDS[row.key].api_choices()]


class ProblemTypeSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    fields = ProblemTypeFieldSerializer(source="prefetched_fields", many=True)


class ProblemTypeListApi(generics.ListAPIView):
    """Active problem types in the page language (Accept-Language), each with the fields its form asks."""

    serializer_class = ProblemTypeSerializer
    pagination_class = None

    def get_queryset(self):
        return with_fields(active_problem_types())


# --- Major incidents ---------------------------------------------------------------------------------------------


class MajorIncidentSerializer(serializers.ModelSerializer):
    title = serializers.CharField()
    public_message = serializers.CharField()
    problem_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    error_messages = serializers.ListField(source="error_list", child=serializers.CharField())
    affected_count = serializers.IntegerField()
    you_are_affected = serializers.SerializerMethodField()

    class Meta:
        model = MajorIncident
        fields = [
            "id",
            "title",
            "status",
            "problem_type",
            "error_messages",
            "public_message",
            "opened_at",
            "affected_count",
            "you_are_affected",
        ]

    def get_you_are_affected(self, incident) -> bool:
        return bool(getattr(incident, "user_is_affected", 0))


class MajorIncidentListApi(APIView):
    @extend_schema(summary="Ongoing major incidents", responses=MajorIncidentSerializer(many=True))
    def get(self, request):
        incidents = shown_major_incidents(user=request.user)
        return Response(MajorIncidentSerializer(incidents, many=True).data)


class AffectedSerializer(serializers.Serializer):
    affected = serializers.BooleanField()


class MajorIncidentAffectedApi(APIView):
    throttle_classes = [ScopedThrottle, AffectedThrottle]

    @extend_schema(
        summary="Say you are affected by an ongoing major incident (instead of filing a duplicate)",
        description="201 the first time, 200 when you had already said so.",
        request=None,
        responses={201: AffectedSerializer, 200: AffectedSerializer},
    )
    def post(self, request, pk):
        incident = get_object_or_404(MajorIncident.objects.shown(), pk=pk)
        added = major_incident_join(incident=incident, user=request.user)
        return Response({"affected": True}, status=status.HTTP_201_CREATED if added else status.HTTP_200_OK)


# --- Tickets -----------------------------------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "url"]

    def get_url(self, attachment) -> str:
        return reverse("tickets:attachment", kwargs={"reference": self.context["reference"], "pk": attachment.pk})


class TicketEventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField(source="get_kind_display")
    created_at = serializers.DateTimeField()
    by_requester = serializers.SerializerMethodField()
    body = serializers.CharField()
    data = serializers.JSONField()
    attachments = serializers.SerializerMethodField()

    def get_by_requester(self, event) -> bool:
        return event.actor_id == self.context["requester_id"]

    def get_attachments(self, event) -> list[dict]:
        return AttachmentSerializer(event.attachments.all(), many=True, context=self.context).data


class TicketSerializer(serializers.ModelSerializer):
    problem_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    problem_type_name = serializers.CharField(source="problem_type.name", read_only=True)
    title = serializers.CharField(source="display_title", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "reference",
            "problem_type",
            "problem_type_name",
            "title",
            "status",
            "status_label",
            "priority",
            "data",
            "created_at",
            "updated_at",
            "closed_at",
            "url",
        ]
        read_only_fields = fields


class TicketDetailSerializer(TicketSerializer):
    events = serializers.SerializerMethodField()
    phishing = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "events", "phishing"]
        read_only_fields = fields

    def get_events(self, ticket) -> list[dict]:
        events = ticket.events.visible_to(self.context["request"].user).prefetch_related("attachments")
        context = {"reference": ticket.reference, "requester_id": ticket.requester_id}
        return TicketEventSerializer(events, many=True, context=context).data

    def get_phishing(self, ticket) -> dict | None:
        report = getattr(ticket, "phishing_report", None)
        if report is None:
            return None
        counts = campaign_counts(report)
        return {"summary": report.summary, "reports_in_campaign": counts["total"], "other_reporters": counts["others"]}


def _takes_files(declared) -> bool:
    return isinstance(declared, serializers.FileField) or isinstance(
        getattr(declared, "child", None), serializers.FileField
    )


def _form_value(value, declared):
    """A JSON value as the web form would have received it, checked against the type the schema documents for the
    field (``declared``): text for text, true/false or an answer for a question, null only where the schema allows
    it. A value of another type is refused rather than turned into text ("false" as a description)."""
    if _takes_files(declared):
        raise serializers.ValidationError(
            _("Send files as multipart/form-data file parts, not as values."), code="invalid"
        )
    if isinstance(value, str):
        return value
    if value is None and declared.allow_null:
        return ""
    if isinstance(value, bool) and isinstance(declared, AnswerField):
        return YES if value else NO
    raise serializers.ValidationError(
        _("Expected yes, no or one of the answers listed.")
        if isinstance(declared, AnswerField)
        else _("Expected text."),
        code="invalid",
    )


def _problem_type(slug):
    if not isinstance(slug, str) or not slug:
        return None
    return with_fields(active_problem_types()).filter(slug=slug[:60]).first()


class TicketCreateSerializerBase(serializers.Serializer):
    """Declared fields document the API (one per vocabulary key); validation is AnswersForm's, not theirs."""

    problem_type = serializers.SlugField(help_text="Slug of a problem type (see /api/problem-types/).")

    def to_internal_value(self, data):
        request = self.context["request"]
        if not hasattr(data, "get"):
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [_("Send an object of fields.")]})
        problem_type = _problem_type(data.get("problem_type"))
        if problem_type is None:
            raise serializers.ValidationError({"problem_type": [_("Unknown problem type.")]})
        form_data, errors = {}, {}
        for name in data:
            declared = self.fields.get(name)
            if name == "problem_type" or name in request.FILES or declared is None:
                continue  # files are read by the form; keys of no field at all are ignored, as the web form does
            try:
                form_data[name] = _form_value(data.get(name), declared)
            except serializers.ValidationError as error:
                errors[name] = error.detail
        if errors:
            raise serializers.ValidationError(errors)
        if not form_data.get(FieldKey.IDENTIFIER):
            # The identifier concerned defaults to the requester's, as on the pre-filled web form.
            form_data[FieldKey.IDENTIFIER] = request.user.username
        form = AnswersForm(
            form_data, MultiValueDict(request.FILES), problem_type=problem_type, context=fill_context(request)
        )
        # A field this problem type does not ask is not stored, but what the client sent must still be what the schema
        # says it is (read as the form reads it: true/false as answers).
        for name in (form_data.keys() & set(data)) - form.fields.keys():
            try:
                self.fields[name].run_validation(form_data[name])
            except serializers.ValidationError as error:
                errors[name] = error.detail
        if not form.is_valid() or errors:
            errors.update(
                {name: [error["message"] for error in items] for name, items in form.errors.get_json_data().items()}
            )
            raise serializers.ValidationError(errors)
        return {"problem_type": problem_type, "submission": form.submission}

    def create(self, validated_data):
        # Counted when an incident would really be filed, as on the page: correcting a refused form costs nothing.
        wait = limited(self.context["request"], "filing")
        if wait is not None:
            raise exceptions.Throttled(wait=wait)
        return ticket_create(
            requester=self.context["request"].user,
            problem_type=validated_data["problem_type"],
            submission=validated_data["submission"],
            source=TicketSource.API,
        )

    def to_representation(self, instance):
        return TicketSerializer(instance, context=self.context).data


def _create_serializer_class():
    fields = {}
    for kind in KINDS.values():
        # Plain strings, not FieldKey members: the schema's YAML writer cannot represent an enum member.
        fields.update({str(name): api_field for name, api_field in kind.api_fields().items()})
    return type("TicketCreateSerializer", (TicketCreateSerializerBase,), fields)


TicketCreateSerializer = _create_serializer_class()


class TicketPagination(PageNumberPagination):
    page_size = 50


class TicketListQuery(serializers.Serializer):
    lang = LanguageField()
    problem_type = serializers.SlugField(required=False, help_text="Only the incidents of this problem type.")
    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False, help_text="Only this status.")

    def validate_problem_type(self, slug):
        if not ProblemType.objects.filter(slug=slug).exists():
            raise serializers.ValidationError(_("Unknown problem type: see /api/problem-types/ for the codes."))
        return slug


class TicketListCreateApi(generics.ListCreateAPIView):
    """The requester's own incidents (newest activity first), and filing a new one (JSON or multipart with files)."""

    pagination_class = TicketPagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self):
        return TicketCreateSerializer if self.request.method == "POST" else TicketSerializer

    def get_queryset(self):
        tickets = (
            Ticket.objects.filter(requester=self.request.user).select_related("problem_type").order_by("-updated_at")
        )
        if self.request.method != "GET":
            return tickets
        filters = query_parameters(self.request, TicketListQuery)
        if "problem_type" in filters:
            tickets = tickets.filter(problem_type__slug=filters["problem_type"])
        if "status" in filters:
            tickets = tickets.filter(status=filters["status"])
        return tickets

    @extend_schema(summary="Your incidents, newest activity first", parameters=[TicketListQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="File an incident",
        description="Fields depend on the problem type (GET /api/problem-types/); missing required fields are "
        "refused with field errors. Files need multipart/form-data.",
        request=TicketCreateSerializer,
        responses={201: TicketSerializer},
        examples=[
            OpenApiExample(
                "Another problem",
                summary="The smallest complete filing (problem type 'autre'; the identifier defaults to yours)",
                value={
                    "problem_type": "autre",
                    "title": "My signature disappeared",
                    "description": "Since this morning my signature is no longer added to new messages.",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class TicketDetailApi(APIView):
    @extend_schema(summary="One incident with its public timeline", responses=TicketDetailSerializer)
    def get(self, request, reference):
        ticket = ticket_for(request.user, reference)
        return Response(TicketDetailSerializer(ticket, context={"request": request}).data)
