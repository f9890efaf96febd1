from tickets.models.catalog import BilingualNameMixin, ProblemType, ProblemTypeField, Queue
from tickets.models.deflection import Deflection
from tickets.models.major import (
    MajorIncident,
    MajorIncidentAffected,
    MajorIncidentEvent,
    MajorIncidentEventKind,
    MajorIncidentNotice,
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
    "AssignmentMode",
    "AssignmentRule",
    "Attachment",
    "BilingualNameMixin",
    "Deflection",
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
    "Ticket",
    "TicketEvent",
    "TicketEventKind",
    "TicketStatus",
]
