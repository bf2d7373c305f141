"""What each message type does once it is known to be new (`hub.services.messages` decides).

Each function runs on the store thread and returns the body of the hub's answer; a `HubError`
becomes an Error message. Record requests and move notices are audited here; enrollment updates
are audited by the ingest pipeline they go through.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from hub.errors import Issue, IssueCode, NotFoundError, Severity, ValidationError, error
from hub.mapping import MappedRecord
from hub.messages.bodies import (
    AckLevel,
    Acknowledgement,
    AckResult,
    Body,
    Candidate,
    CandidateList,
    Demographics,
    EnrollmentEvent,
    EnrollmentUpdate,
    HealthFlags,
    MoveNotification,
    RecordRequest,
    RecordResponse,
    Reference,
    ResponseStatus,
    Section,
)
from hub.messages.body_xml import BODY_PATH, read_body, record_xpath
from hub.messages.envelope import ParsedMessage
from hub.model import Action, StudentRecord, check_record
from hub.security import AuditAgent, AuditWriter, Caller
from hub.security.audit import AuditAction
from hub.services.consolidation import find_child_by_state_id, load_child
from hub.services.ingest import IngestSource, Outcome, ingest
from hub.services.search import DemographicQuery, SearchHit, search_demographics
from hub.store import Store

HEALTH_READ = "msix/health.read"
MAX_CANDIDATES = 50
_SECTION_FIELDS: dict[Section, tuple[str, ...]] = {
    Section.MOVES: ("moves",),
    Section.ENROLLMENTS: ("enrollments",),
    Section.ASSESSMENTS: ("assessments",),
    Section.COURSES: ("courses",),
    Section.HEALTH: ("immunizations", "conditions"),
}
_ENROLLMENT_RECORD = f"{BODY_PATH}/EnrollmentUpdate/StudentRecord"


def answer_request(
    store: Store,
    message: ParsedMessage,
    caller: Caller,
    agent: AuditAgent,
    now: datetime,
    observer: str,
) -> Body:
    """A RecordResponse (Found or NotFound) or, for a demographic request that does not name
    one child for certain, a CandidateList."""
    request = read_body(message)
    assert isinstance(request, RecordRequest)
    audit = AuditWriter(observer)
    msix_id: str | None
    if request.msix_id is not None:
        msix_id = request.msix_id
    elif request.state_student_id is not None:
        key = request.state_student_id
        msix_id = find_child_by_state_id(store, key.state, key.value)
    else:
        assert request.demographics is not None
        hits = _demographic_hits(store, request.demographics, now)
        if len(hits) > 1 or (hits and hits[0].strength != "strong"):
            found = [hit.msix_id for hit in hits]
            audit.record(
                store.audit, action=AuditAction.SEARCH, agent=agent, now=now, msix_ids=found
            )
            return CandidateList(tuple(_candidate(hit) for hit in hits))
        msix_id = hits[0].msix_id if hits else None
    health = caller.grants(HEALTH_READ) and (
        not request.sections or Section.HEALTH in request.sections
    )
    try:
        if msix_id is None:
            raise NotFoundError("no child matches the request")
        child = load_child(store, msix_id, include_health=health)
    except NotFoundError:
        audit.record(store.audit, action=AuditAction.SEARCH, agent=agent, now=now)
        return RecordResponse(
            ResponseStatus.NOT_FOUND, reason_code="not-found", reason="no child matches the request"
        )
    audit.record(
        store.audit, action=AuditAction.VIEW, agent=agent, now=now, msix_ids=[child.msix_id]
    )
    stored = [linked.record for linked in child.records]
    return RecordResponse(
        ResponseStatus.FOUND,
        msix_id=child.msix_id,
        health_flags=_health_flags(stored, included=health),
        records=tuple(_shaped(record, request.sections) for record in child.education_records()),
    )


def _demographic_hits(store: Store, wanted: Demographics, now: datetime) -> list[SearchHit]:
    """Children the identity engine ranks as possible matches, best first (at most
    `MAX_CANDIDATES`): the same search the web UI runs."""
    query = DemographicQuery(
        first_name=wanted.first_name,
        last_name_1=wanted.last_name_1,
        last_name_2=wanted.last_name_2,
        birth_date=wanted.birth_date,
        sex=wanted.sex,
    )
    return search_demographics(store, query, today=now.date(), limit=MAX_CANDIDATES).hits


def deliver_move(
    store: Store, message: ParsedMessage, agent: AuditAgent, now: datetime, observer: str
) -> Acknowledgement:
    """Put the notice in the destination state's mailbox; a Receipt acknowledgement."""
    move = read_body(message)
    assert isinstance(move, MoveNotification)
    where = f"{BODY_PATH}/MoveNotification"
    issues: list[Issue] = []
    if move.to_state == move.from_state:
        issues.append(
            error(IssueCode.BUSINESS_RULE, "ToState equals FromState", f"{where}/ToState")
        )
    msix_id: str | None = None
    if move.student.msix_id is not None:
        try:
            msix_id = store.students.resolve(move.student.msix_id)["_id"]
        except NotFoundError:
            issues.append(
                error(IssueCode.NOT_FOUND, "no child with this MSIX ID", f"{where}/Student/MsixId")
            )
    elif move.student.state_student_id is not None:
        key = move.student.state_student_id
        msix_id = find_child_by_state_id(store, key.state, key.value)
        if msix_id is None:
            issues.append(
                error(
                    IssueCode.NOT_FOUND,
                    "no child is linked to this state student id",
                    f"{where}/Student/StateStudentId",
                )
            )
    header = message.header
    if issues:
        return Acknowledgement(
            AckLevel.PROCESSED, AckResult.REJECTED, header.message_id, issues=tuple(issues)
        )
    assert msix_id is not None
    store.messages.deliver(
        move.to_state,
        header.message_id,
        {
            "sender": header.sender.key,
            "message_type": header.message_type.value,
            "msix_id": msix_id,
            "expires": header.expires,
            "digest": header.payload_digest,
            "message": message.data,
        },
        now=now,
    )
    AuditWriter(observer).record(
        store.audit, action=AuditAction.MOVE_NOTICE, agent=agent, now=now, msix_ids=[msix_id]
    )
    return Acknowledgement(
        AckLevel.RECEIPT,
        AckResult.ACCEPTED,
        header.message_id,
        (Reference("mailbox", move.to_state), Reference("msix-id", msix_id)),
    )


