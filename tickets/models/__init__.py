from tickets.models.canned import CannedAnswer
from tickets.models.catalog import BilingualNameMixin, ProblemType, ProblemTypeField, Queue
from tickets.models.deflection import ArticleSolution, Deflection
from tickets.models.major import (
    MajorIncident,
    MajorIncidentAffected,
    MajorIncidentEvent,
    MajorIncidentEventKind,
    MajorIncidentNotice,
    MajorIncidentStatus,
)
from tickets.models.phishing_report import PhishingReport
from tickets.models.saved_view import MAX_SAVED_VIEWS, SavedView
from tickets.models.sla import BusinessCalendar, BusinessHours, HolidayRegion, SlaTarget
from tickets.models.team import AssignmentMode, AssignmentRule, QueueMembership
from tickets.models.tickets import (
    DONE_STATUSES,
    OPEN_STATUSES,
    REFERENCE_PATTERN,
    Attachment,
    Priority,
    ReferenceCounter,
    SlaState,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)

__all__ = [
    "MAX_SAVED_VIEWS",
    "DONE_STATUSES",
    "OPEN_STATUSES",
    "REFERENCE_PATTERN",
    "ArticleSolution",
    "AssignmentMode",
    "AssignmentRule",
    "Attachment",
    "BusinessCalendar",
    "BusinessHours",
    "BilingualNameMixin",
    "CannedAnswer",
    "Deflection",
    "HolidayRegion",
    "MajorIncident",
    "MajorIncidentAffected",
    "MajorIncidentEvent",
    "MajorIncidentEventKind",
    "MajorIncidentNotice",
    "MajorIncidentStatus",
    "PhishingReport",
    "Priority",
    "ProblemType",
    "ProblemTypeField",
    "Queue",
    "QueueMembership",
    "ReferenceCounter",
    "SavedView",
    "SlaState",
    "SlaTarget",
    "Ticket",
    "TicketEvent",
    "TicketEventKind",
    "TicketStatus",
]
