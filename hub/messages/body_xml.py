"""Message bodies to and from XML: `read_body` for a checked message, `body_element` to write.

Readers assume a schema-valid body (`parse_message` checked it). Education records inside are
read by the model (`hub.messages.education_xml`); its refusals come back as `ValidationError`
located by XPath under `/Message/Body`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from lxml import etree

from hub.errors import Issue, IssueCode, Severity, ValidationError
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
    ErrorBody,
    ErrorType,
    HealthFlags,
    MoveNotification,
    Ping,
    RecordRequest,
    RecordResponse,
    Reference,
    ResponseStatus,
    School,
    Section,
    StandardCode,
    StudentRef,
    message_type_of,
)
from hub.messages.education_xml import NAMESPACE as RECORD_NAMESPACE
from hub.messages.education_xml import _xpath as _record_xpath
from hub.messages.education_xml import record_from_xml, record_to_xml
from hub.messages.envelope import NAMESPACE, MessageType, ParsedMessage, qname
from hub.model import StudentId, StudentRecord

BODY_PATH = "/Message/Body"
_RECORD = f"{{{RECORD_NAMESPACE}}}StudentRecord"
_NSMAP: dict[Any, str] = {None: NAMESPACE}
_LINE_IN_MESSAGE = re.compile(r"^(?P<text>.*) \(line (?P<line>\d+)\)$", re.DOTALL)
_LINE_LOCATION = re.compile(r"^line (?P<line>\d+)(?:, column \d+)?$")
_MAX_TEXT = 1000


def read_body(message: ParsedMessage) -> Body:
    """The dataclass of a checked message's body."""
    return _READERS[message.header.message_type](message.body)


def body_element(body: Body) -> etree._Element:
    """The body's XML element, ready for `hub.messages.envelope.build_message`."""
    element = etree.Element(qname(message_type_of(body).value), nsmap=_NSMAP)
    _WRITERS[type(body)](element, body)
    return element


def issue_parts(issue: Issue) -> tuple[str, str | None, int | None]:
    """Message, XPath and line of an issue for the Issue element (text cut to fit)."""
    message, xpath, line = issue.message, issue.location, None
    found = _LINE_IN_MESSAGE.match(message)
    if found:
        message, line = found["text"], int(found["line"])
    if xpath is not None and (at_line := _LINE_LOCATION.match(xpath)):
        xpath, line = None, int(at_line["line"])
    return (message[:_MAX_TEXT] or issue.code.value), (xpath[:_MAX_TEXT] if xpath else None), line


# Reading


def _find(parent: etree._Element, local: str) -> etree._Element | None:
    return parent.find(qname(local))


def _text(parent: etree._Element, local: str) -> str | None:
    found = _find(parent, local)
    return None if found is None else (found.text or "").strip()


def _required(parent: etree._Element, local: str) -> str:
    value = _text(parent, local)
    assert value is not None, f"schema requires {local}"
    return value


def _date(parent: etree._Element, local: str) -> date | None:
    value = _text(parent, local)
    return None if value is None else date.fromisoformat(value)


def _student_id(element: etree._Element | None) -> StudentId | None:
    if element is None:
        return None
    return StudentId(state=_required(element, "State"), value=_required(element, "Value"))


def _read_record(element: etree._Element, where: str, number: int | None = None) -> StudentRecord:
    """`where` is the XPath of the record's parent; `number` its position among siblings."""
    step = "/StudentRecord" if number is None else f"/StudentRecord[{number}]"
    try:
        return record_from_xml(element)
    except ValidationError as exc:
        issues = [
            Issue(
                issue.severity,
                issue.code,
                issue.message,
                where + (issue.location or "/StudentRecord").replace("/StudentRecord", step, 1),
                issue.rule,
            )
            for issue in exc.issues
        ]
        raise ValidationError(issues) from exc


