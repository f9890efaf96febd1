"""Major incidents over the API, for agents: the list with the proposals, one incident with its linked tickets, and
confirm, split, dismiss, post an update, change the status, resolve. Same rules as the workspace's pages (verified
agents, each handling the incidents of their queues' problem types; tickets of their queues only). The public list
(/api/major-incidents/, tickets.api) still shows only the ongoing ones."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.identity.api_auth import IsVerified
from tickets.desk_api import IsAgent
from tickets.major_forms import ConfirmForm, ResolveForm, SplitForm, StatusForm, UpdateForm
from tickets.major_incidents import (
    MajorIncidentRefused,
    major_incident_confirm,
    major_incident_dismiss,
    major_incident_post_update,
    major_incident_resolve,
    major_incident_split,
    major_incident_update,
)
from tickets.models import MajorIncident, Ticket
from tickets.models.major import SHOWN_STATUSES
from tickets.selectors import incidents_for

LINKED_SHOWN = 100


class DeskMajorIncidentSerializer(serializers.ModelSerializer):
    problem_type = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    error_messages = serializers.ListField(source="error_list", child=serializers.CharField())
    signature = serializers.CharField(source="correlation_key")
    linked_count = serializers.IntegerField()
    affected_count = serializers.IntegerField()

    class Meta:
        model = MajorIncident
        fields = [
            "id",
            "status",
            "title_fr",
            "title_en",
            "problem_type",
            "error_messages",
            "signature",
            "public_message_fr",
            "public_message_en",
            "opened_at",
            "resolved_at",
            "dismissed_at",
            "linked_count",
            "affected_count",
        ]
        read_only_fields = fields


class DeskMajorIncidentDetailSerializer(DeskMajorIncidentSerializer):
    tickets = serializers.SerializerMethodField(
        help_text=f"References of the first {LINKED_SHOWN} linked tickets of your queues, oldest first."
    )

    class Meta(DeskMajorIncidentSerializer.Meta):
        fields = [*DeskMajorIncidentSerializer.Meta.fields, "tickets"]
        read_only_fields = fields

    def get_tickets(self, incident) -> list[str]:
        return [ticket.reference for ticket in incident.visible_tickets]


class SplitSerializer(serializers.Serializer):
    tickets = serializers.ListField(child=serializers.CharField(max_length=20), min_length=1)
    into = serializers.ChoiceField(choices=["unlink", "new"], default="unlink")


class SplitResultSerializer(serializers.Serializer):
    moved = serializers.IntegerField()
    into = serializers.IntegerField(
        allow_null=True, help_text="The new proposal's id, when the tickets moved into one."
    )


def _form_data(form_class, data):
    form = form_class(data)
    if not form.is_valid():
        raise exceptions.ValidationError(form.errors.get_json_data(escape_html=False))
    return form.cleaned_data


class _IncidentApi(APIView):
    permission_classes = [IsVerified, IsAgent]

    def incident(self, request, pk) -> MajorIncident:
        incident = incidents_for(request.user).filter(pk=pk).first()
        if incident is None:
            raise exceptions.NotFound()
        return incident

    def answer(self, request, pk):
        incident = incidents_for(request.user).prefetch_related(
            Prefetch(
                "tickets",
                queryset=Ticket.objects.visible_to(request.user).order_by("created_at", "pk").only("reference"),
                to_attr="linked_rows",
            )
        )
        incident = incident.get(pk=pk)
        incident.visible_tickets = incident.linked_rows[:LINKED_SHOWN]
        return Response(DeskMajorIncidentDetailSerializer(incident).data)


class ConfirmSerializer(serializers.Serializer):
    title_fr = serializers.CharField(max_length=200)
    title_en = serializers.CharField(max_length=200)
    public_message_fr = serializers.CharField(max_length=5000)
    public_message_en = serializers.CharField(max_length=5000, required=False, allow_blank=True)


def _refused(refused: MajorIncidentRefused):
    return exceptions.ValidationError({"status": [_("This action does not apply to the major incident as it is now.")]})


class DeskMajorIncidentListApi(APIView):
    permission_classes = [IsVerified, IsAgent]

    @extend_schema(summary="Major incidents of your queues, proposals first",
                   responses=DeskMajorIncidentSerializer(many=True))  # fmt: skip
    def get(self, request):
        return Response(DeskMajorIncidentSerializer(incidents_for(request.user)[:200], many=True).data)


class DeskMajorIncidentDetailApi(_IncidentApi):
    @extend_schema(summary="One major incident, with its linked tickets", responses=DeskMajorIncidentDetailSerializer)
    def get(self, request, pk):
        self.incident(request, pk)
        return self.answer(request, pk)


class DeskMajorIncidentConfirmApi(_IncidentApi):
    @extend_schema(summary="Confirm a proposal: shown to the public, linked reporters told",
                   request=ConfirmSerializer, responses=DeskMajorIncidentDetailSerializer)  # fmt: skip
    def post(self, request, pk):
        incident = self.incident(request, pk)
        values = _form_data(ConfirmForm, request.data)
        try:
            major_incident_confirm(major_incident=incident, by=request.user, **values)
        except MajorIncidentRefused as refused:
            raise _refused(refused) from refused
        return self.answer(request, pk)


class DeskMajorIncidentSplitApi(_IncidentApi):
    @extend_schema(summary="Take linked tickets out: unlinked, or into a new proposal",
                   request=SplitSerializer, responses=SplitResultSerializer)  # fmt: skip
    def post(self, request, pk):
        incident = self.incident(request, pk)
        body = SplitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        form = SplitForm({"tickets": body.validated_data["tickets"], "into": body.validated_data["into"]})
        if not form.is_valid():
            raise exceptions.ValidationError(form.errors.get_json_data(escape_html=False))
        references = form.cleaned_data["tickets"]
        tickets = list(
            Ticket.objects.visible_to(request.user).filter(major_incident=incident, reference__in=references).only("pk")
        )
        if len(tickets) != len(references):
            raise exceptions.ValidationError(
                {"tickets": [_("Some tickets are not linked to this major incident, or not in your queues.")]}
            )
        try:
            created = major_incident_split(
                major_incident=incident, tickets=tickets, by=request.user, into_new=form.cleaned_data["into"] == "new"
            )
        except MajorIncidentRefused as refused:
            raise _refused(refused) from refused
        return Response({"moved": len(tickets), "into": created.pk if created else None})


class DeskMajorIncidentDismissApi(_IncidentApi):
    @extend_schema(summary="Dismiss a proposal: its tickets unlinked", request=None,
                   responses=DeskMajorIncidentDetailSerializer)  # fmt: skip
    def post(self, request, pk):
        incident = self.incident(request, pk)
        try:
            major_incident_dismiss(major_incident=incident, by=request.user)
        except MajorIncidentRefused as refused:
            raise _refused(refused) from refused
        return self.answer(request, pk)


class UpdateSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=5000)


class DeskMajorIncidentUpdateApi(_IncidentApi):
    @extend_schema(summary="Post a public update to every linked reporter and affected person",
                   request=UpdateSerializer, responses=DeskMajorIncidentDetailSerializer)  # fmt: skip
    def post(self, request, pk):
        incident = self.incident(request, pk)
        values = _form_data(UpdateForm, request.data)
        try:
            major_incident_post_update(major_incident=incident, by=request.user, message=values["message"])
        except MajorIncidentRefused as refused:
            raise _refused(refused) from refused
        return self.answer(request, pk)


class MajorIncidentStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["open", "monitoring"])
    message = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class DeskMajorIncidentStatusApi(_IncidentApi):
    @extend_schema(summary="Change the status of an ongoing major incident (everyone concerned is told)",
                   request=MajorIncidentStatusSerializer, responses=DeskMajorIncidentDetailSerializer)  # fmt: skip
    def post(self, request, pk):
        incident = self.incident(request, pk)
        values = _form_data(StatusForm, request.data)
        if incident.status not in SHOWN_STATUSES:
            raise _refused(MajorIncidentRefused(incident.status))
        major_incident_update(
            major_incident=incident, by=request.user, status=values["status"], message=values["message"]
        )
        return self.answer(request, pk)


class ResolveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=5000)


class DeskMajorIncidentResolveApi(_IncidentApi):
    @extend_schema(summary="Resolve a major incident and its linked open tickets, with a resolution note",
                   request=ResolveSerializer, responses=DeskMajorIncidentDetailSerializer)  # fmt: skip
    def post(self, request, pk):
        incident = self.incident(request, pk)
        values = _form_data(ResolveForm, request.data)
        if incident.status not in SHOWN_STATUSES:
            raise _refused(MajorIncidentRefused(incident.status))
        major_incident_resolve(major_incident=incident, by=request.user, note=values["note"])
        return self.answer(request, pk)
