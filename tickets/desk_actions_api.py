"""Agents' actions on tickets over the API, with the rules of the ticket's page: reply or internal note, status,
priority, "solved by this article", merge; and the bulk actions of the queue view, all or nothing.

Verified agents of the ticket's queue only: another queue's ticket answers 404, as if it did not exist. A refusal
of the ticket as it is now (closed, merged…) answers 409 with what refused; a bad body answers 400 by field.
"""

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from kb.selectors import linkable_article
from portal.identity.api_auth import IsVerified
from portal.web.language import content_language
from tickets.access import ticket_to_work_on
from tickets.assignment import AssignmentRefused, assignee_named
from tickets.bulk import ACTIONS, BULK_MAX, BulkRefused, tickets_bulk_act
from tickets.desk_api import IsAgent, QueueTicketSerializer
from tickets.merging import MergeRefused, merge_target, ticket_merge
from tickets.models import REFERENCE_PATTERN, Priority, Ticket, TicketStatus
from tickets.services import (
    TicketActionRefused,
    ticket_note,
    ticket_priority_change,
    ticket_reply,
    ticket_status_change,
)
from tickets.solutions import ticket_solve_with_article


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What refused, in the request's language.")
    ticket = serializers.CharField(help_text="The reference of the ticket that refused.")


CONFLICT = OpenApiResponse(
    ConflictSerializer, description="The ticket refused the action as it is now; nothing changed."
)


def _conflict(reference: str, message: str) -> Conflict:
    conflict = Conflict()
    conflict.detail = {"detail": message, "ticket": reference}
    return conflict


def _answer(ticket: Ticket) -> Response:
    ticket = Ticket.objects.select_related("problem_type", "queue", "requester", "assignee").get(pk=ticket.pk)
    return Response(QueueTicketSerializer(ticket).data)


class TicketActionApi(APIView):
    permission_classes = [IsVerified, IsAgent]
    body_serializer: type[serializers.Serializer]

    def post(self, request, reference):
        ticket = ticket_to_work_on(request.user, reference)
        body = self.body_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            ticket = self.act(ticket, body.validated_data)
        except TicketActionRefused as refused:
            raise _conflict(ticket.reference, gettext("This incident is closed: reopen it first.")) from refused
        return _answer(ticket)


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10_000, help_text="The message (plain text).")
    internal = serializers.BooleanField(
        default=False, help_text="true: an internal note, read by agents only and e-mailed to nobody."
    )


class TicketReplyApi(TicketActionApi):
    body_serializer = ReplySerializer

    @extend_schema(summary="Reply to the requester, or add an internal note", request=ReplySerializer,
                   responses={200: QueueTicketSerializer, 409: CONFLICT})  # fmt: skip
    def post(self, request, reference):
        return super().post(request, reference)

    def act(self, ticket, data):
        write = ticket_note if data["internal"] else ticket_reply
        return write(ticket=ticket, by=self.request.user, body=data["body"])


class TicketStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TicketStatus.choices)


class TicketStatusApi(TicketActionApi):
    body_serializer = TicketStatusSerializer

    @extend_schema(summary="Change a ticket's status (the requester is told)", request=TicketStatusSerializer,
                   responses={200: QueueTicketSerializer, 409: CONFLICT})  # fmt: skip
    def post(self, request, reference):
        return super().post(request, reference)

    def act(self, ticket, data):
        return ticket_status_change(ticket=ticket, to=data["status"], by=self.request.user)


class PrioritySerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices)


class TicketPriorityApi(TicketActionApi):
    body_serializer = PrioritySerializer

    @extend_schema(summary="Change a ticket's priority (an internal event)", request=PrioritySerializer,
                   responses={200: QueueTicketSerializer, 409: CONFLICT})  # fmt: skip
    def post(self, request, reference):
        return super().post(request, reference)

    def act(self, ticket, data):
        return ticket_priority_change(ticket=ticket, priority=data["priority"], by=self.request.user)