def _read_request(element: etree._Element) -> RecordRequest:
    demographics = _find(element, "Demographics")
    sections = _find(element, "Sections")
    return RecordRequest(
        msix_id=_text(element, "MsixId"),
        state_student_id=_student_id(_find(element, "StateStudentId")),
        demographics=None
        if demographics is None
        else Demographics(
            first_name=_required(demographics, "FirstName"),
            last_name_1=_required(demographics, "LastName1"),
            last_name_2=_text(demographics, "LastName2"),
            birth_date=date.fromisoformat(_required(demographics, "BirthDate")),
            sex=_text(demographics, "Sex"),
            birth_state=_text(demographics, "BirthState"),
        ),
        sections=()
        if sections is None
        else tuple(dict.fromkeys(Section((s.text or "").strip()) for s in sections)),
        purpose=_text(element, "Purpose"),
    )


def _read_response(element: etree._Element) -> RecordResponse:
    reason = _find(element, "Reason")
    student = _find(element, "Student")
    flags = None if student is None else _find(student, "HealthFlags")
    records: list[StudentRecord] = []
    if student is not None:
        holder = _find(student, "Records")
        where = f"{BODY_PATH}/RecordResponse/Student/Records"
        for number, child in enumerate(() if holder is None else holder, start=1):
            records.append(_read_record(child, where, number))
    return RecordResponse(
        status=ResponseStatus(_required(element, "Status")),
        reason_code=None if reason is None else reason.get("code"),
        reason=None if reason is None else (reason.text or "").strip(),
        packet_number=int(_required(element, "PacketNumber")),
        packet_count=int(_required(element, "PacketCount")),
        msix_id=None if student is None else _text(student, "MsixId"),
        health_flags=None
        if flags is None
        else HealthFlags(
            immunization_record_flag=_required(flags, "ImmunizationRecordFlag") in ("true", "1"),
            medical_alert=_text(flags, "MedicalAlert"),
            health_records_held=_required(flags, "HealthRecordsHeld") in ("true", "1"),
            health_detail_included=_required(flags, "HealthDetailIncluded") in ("true", "1"),
        ),
        records=tuple(records),
    )


def _read_candidates(element: etree._Element) -> CandidateList:
    candidates = []
    for child in element.iterchildren(qname("Candidate")):
        states = _find(child, "States")
        candidates.append(
            Candidate(
                msix_id=_required(child, "MsixId"),
                first_name=_text(child, "FirstName"),
                last_name_1=_text(child, "LastName1"),
                last_name_2=_text(child, "LastName2"),
                birth_date=_date(child, "BirthDate"),
                sex=_text(child, "Sex"),
                states=tuple((s.text or "") for s in (() if states is None else states)),
            )
        )
    return CandidateList(tuple(candidates))


def _read_move(element: etree._Element) -> MoveNotification:
    student = _find(element, "Student")
    school = _find(element, "DestinationSchool")
    assert student is not None, "schema requires Student"
    return MoveNotification(
        student=StudentRef(
            msix_id=_text(student, "MsixId"),
            state_student_id=_student_id(_find(student, "StateStudentId")),
            first_name=_text(student, "FirstName"),
            last_name_1=_text(student, "LastName1"),
            birth_date=_date(student, "BirthDate"),
        ),
        from_state=_required(element, "FromState"),
        to_state=_required(element, "ToState"),
        departure_date=_date(element, "DepartureDate"),
        expected_arrival=_date(element, "ExpectedArrival"),
        destination_school=None
        if school is None
        else School(_required(school, "Name"), _text(school, "Id"), _text(school, "City")),
        qualifying_arrival_date=_date(element, "QualifyingArrivalDate"),
        eligibility_expiration_date=_date(element, "EligibilityExpirationDate"),
        comments=_text(element, "Comments"),
    )


def _read_enrollment(element: etree._Element) -> EnrollmentUpdate:
    record = element.find(_RECORD)
    assert record is not None, "schema requires StudentRecord"
    return EnrollmentUpdate(
        EnrollmentEvent(_required(element, "Event")),
        _read_record(record, f"{BODY_PATH}/EnrollmentUpdate"),
    )


def _read_issues(element: etree._Element) -> tuple[Issue, ...]:
    holder = _find(element, "Issues")
    issues = []
    for child in () if holder is None else holder:
        try:
            code = IssueCode(_required(child, "Code"))
        except ValueError:
            code = IssueCode.INVALID
        line = _text(child, "Line")
        location = _text(child, "XPath") or (f"line {line}" if line else None)
        issues.append(
            Issue(
                Severity(_required(child, "Severity")),
                code,
                _required(child, "Message"),
                location,
                _text(child, "Rule"),
            )
        )
    return tuple(issues)


