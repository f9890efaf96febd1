"""The agents' workspace over the API: the queue list with the queue view's filters and keyset pages, and the
assignment of a ticket. Same rules as the pages: verified agents only, each seeing the queues they belong to."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.identity.api_auth import IsVerified
from tickets.access import ticket_for
from tickets.assignment import AssignmentRefused, assignee_named, ticket_assign
from tickets.models import Ticket
from tickets.worklist import WorklistFilter, cursor_decode, worklist_page


class IsAgent(BasePermission):
    message = _("Only helpdesk agents may use this part of the API.")

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_agent)


class QueueTicketSerializer(serializers.ModelSerializer):
    problem_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    queue = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    requester = serializers.SlugRelatedField(slug_field="username", read_only=True)
    assignee = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    title = serializers.CharField(source="display_title", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "reference",
            "title",
            "problem_type",
            "queue",
            "requester",
            "assignee",
            "status",
            "priority",
            "sla_state",
            "first_response_due",
            "resolution_due",
            "first_responded_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class QueuePageSerializer(serializers.Serializer):
    results = QueueTicketSerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text="The `after` value of the next page; null on the last.")


FILTER_PARAMETERS = [
    OpenApiParameter("queue", OpenApiTypes.INT, description="A queue id (one of yours)."),
    OpenApiParameter("status", OpenApiTypes.STR, many=True, description="Statuses; the open ones by default."),
    OpenApiParameter("problem_type", OpenApiTypes.INT, description="A problem type id."),
    OpenApiParameter("priority", OpenApiTypes.STR, enum=["low", "normal", "high", "urgent"]),
    OpenApiParameter("assignee", OpenApiTypes.STR, description="`mine`, `nobody` or an agent's identifier."),
    OpenApiParameter("created_from", OpenApiTypes.DATE),
    OpenApiParameter("created_to", OpenApiTypes.DATE),
    OpenApiParameter("major", OpenApiTypes.BOOL, description="Only tickets linked to a major incident."),
    OpenApiParameter(
        "sla",
        OpenApiTypes.STR,
        enum=["attention", "at_risk", "breached"],
        description="`attention`: at risk or breached.",
    ),  # fmt: skip
    OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        description="A reference or an identifier alone, or words of the title, answers, replies and notes.",
    ),
    OpenApiParameter(
        "sort",
        OpenApiTypes.STR,
        enum=["relevance", "newest", "oldest", "active", "stale", "urgent"],
        description="`relevance` (the default while searching words) lists the 1,000 best matches.",
    ),
    OpenApiParameter("size", OpenApiTypes.INT, enum=[25, 50, 100]),
    OpenApiParameter("after", OpenApiTypes.STR, description="The `next` value of the previous page."),
]


class QueueListApi(APIView):
    permission_classes = [IsVerified, IsAgent]

    @extend_schema(summary="The tickets of your queues, filtered", parameters=FILTER_PARAMETERS,
                   responses=QueuePageSerializer)  # fmt: skip
    def get(self, request):
        form = WorklistFilter(request.query_params or None, user=request.user)
        if form.is_bound and not form.is_valid():
            raise exceptions.ValidationError(form.errors.get_json_data(escape_html=False))
        cursor = request.query_params.get("after", "")
        if cursor and cursor_decode(cursor, sort=form.ordering) is None:
            raise exceptions.ValidationError({"after": [_("This is not the `next` value of a page.")]})
        page = worklist_page(
            form.filtered(), sort=form.ordering, size=form.page_size, cursor=cursor, rank=form.rank, known=form.known
        )
        return Response({"results": QueueTicketSerializer(page.rows, many=True).data, "next": page.next_cursor})


class AssignSerializer(serializers.Serializer):
    assignee = serializers.CharField(
        allow_null=True, max_length=150, help_text="An agent of the ticket's queue; null gives it back to the queue."
    )


class TicketAssignApi(APIView):
    permission_classes = [IsVerified, IsAgent]

    @extend_schema(summary="Give a ticket to an agent of its queue", request=AssignSerializer,
                   responses=QueueTicketSerializer)  # fmt: skip
    def post(self, request, reference):
        ticket = ticket_for(request.user, reference)
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            to = assignee_named(body.validated_data["assignee"] or "")
            ticket = ticket_assign(ticket=ticket, to=to, by=request.user)
        except AssignmentRefused as refused:
            raise exceptions.ValidationError({"assignee": [str(refused)]}) from refused
        ticket = Ticket.objects.select_related("problem_type", "queue", "requester", "assignee").get(pk=ticket.pk)
        return Response(QueueTicketSerializer(ticket).data)