class SolvedByArticleSerializer(serializers.Serializer):
    article = serializers.SlugField(help_text="The slug of a published article readable by the requester.")
    body = serializers.CharField(
        max_length=10_000, required=False, default="", allow_blank=True, help_text="Words before the article's link."
    )

    def validate_article(self, slug):
        article = linkable_article(slug=slug, language=content_language())
        if article is None:
            raise serializers.ValidationError(gettext("No published article may be linked with this slug."))
        return article


class TicketSolvedByArticleApi(TicketActionApi):
    body_serializer = SolvedByArticleSerializer

    @extend_schema(summary="Solve a ticket with a knowledge-base article (the requester gets its link)",
                   request=SolvedByArticleSerializer,
                   responses={200: QueueTicketSerializer, 409: CONFLICT})  # fmt: skip
    def post(self, request, reference):
        return super().post(request, reference)

    def act(self, ticket, data):
        return ticket_solve_with_article(
            ticket=ticket, article=data["article"], by=self.request.user, body=data["body"]
        )


class MergeSerializer(serializers.Serializer):
    into = serializers.RegexField(
        REFERENCE_PATTERN, max_length=20, help_text="The reference of the incident to keep (INC-2026-000123)."
    )


class TicketMergeApi(APIView):
    permission_classes = [IsVerified, IsAgent]

    @extend_schema(summary="Merge a duplicate into another incident (the duplicate is closed)",
                   request=MergeSerializer, responses={200: QueueTicketSerializer, 409: CONFLICT})  # fmt: skip
    def post(self, request, reference):
        ticket = ticket_to_work_on(request.user, reference)
        body = MergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            target = merge_target(reference=body.validated_data["into"], by=request.user)
            ticket = ticket_merge(ticket=ticket, into=target, by=request.user)
        except MergeRefused as refused:
            if refused.reason == "unknown":
                raise exceptions.ValidationError({"into": [str(refused)]}) from refused
            raise _conflict(ticket.reference, str(refused)) from refused
        return _answer(ticket)


class BulkSerializer(serializers.Serializer):
    tickets = serializers.ListField(
        child=serializers.RegexField(REFERENCE_PATTERN, max_length=20), min_length=1, max_length=BULK_MAX
    )
    action = serializers.ChoiceField(choices=[value for value, _label in ACTIONS])
    assignee = serializers.CharField(
        required=False, allow_null=True, max_length=150, help_text="assign: an agent of the queues; null: nobody."
    )
    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False, help_text="status: the new one.")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, help_text="priority: the new one.")
    body = serializers.CharField(required=False, max_length=10_000, help_text="solve: the reply every requester gets.")
    into = serializers.RegexField(
        REFERENCE_PATTERN, required=False, max_length=20, help_text="merge: the reference of the incident to keep."
    )

    def validate(self, data):
        data["tickets"] = list(dict.fromkeys(data["tickets"]))
        needed = {"status": "status", "priority": "priority", "solve": "body", "merge": "into"}.get(data["action"])
        if needed and not str(data.get(needed) or "").strip():
            raise serializers.ValidationError({needed: [gettext("This field is required for this action.")]})
        if data["action"] == "assign":
            try:
                data["assignee_user"] = assignee_named(data.get("assignee") or "")
            except AssignmentRefused as refused:
                raise serializers.ValidationError({"assignee": [str(refused)]}) from refused
        return data


class BulkResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField(help_text="How many tickets changed (every one named).")


class TicketBulkApi(APIView):
    permission_classes = [IsVerified, IsAgent]

    @extend_schema(summary="One action on many tickets, all or nothing", request=BulkSerializer,
                   responses={200: BulkResultSerializer, 409: CONFLICT})  # fmt: skip
    def post(self, request):
        body = BulkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            count = tickets_bulk_act(references=data["tickets"], action=data["action"], by=request.user, values=data)
        except BulkRefused as refused:
            raise _conflict(refused.reference, str(refused)) from refused
        return Response({"changed": count})