def _read_ack(element: etree._Element) -> Acknowledgement:
    return Acknowledgement(
        level=AckLevel(_required(element, "Level")),
        result=AckResult(_required(element, "Result")),
        acknowledged_message_id=_required(element, "AcknowledgedMessageId"),
        references=tuple(
            Reference(ref.get("kind", ""), (ref.text or "").strip())
            for ref in element.iterchildren(qname("Reference"))
        ),
        issues=_read_issues(element),
    )


def _read_error(element: etree._Element) -> ErrorBody:
    return ErrorBody(
        type=ErrorType(_required(element, "Type")),
        standard_codes=tuple(
            StandardCode(code.get("system", ""), (code.text or "").strip())
            for code in element.iterchildren(qname("StandardCode"))
        ),
        issues=_read_issues(element),
    )


def _read_ping(element: etree._Element) -> Ping:
    return Ping(_text(element, "Echo"))


_READERS: dict[MessageType, Callable[[etree._Element], Body]] = {
    MessageType.RECORD_REQUEST: _read_request,
    MessageType.RECORD_RESPONSE: _read_response,
    MessageType.CANDIDATE_LIST: _read_candidates,
    MessageType.MOVE_NOTIFICATION: _read_move,
    MessageType.ENROLLMENT_UPDATE: _read_enrollment,
    MessageType.ACKNOWLEDGEMENT: _read_ack,
    MessageType.ERROR: _read_error,
    MessageType.PING: _read_ping,
}


# Writing


def _sub(parent: etree._Element, local: str, value: object = None) -> etree._Element:
    child = etree.SubElement(parent, qname(local))
    if isinstance(value, bool):
        child.text = "true" if value else "false"
    elif isinstance(value, date):
        child.text = value.isoformat()
    elif value is not None:
        child.text = str(value)
    return child


def _opt(parent: etree._Element, local: str, value: object) -> None:
    if value is not None:
        _sub(parent, local, value)


def _write_student_id(parent: etree._Element, local: str, student_id: StudentId) -> None:
    element = _sub(parent, local)
    _sub(element, "State", student_id.state)
    _sub(element, "Value", student_id.value)


def _write_request(element: etree._Element, body: Any) -> None:
    request: RecordRequest = body
    if request.msix_id is not None:
        _sub(element, "MsixId", request.msix_id)
    elif request.state_student_id is not None:
        _write_student_id(element, "StateStudentId", request.state_student_id)
    elif request.demographics is not None:
        found = request.demographics
        holder = _sub(element, "Demographics")
        _sub(holder, "FirstName", found.first_name)
        _sub(holder, "LastName1", found.last_name_1)
        _opt(holder, "LastName2", found.last_name_2)
        _sub(holder, "BirthDate", found.birth_date)
        _opt(holder, "Sex", found.sex)
        _opt(holder, "BirthState", found.birth_state)
    if request.sections:
        sections = _sub(element, "Sections")
        for section in request.sections:
            _sub(sections, "Section", section.value)
    _opt(element, "Purpose", request.purpose)


def _write_response(element: etree._Element, body: Any) -> None:
    response: RecordResponse = body
    _sub(element, "Status", response.status.value)
    if response.reason_code is not None:
        _sub(element, "Reason", response.reason or response.reason_code).set(
            "code", response.reason_code
        )
    _sub(element, "PacketNumber", response.packet_number)
    _sub(element, "PacketCount", response.packet_count)
    if response.msix_id is None or response.health_flags is None:
        return
    student = _sub(element, "Student")
    _sub(student, "MsixId", response.msix_id)
    flags = _sub(student, "HealthFlags")
    _sub(flags, "ImmunizationRecordFlag", response.health_flags.immunization_record_flag)
    _opt(flags, "MedicalAlert", response.health_flags.medical_alert)
    _sub(flags, "HealthRecordsHeld", response.health_flags.health_records_held)
    _sub(flags, "HealthDetailIncluded", response.health_flags.health_detail_included)
    records = _sub(student, "Records")
    for record in response.records:
        records.append(record_to_xml(record))


