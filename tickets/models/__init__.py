from tickets.models.canned import CannedAnswer
from tickets.models.catalog import BilingualNameMixin, ProblemType, ProblemTypeField, Queue
from tickets.models.deflection import ArticleSolution, Deflection
from tickets.models.major import (
    MajorIncident,
    MajorIncidentAffected,
    MajorIncidentEvent,
    MajorIncidentEventKind,
    MajorIncidentStatus,
)
from tickets.models.phishing_report import PhishingReport
from tickets.models.team import AssignmentMode, AssignmentRule, QueueMembership
from tickets.models.tickets import (
    DONE_STATUSES,
    OPEN_STATUSES,
    REFERENCE_PATTERN,
    Attachment,
    Priority,
    ReferenceCounter,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
)

__all__ = [
    "DONE_STATUSES",
    "OPEN_STATUSES",
    "REFERENCE_PATTERN",
    "ArticleSolution",
    "AssignmentMode",
    "AssignmentRule",
    "Attachment",
    "BilingualNameMixin",
    "CannedAnswer",
    "Deflection",
    "MajorIncident",
    "MajorIncidentAffected",
    "MajorIncidentEvent",
    "MajorIncidentEventKind",
    "MajorIncidentStatus",
    "PhishingReport",
    "Priority",
    "ProblemType",
    "ProblemTypeField",
    "Queue",
    "QueueMembership",
    "ReferenceCounter",
    "Ticket",
    "TicketEvent",
    "TicketEventKind",
    "TicketStatus",
]
