"""Message bodies (`xsd/message-bodies.xsd`, version 1.0) as dataclasses.

`hub.messages.body_xml` reads them from and writes them to XML; education records inside them
are canonical `StudentRecord`s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from hub.errors import Issue
from hub.messages.envelope import MessageType
from hub.model import StudentId, StudentRecord


class Section(StrEnum):
    MOVES = "Moves"
    ENROLLMENTS = "Enrollments"
    ASSESSMENTS = "Assessments"
    COURSES = "Courses"
    HEALTH = "Health"


class ResponseStatus(StrEnum):
    FOUND = "Found"
    NOT_FOUND = "NotFound"
    REFUSED = "Refused"
    PARTIAL = "Partial"


class EnrollmentEvent(StrEnum):
    ENROLL = "Enroll"
    WITHDRAW = "Withdraw"
    CORRECT = "Correct"
    DELETE = "Delete"


class AckLevel(StrEnum):
    RECEIPT = "Receipt"
    PROCESSED = "Processed"


class AckResult(StrEnum):
    ACCEPTED = "Accepted"
    ACCEPTED_WITH_WARNINGS = "AcceptedWithWarnings"
    REJECTED = "Rejected"


class ErrorType(StrEnum):
    UNKNOWN_DESTINATION = "UnknownDestination"
    DESTINATION_UNAVAILABLE = "DestinationUnavailable"
    MESSAGE_TOO_LARGE = "MessageTooLarge"
    SCHEMA_INVALID = "SchemaInvalid"
    INVALID = "Invalid"
    NOT_FOUND = "NotFound"
    DUPLICATE = "Duplicate"
    IN_PROGRESS = "InProgress"  # the same message is being processed now: retry for its answer
    SECURITY = "Security"
    EXPIRED = "Expired"
    INTERNAL = "Internal"


@dataclass(frozen=True)
class Demographics:
    first_name: str
    last_name_1: str
    birth_date: date
    last_name_2: str | None = None
    sex: str | None = None
    birth_state: str | None = None


@dataclass(frozen=True)
class RecordRequest:
    """Exactly one of `msix_id`, `state_student_id`, `demographics` is set."""

    msix_id: str | None = None
    state_student_id: StudentId | None = None
    demographics: Demographics | None = None
    sections: tuple[Section, ...] = ()  # empty: every section the caller may see
    purpose: str | None = None


@dataclass(frozen=True)
class HealthFlags:
    immunization_record_flag: bool
    health_records_held: bool
    health_detail_included: bool
    medical_alert: str | None = None


@dataclass(frozen=True)
class RecordResponse:
    status: ResponseStatus
    msix_id: str | None = None
    health_flags: HealthFlags | None = None
    records: tuple[StudentRecord, ...] = ()
    reason_code: str | None = None
    reason: str | None = None
    packet_number: int = 1
    packet_count: int = 1


@dataclass(frozen=True)
class Candidate:
    msix_id: str
    states: tuple[str, ...]
    first_name: str | None = None
    last_name_1: str | None = None
    last_name_2: str | None = None
    birth_date: date | None = None
    sex: str | None = None


@dataclass(frozen=True)
class CandidateList:
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class StudentRef:
    msix_id: str | None = None
    state_student_id: StudentId | None = None
    first_name: str | None = None
    last_name_1: str | None = None
    birth_date: date | None = None


@dataclass(frozen=True)
class School:
    name: str
    id: str | None = None
    city: str | None = None


@dataclass(frozen=True)
class MoveNotification:
    student: StudentRef
    from_state: str
    to_state: str
    departure_date: date | None = None
    expected_arrival: date | None = None
    destination_school: School | None = None
    qualifying_arrival_date: date | None = None
    eligibility_expiration_date: date | None = None
    comments: str | None = None


@dataclass(frozen=True)
class EnrollmentUpdate:
    event: EnrollmentEvent
    record: StudentRecord


@dataclass(frozen=True)
class Reference:
    kind: str
    value: str


@dataclass(frozen=True)
class Acknowledgement:
    level: AckLevel
    result: AckResult
    acknowledged_message_id: str
    references: tuple[Reference, ...] = ()
    issues: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class StandardCode:
    system: str
    code: str


DUPLICATE_CODES = (StandardCode("SIF_Ack", "7"), StandardCode("X12-TA1", "025"))
"""What other standards call a reused message id with other content."""


@dataclass(frozen=True)
class ErrorBody:
    type: ErrorType
    issues: tuple[Issue, ...]
    standard_codes: tuple[StandardCode, ...] = ()


@dataclass(frozen=True)
class Ping:
    echo: str | None = None


Body = (
    RecordRequest
    | RecordResponse
    | CandidateList
    | MoveNotification
    | EnrollmentUpdate
    | Acknowledgement
    | ErrorBody
    | Ping
)

BODY_TYPES: dict[type[Body], MessageType] = {
    RecordRequest: MessageType.RECORD_REQUEST,
    RecordResponse: MessageType.RECORD_RESPONSE,
    CandidateList: MessageType.CANDIDATE_LIST,
    MoveNotification: MessageType.MOVE_NOTIFICATION,
    EnrollmentUpdate: MessageType.ENROLLMENT_UPDATE,
    Acknowledgement: MessageType.ACKNOWLEDGEMENT,
    ErrorBody: MessageType.ERROR,
    Ping: MessageType.PING,
}


def message_type_of(body: Body) -> MessageType:
    return BODY_TYPES[type(body)]