def _write_candidates(element: etree._Element, body: Any) -> None:
    for candidate in body.candidates:
        child = _sub(element, "Candidate")
        _sub(child, "MsixId", candidate.msix_id)
        _opt(child, "FirstName", candidate.first_name)
        _opt(child, "LastName1", candidate.last_name_1)
        _opt(child, "LastName2", candidate.last_name_2)
        _opt(child, "BirthDate", candidate.birth_date)
        _opt(child, "Sex", candidate.sex)
        states = _sub(child, "States")
        for state in candidate.states:
            _sub(states, "State", state)


def _write_move(element: etree._Element, body: Any) -> None:
    move: MoveNotification = body
    student = _sub(element, "Student")
    if move.student.msix_id is not None:
        _sub(student, "MsixId", move.student.msix_id)
    elif move.student.state_student_id is not None:
        _write_student_id(student, "StateStudentId", move.student.state_student_id)
    _opt(student, "FirstName", move.student.first_name)
    _opt(student, "LastName1", move.student.last_name_1)
    _opt(student, "BirthDate", move.student.birth_date)
    _sub(element, "FromState", move.from_state)
    _sub(element, "ToState", move.to_state)
    _opt(element, "DepartureDate", move.departure_date)
    _opt(element, "ExpectedArrival", move.expected_arrival)
    if move.destination_school is not None:
        school = _sub(element, "DestinationSchool")
        _opt(school, "Id", move.destination_school.id)
        _sub(school, "Name", move.destination_school.name)
        _opt(school, "City", move.destination_school.city)
    _opt(element, "QualifyingArrivalDate", move.qualifying_arrival_date)
    _opt(element, "EligibilityExpirationDate", move.eligibility_expiration_date)
    _opt(element, "Comments", move.comments)


def _write_enrollment(element: etree._Element, body: Any) -> None:
    _sub(element, "Event", body.event.value)
    element.append(record_to_xml(body.record))


def _write_issues(element: etree._Element, issues: tuple[Issue, ...]) -> None:
    holder = _sub(element, "Issues")
    for issue in issues:
        message, xpath, line = issue_parts(issue)
        child = _sub(holder, "Issue")
        _sub(child, "Severity", issue.severity.value)
        _sub(child, "Code", issue.code.value)
        _sub(child, "Message", message)
        _opt(child, "XPath", xpath)
        _opt(child, "Line", line)
        _opt(child, "Rule", issue.rule[:64] if issue.rule else None)


def _write_ack(element: etree._Element, body: Any) -> None:
    ack: Acknowledgement = body
    _sub(element, "Level", ack.level.value)
    _sub(element, "Result", ack.result.value)
    _sub(element, "AcknowledgedMessageId", ack.acknowledged_message_id)
    for reference in ack.references:
        _sub(element, "Reference", reference.value).set("kind", reference.kind)
    if ack.issues:
        _write_issues(element, ack.issues)


def _write_error(element: etree._Element, body: Any) -> None:
    fault: ErrorBody = body
    _sub(element, "Type", fault.type.value)
    for code in fault.standard_codes:
        _sub(element, "StandardCode", code.code).set("system", code.system)
    _write_issues(element, fault.issues)


def _write_ping(element: etree._Element, body: Any) -> None:
    _opt(element, "Echo", body.echo)


_WRITERS: dict[type[Body], Callable[[etree._Element, Any], None]] = {
    RecordRequest: _write_request,
    RecordResponse: _write_response,
    CandidateList: _write_candidates,
    MoveNotification: _write_move,
    EnrollmentUpdate: _write_enrollment,
    Acknowledgement: _write_ack,
    ErrorBody: _write_error,
    Ping: _write_ping,
}


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def record_xpath(path: str | None, root: str) -> str:
    """The XPath under `root` of a dotted record path: `enrollments[0].grade_level` ->
    `{root}/Enrollments/Enrollment[1]/GradeLevel` (a leading `record[n].` is dropped)."""
    if not path:
        return root
    path = re.sub(r"^record\[\d+\]\.?", "", path)
    loc: list[int | str] = [
        int(index) if index else name for name, index in _PATH_PART.findall(path)
    ]
    return _record_xpath(StudentRecord, tuple(loc), root)