def apply_enrollment(
    store: Store,
    message: ParsedMessage,
    agent: AuditAgent,
    now: datetime,
    observer: str,
    spool_dir: Path | None,
) -> Acknowledgement:
    """Run the update's record through the ingest pipeline, as one record of a state file."""
    header = message.header
    try:
        update = read_body(message)
    except ValidationError as exc:
        return _rejected(header.message_id, exc.issues)
    assert isinstance(update, EnrollmentUpdate)
    record = update.record
    if record.student_id.state != header.sender.state:
        return _rejected(
            header.message_id,
            [
                error(
                    IssueCode.FORBIDDEN,
                    "a school updates only its own state's records",
                    f"{_ENROLLMENT_RECORD}/StudentId/State",
                )
            ],
        )
    issues = _event_issues(update)
    if update.event is EnrollmentEvent.DELETE:
        record = record.model_copy(update={"action": Action.DELETE})
    located = [issue.at("record[1]") for issue in check_record(record, today=now.date())]
    mapped = MappedRecord(
        record_number=1,
        line=None,
        state_student_id=record.student_id.value,
        action=record.action,
        record=record,
        issues=located + [issue.at("record[1]") for issue in issues],
        values={},
    )
    source = IngestSource(
        record.student_id.state,
        f"{header.message_id}.xml",
        header.payload_digest,
        len(message.data),
        "xml-message",
        submitted_at=header.created,
    )
    result = ingest(
        store, [mapped], source, now=now, agent=agent, observer=observer, spool_dir=spool_dir
    )
    ack = result.acknowledgement
    reported = [
        Issue(
            issue.severity,
            issue.code,
            issue.message,
            record_xpath(issue.field, _ENROLLMENT_RECORD),
            issue.rule,
        )
        for report in ack.records
        for issue in report.issues
    ] + [Issue(i.severity, i.code, i.message, i.field, i.rule) for i in ack.file_issues]
    references = [Reference("ingest-batch", ack.batch_id)]
    child = store.students.find_by_link(record.student_id.state, record.student_id.value)
    if child is not None:
        references.append(Reference("msix-id", child["_id"]))
    if ack.outcome is not Outcome.ACCEPTED:
        return _rejected(header.message_id, reported)
    result_code = AckResult.ACCEPTED_WITH_WARNINGS if reported else AckResult.ACCEPTED
    return Acknowledgement(
        AckLevel.PROCESSED, result_code, header.message_id, tuple(references), tuple(reported)
    )


def _event_issues(update: EnrollmentUpdate) -> list[Issue]:
    enrollments = update.record.enrollments
    if update.event is EnrollmentEvent.WITHDRAW and not any(e.withdrawal_date for e in enrollments):
        return [
            Issue(
                Severity.ERROR,
                IssueCode.REQUIRED,
                "a Withdraw event needs an enrollment with a withdrawal date",
                "enrollments",
                "message-withdraw-date",
            )
        ]
    if update.event is EnrollmentEvent.ENROLL and not enrollments:
        return [
            Issue(
                Severity.ERROR,
                IssueCode.REQUIRED,
                "an Enroll event needs an enrollment",
                "enrollments",
                "message-enroll",
            )
        ]
    return []


def _rejected(message_id: str, issues: Sequence[Issue]) -> Acknowledgement:
    return Acknowledgement(AckLevel.PROCESSED, AckResult.REJECTED, message_id, issues=tuple(issues))


def _health_flags(records: Sequence[StudentRecord], *, included: bool) -> HealthFlags:
    """From every linked record, health lists included: the flags say health records are held
    even to a caller who may not see them."""
    enrollments = sorted(
        (e for record in records for e in record.enrollments), key=lambda e: e.enrollment_date
    )
    alerts = [e.medical_alert for e in enrollments if e.medical_alert]
    return HealthFlags(
        immunization_record_flag=any(e.immunization_record_flag for e in enrollments)
        or any(record.immunizations for record in records),
        health_records_held=any(record.immunizations or record.conditions for record in records),
        health_detail_included=included,
        medical_alert=alerts[-1] if alerts else None,
    )


def _shaped(record: StudentRecord, sections: tuple[Section, ...]) -> StudentRecord:
    """Only the sections asked for (health is already left out unless allowed)."""
    if not sections:
        return record
    dropped: dict[str, list[object]] = {}
    for section, fields in _SECTION_FIELDS.items():
        if section not in sections:
            dropped.update({name: [] for name in fields if getattr(record, name)})
    return record.model_copy(update=dropped) if dropped else record


def _candidate(hit: SearchHit) -> Candidate:
    return Candidate(
        msix_id=hit.msix_id,
        states=hit.states,
        first_name=hit.first_name,
        last_name_1=hit.last_name_1,
        last_name_2=hit.last_name_2,
        birth_date=date.fromisoformat(hit.birth_date) if hit.birth_date else None,
        sex=hit.sex,
    )
