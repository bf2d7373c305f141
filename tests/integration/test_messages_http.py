"""POST /messages, GET /messages and POST /messages/{id}/ack through the real app and store:
record requests answered and round-tripped, replay safety, the attack matrix refused over HTTP,
move notifications delivered to the destination state's mailbox, and sender checks."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.config import Settings
from hub.messages.bodies import (
    AckLevel,
    Acknowledgement,
    AckResult,
    Body,
    CandidateList,
    Demographics,
    EnrollmentEvent,
    EnrollmentUpdate,
    ErrorBody,
    ErrorType,
    MoveNotification,
    Ping,
    RecordRequest,
    RecordResponse,
    ResponseStatus,
    StudentRef,
    message_type_of,
)
from hub.messages.body_xml import body_element, read_body
from hub.messages.envelope import (
    HUB,
    Header,
    Party,
    build_message,
    new_message_id,
    parse_message,
    read_mailbox,
)
from hub.model import StudentId, StudentRecord
from hub.security import Jurisdiction, create_client
from hub.store import Store
from hub.synth import iter_children

MAX = 2 * 1024 * 1024
WRITE, READ, HEALTH = "msix/messages.write", "msix/messages.read", "msix/health.read"
XML = {"Content-Type": "application/xml"}
SECRET = "SYNTHETIC-SECRET-9931"


@pytest.fixture
def http(settings: Settings) -> Iterator[TestClient]:
    limited = settings.model_copy(update={"max_xml_bytes": 64 * 1024})
    with TestClient(create_app(limited)) as client:
        yield client


def _store(http: TestClient) -> Store:
    store: Store = http.app.state.store  # type: ignore[attr-defined]
    return store


def _token(http: TestClient, state: str, scopes: list[str]) -> dict[str, str]:
    store = _store(http)
    client_id = f"{state.lower()}-school-{uuid.uuid4().hex[:8]}"
    _, secret = store.call(
        lambda: create_client(
            store.clients,
            name=f"{state} school system (synthetic)",
            scopes=scopes,
            jurisdiction=Jurisdiction(state=state),
            now=datetime.now(UTC),
            client_id=client_id,
        )
    )
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = http.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _records(state: str, count: int) -> list[StudentRecord]:
    found = [
        emitted.record
        for child in iter_children(11, 60, states=[state, "WA"])
        for emitted in child.records
        if emitted.record.student_id.state == state
    ]
    return found[:count]


def _ingest(http: TestClient, records: list[StudentRecord]) -> None:
    state = records[0].student_id.state
    body = b"".join(
        orjson.dumps(r.model_dump(mode="json", exclude_none=True), option=orjson.OPT_APPEND_NEWLINE)
        for r in records
    )
    response = http.post(
        "/ingest",
        params={"state": state, "filename": "seed.jsonl", "format": "canonical-jsonl"},
        content=body,
        headers=_token(http, state, ["msix/ingest.write"]),
    )
    assert response.status_code == 201, response.text
    assert response.json()["counts"]["rejected"] == 0, response.text


def _message(body: Body, state: str, *, message_id: str | None = None, **extra: Any) -> bytes:
    header = Header(
        message_id=message_id or new_message_id(),
        message_type=message_type_of(body),
        sender=Party(state, "urn:msix:nces-lea", f"{state}0001"),
        receiver=HUB,
        created=datetime.now(UTC),
        **extra,
    )
    return build_message(header, body_element(body))


def _send(http: TestClient, data: bytes, headers: dict[str, str]) -> Any:
    return http.post("/messages", content=data, headers={**headers, **XML})


def _answer(response: Any) -> Body:
    assert response.headers["content-type"].startswith("application/xml")
    return read_body(parse_message(response.content, max_bytes=MAX))


@pytest.fixture
def seeded(http: TestClient) -> list[StudentRecord]:
    records = _records("TX", 6)
    _ingest(http, records)
    return records


def _msix_id(http: TestClient, record: StudentRecord) -> str:
    store = _store(http)
    child = store.call(store.students.find_by_link, "TX", record.student_id.value)
    assert child is not None
    return str(child["_id"])


def test_record_request_returns_a_valid_response_that_round_trips_into_the_model(
    http: TestClient, seeded: list[StudentRecord]
) -> None:
    record = next(r for r in seeded if r.immunizations)
    msix_id = _msix_id(http, record)
    response = _send(
        http, _message(RecordRequest(msix_id=msix_id), "WA"), _token(http, "WA", [WRITE])
    )
    assert response.status_code == 200, response.text
    answer = _answer(response)  # parse_message validated envelope, body and digest
    assert isinstance(answer, RecordResponse)
    assert answer.status is ResponseStatus.FOUND
    assert answer.msix_id == msix_id
    (returned,) = answer.records
    stored = _store(http).call(_store(http).state_records.current, "TX", record.student_id.value)
    assert stored is not None
    expected = StudentRecord.model_validate(stored.record)
    # Without the health scope: flags yes, immunizations and conditions no.
    assert returned == expected.model_copy(update={"immunizations": [], "conditions": []})
    assert answer.health_flags is not None
    assert answer.health_flags.health_records_held
    assert not answer.health_flags.health_detail_included


def test_health_scope_adds_immunizations_and_conditions(
    http: TestClient, seeded: list[StudentRecord]
) -> None:
    record = next(r for r in seeded if r.immunizations)
    request = RecordRequest(state_student_id=StudentId(state="TX", value=record.student_id.value))
    response = _send(http, _message(request, "WA"), _token(http, "WA", [WRITE, HEALTH]))
    answer = _answer(response)
    assert isinstance(answer, RecordResponse)
    stored = _store(http).call(_store(http).state_records.current, "TX", record.student_id.value)
    assert stored is not None
    assert answer.records == (StudentRecord.model_validate(stored.record),)
    assert answer.health_flags is not None
    assert answer.health_flags.health_detail_included


def test_unknown_child_is_a_not_found_response(http: TestClient) -> None:
    response = _send(
        http, _message(RecordRequest(msix_id="999999999999"), "WA"), _token(http, "WA", [WRITE])
    )
    answer = _answer(response)
    assert isinstance(answer, RecordResponse)
    assert answer.status is ResponseStatus.NOT_FOUND
    assert answer.records == ()


def test_demographic_request_matching_two_children_returns_candidates(http: TestClient) -> None:
    (twin,) = _records("TX", 1)
    # Same first name, first surname and birth date; second surname, sex, parents, ids differ.
    namesake = twin.identity.model_copy(
        update={
            "last_name_2": "Zzyzx",
            "sex": "Female" if twin.identity.sex == "Male" else "Male",
            "parents": [],
            "alternate_ids": [],
            "birth_city": None,
        }
    )
    same = twin.model_copy(
        update={"student_id": StudentId(state="TX", value="990000000001"), "identity": namesake}
    )
    _ingest(http, [twin, same])
    identity = twin.identity
    assert identity.first_name
    assert identity.last_name_1
    assert identity.birth_date
    query = Demographics(identity.first_name.upper(), identity.last_name_1, identity.birth_date)
    response = _send(
        http, _message(RecordRequest(demographics=query), "WA"), _token(http, "WA", [WRITE])
    )
    answer = _answer(response)
    assert isinstance(answer, CandidateList)
    assert {c.msix_id for c in answer.candidates} == {_msix_id(http, twin), _msix_id(http, same)}
    assert all(c.states == ("TX",) for c in answer.candidates)


def test_message_sent_three_times_is_processed_once_and_answered_identically(
    http: TestClient, seeded: list[StudentRecord]
) -> None:
    store = _store(http)
    headers = _token(http, "WA", [WRITE])
    data = _message(RecordRequest(msix_id=_msix_id(http, seeded[0])), "WA")
    audited = store.call(store.audit.count)
    answers = [_send(http, data, headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].content == answers[1].content == answers[2].content
    assert [a.headers.get("x-message-replayed") for a in answers] == [None, "true", "true"]
    assert store.call(store.audit.count) == audited + 1
    assert store.call(store.messages.received_count) == 1


def test_same_message_id_with_other_content_is_rejected_as_duplicate(
    http: TestClient, seeded: list[StudentRecord]
) -> None:
    store = _store(http)
    headers = _token(http, "WA", [WRITE])
    message_id = new_message_id()
    first = _send(http, _message(Ping("one"), "WA", message_id=message_id), headers)
    assert first.status_code == 200
    again = _send(http, _message(Ping("two"), "WA", message_id=message_id), headers)
    assert again.status_code == 409
    fault = _answer(again)
    assert isinstance(fault, ErrorBody)
    assert fault.type is ErrorType.DUPLICATE
    assert {(c.system, c.code) for c in fault.standard_codes} == {
        ("SIF_Ack", "7"),
        ("X12-TA1", "025"),
    }
    assert fault.issues[0].location == "/Message/Header/MessageId"
    # The first answer is still the one a true retry gets.
    retry = _send(http, _message(Ping("one"), "WA", message_id=message_id), headers)
    assert retry.content == first.content
    assert store.call(store.messages.received_count) == 1


def _attacks(max_bytes: int) -> dict[str, bytes]:
    laughs = (
        '<!DOCTYPE m [<!ENTITY a "lol">'
        + "".join(
            f'<!ENTITY a{n} "{("&a" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
            for n in range(1, 10)
        )
        + "]><Message>&a9;</Message>"
    )
    quadratic = '<!DOCTYPE m [<!ENTITY q "' + "q" * 20_000 + '">]><Message>' + "&q;" * 2000
    return {
        "external entity to a local file": b'<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<Message>&x;</Message>",
        "external entity to the network": b'<!DOCTYPE m [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
        b"<Message>&x;</Message>",
        "billion laughs": laughs.encode(),
        "quadratic blow-up": (quadratic + "</Message>").encode(),
        "external DTD": b'<!DOCTYPE m SYSTEM "http://127.0.0.1:9/evil.dtd"><Message/>',
        "DOCTYPE of any kind": b"<!DOCTYPE Message><Message/>",
        "oversized message": b"<Message>" + b"x" * max_bytes + b"</Message>",
        "excessive nesting": b"<a>" * 300 + b"</a>" * 300,
    }


@pytest.mark.parametrize("attack", list(_attacks(64 * 1024)))
def test_xml_attack_is_refused_with_an_error_and_nothing_stored(
    http: TestClient, attack: str
) -> None:
    store = _store(http)
    payload = _attacks(64 * 1024)[attack]
    response = _send(http, payload, _token(http, "TX", [WRITE]))
    fault = _answer(response)
    assert isinstance(fault, ErrorBody)
    expected = {
        "oversized message": (413, ErrorType.MESSAGE_TOO_LARGE),
        "excessive nesting": (422, ErrorType.SCHEMA_INVALID),
    }.get(attack, (403, ErrorType.SECURITY))
    assert (response.status_code, fault.type) == expected
    assert fault.issues
    assert all(issue.message for issue in fault.issues)
    assert b"root:" not in response.content
    assert b"lollol" not in response.content
    assert store.call(store.messages.received_count) == 0


def test_move_notification_reaches_the_destination_mailbox_and_is_acknowledged(
    http: TestClient, seeded: list[StudentRecord]
) -> None:
    msix_id = _msix_id(http, seeded[0])
    notice = MoveNotification(
        StudentRef(msix_id=msix_id), "TX", "WA", expected_arrival=date.today() + timedelta(days=3)
    )
    data = _message(notice, "TX")
    receipt = _answer(_send(http, data, _token(http, "TX", [WRITE])))
    assert isinstance(receipt, Acknowledgement)
    assert (receipt.level, receipt.result) == (AckLevel.RECEIPT, AckResult.ACCEPTED)
    sent_id = parse_message(data, max_bytes=MAX).header.message_id

    washington = _token(http, "WA", [READ])
    pulled = http.get("/messages", params={"type": "MoveNotification"}, headers=washington)
    assert pulled.status_code == 200, pulled.text
    entries, more = read_mailbox(pulled.content, max_bytes=MAX)
    assert not more
    assert [(entry.status, message.header.message_id) for entry, message in entries] == [
        ("pending", sent_id)
    ]
    delivered = read_body(entries[0][1])
    assert delivered == notice
    texas_box = http.get("/messages", headers=_token(http, "TX", [READ]))
    assert read_mailbox(texas_box.content, max_bytes=MAX)[0] == []

    assert http.post(f"/messages/{sent_id}/ack", headers=washington).status_code == 204
    after = http.get("/messages", headers=washington)
    assert read_mailbox(after.content, max_bytes=MAX)[0] == []
    history = http.get("/messages", params={"since": "2000-01-01T00:00:00Z"}, headers=washington)
    assert [e.status for e, _ in read_mailbox(history.content, max_bytes=MAX)[0]] == [
        "acknowledged"
    ]


def test_acknowledgement_message_closes_a_mailbox_entry_and_gets_no_answer(
    http: TestClient, seeded: list[StudentRecord]
) -> None:
    notice = MoveNotification(StudentRef(msix_id=_msix_id(http, seeded[1])), "TX", "WA")
    data = _message(notice, "TX")
    _send(http, data, _token(http, "TX", [WRITE]))
    sent_id = parse_message(data, max_bytes=MAX).header.message_id
    ack = Acknowledgement(AckLevel.RECEIPT, AckResult.ACCEPTED, sent_id)
    response = _send(http, _message(ack, "WA"), _token(http, "WA", [WRITE, READ]))
    assert response.status_code == 204
    store = _store(http)
    entry = store.call(store.messages.entry, "WA", sent_id)
    assert entry is not None
    assert entry["status"] == "acknowledged"


def test_sender_of_another_state_is_refused_and_nothing_stored(http: TestClient) -> None:
    store = _store(http)
    response = _send(http, _message(Ping(), "CA"), _token(http, "TX", [WRITE]))
    assert response.status_code == 403
    fault = _answer(response)
    assert isinstance(fault, ErrorBody)
    assert fault.type is ErrorType.SECURITY
    assert fault.issues[0].location == "/Message/Header/Sender/State"
    assert store.call(store.messages.received_count) == 0


def test_missing_write_scope_is_refused(http: TestClient) -> None:
    response = _send(http, _message(Ping(), "TX"), _token(http, "TX", [READ]))
    assert response.status_code == 403
    assert isinstance(_answer(response), ErrorBody)


def test_expired_message_is_refused(http: TestClient) -> None:
    expired = datetime.now(UTC) - timedelta(minutes=1)
    response = _send(http, _message(Ping(), "TX", expires=expired), _token(http, "TX", [WRITE]))
    assert response.status_code == 422
    fault = _answer(response)
    assert isinstance(fault, ErrorBody)
    assert fault.type is ErrorType.EXPIRED


def test_schema_errors_are_all_reported_with_their_xpath(http: TestClient) -> None:
    data = _message(MoveNotification(StudentRef(msix_id="104729384756"), "TX", "WA"), "TX")
    broken = data.replace(b"<ToState>WA</ToState>", b"<ToState>wa</ToState>").replace(
        b"<FromState>TX</FromState>", b"<FromState>Texas</FromState>"
    )
    response = _send(http, broken, _token(http, "TX", [WRITE]))
    assert response.status_code == 422
    fault = _answer(response)
    assert isinstance(fault, ErrorBody)
    assert fault.type is ErrorType.SCHEMA_INVALID
    locations = {issue.location for issue in fault.issues}
    assert {
        "/Message/Body/MoveNotification/FromState",
        "/Message/Body/MoveNotification/ToState",
        "/Message/Header/PayloadDigest",
    } <= locations


def test_ping_is_acknowledged(http: TestClient) -> None:
    answer = _answer(_send(http, _message(Ping("hello"), "TX"), _token(http, "TX", [WRITE])))
    assert isinstance(answer, Acknowledgement)
    assert (answer.level, answer.result) == (AckLevel.PROCESSED, AckResult.ACCEPTED)


def test_enrollment_update_is_stored_through_the_ingest_path(http: TestClient) -> None:
    (record,) = _records("TX", 1)
    update = EnrollmentUpdate(EnrollmentEvent.ENROLL, record)
    answer = _answer(_send(http, _message(update, "TX"), _token(http, "TX", [WRITE])))
    assert isinstance(answer, Acknowledgement), answer
    assert answer.result is not AckResult.REJECTED, answer.issues
    assert {ref.kind for ref in answer.references} == {"ingest-batch", "msix-id"}
    store = _store(http)
    stored = store.call(store.state_records.current, "TX", record.student_id.value)
    assert stored is not None
    assert StudentRecord.model_validate(stored.record).enrollments == record.enrollments


def test_enrollment_update_for_another_state_is_rejected_with_its_xpath(http: TestClient) -> None:
    (record,) = _records("WA", 1)
    answer = _answer(
        _send(
            http,
            _message(EnrollmentUpdate(EnrollmentEvent.ENROLL, record), "TX"),
            _token(http, "TX", [WRITE]),
        )
    )
    assert isinstance(answer, Acknowledgement)
    assert answer.result is AckResult.REJECTED
    assert answer.issues[0].location == (
        "/Message/Body/EnrollmentUpdate/StudentRecord/StudentId/State"
    )
    store = _store(http)
    assert store.call(store.state_records.current, "WA", record.student_id.value) is None
