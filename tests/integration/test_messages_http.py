"""POST /messages, GET /messages and POST /messages/{id}/ack through the real app and store:
record requests answered and round-tripped, replay safety, the attack matrix refused over HTTP,
move notifications delivered to the destination state's mailbox, and sender checks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.config import Settings
from hub.messages.bodies import (
    AckLevel,
    Acknowledgement,
    AckResult,
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
)
from hub.messages.body_xml import read_body
from hub.messages.envelope import (
    new_message_id,
    parse_message,
    read_mailbox,
)
from hub.model import StudentId, StudentRecord
from tests.integration import messages_helpers as mh
from tests.integration.messages_helpers import HEALTH, MAX, READ, WRITE


@pytest.fixture
def http(settings: Settings) -> Iterator[TestClient]:
    limited = settings.model_copy(update={"max_xml_bytes": 64 * 1024})
    with TestClient(create_app(limited)) as client:
        yield client


@pytest.fixture
def seeded(http: TestClient) -> list[StudentRecord]:
    records = mh.synthetic_records("TX", 6)
    mh.ingest(http, records)
    return records


def test_record_request_returns_a_valid_response_that_round_trips_into_the_model(
    http: TestClient, seeded: list[StudentRecord]
) -> None:
    record = next(r for r in seeded if r.immunizations)
    msix_id = mh.msix_id_of(http, record)
    response = mh.send(
        http, mh.message(RecordRequest(msix_id=msix_id), "WA"), mh.token(http, "WA", [WRITE])
    )
    assert response.status_code == 200, response.text
    answer = mh.answer(response)  # parse_message validated envelope, body and digest
    assert isinstance(answer, RecordResponse)
    assert answer.status is ResponseStatus.FOUND
    assert answer.msix_id == msix_id
    (returned,) = answer.records
    stored = mh.store_of(http).call(
        mh.store_of(http).state_records.current, "TX", record.student_id.value
    )
    assert stored is not None
    expected = StudentRecord.model_validate(stored.record)
    # The consolidated view stamps the surviving MSIX ID on each linked record. Without the
    # health scope: flags yes, immunizations and conditions no.
    assert returned == expected.model_copy(
        update={"msix_id": msix_id, "immunizations": [], "conditions": []}
    )
    assert answer.health_flags is not None
    assert answer.health_flags.health_records_held
    assert not answer.health_flags.health_detail_included


def test_health_scope_adds_immunizations_and_conditions(
    http: TestClient, seeded: list[StudentRecord]
) -> None:
    record = next(r for r in seeded if r.immunizations)
    request = RecordRequest(state_student_id=StudentId(state="TX", value=record.student_id.value))
    response = mh.send(http, mh.message(request, "WA"), mh.token(http, "WA", [WRITE, HEALTH]))
    answer = mh.answer(response)
    assert isinstance(answer, RecordResponse)
    stored = mh.store_of(http).call(
        mh.store_of(http).state_records.current, "TX", record.student_id.value
    )
    assert stored is not None
    assert answer.records == (
        StudentRecord.model_validate(stored.record).model_copy(update={"msix_id": answer.msix_id}),
    )
    assert answer.health_flags is not None
    assert answer.health_flags.health_detail_included


def test_unknown_child_is_a_not_found_response(http: TestClient) -> None:
    response = mh.send(
        http, mh.message(RecordRequest(msix_id="999999999999"), "WA"), mh.token(http, "WA", [WRITE])
    )
    answer = mh.answer(response)
    assert isinstance(answer, RecordResponse)
    assert answer.status is ResponseStatus.NOT_FOUND
    assert answer.records == ()


def test_demographic_request_matching_two_children_returns_candidates(http: TestClient) -> None:
    (twin,) = mh.synthetic_records("TX", 1)
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
    mh.ingest(http, [twin, same])
    identity = twin.identity
    assert identity.first_name
    assert identity.last_name_1
    assert identity.birth_date
    query = Demographics(identity.first_name.upper(), identity.last_name_1, identity.birth_date)
    response = mh.send(
        http, mh.message(RecordRequest(demographics=query), "WA"), mh.token(http, "WA", [WRITE])
    )
    answer = mh.answer(response)
    assert isinstance(answer, CandidateList)
    assert {c.msix_id for c in answer.candidates} == {
        mh.msix_id_of(http, twin),
        mh.msix_id_of(http, same),
    }
    assert all(c.states == ("TX",) for c in answer.candidates)


def test_demographic_request_naming_one_child_returns_its_record_even_with_a_typo(
    http: TestClient, seeded: list[StudentRecord]
) -> None:
    record = seeded[0]
    identity = record.identity
    assert identity.first_name
    assert identity.last_name_1
    assert identity.birth_date
    msix_id = mh.msix_id_of(http, record)
    headers = mh.token(http, "WA", [WRITE])
    exact = Demographics(identity.first_name, identity.last_name_1, identity.birth_date)
    answer = mh.answer(mh.send(http, mh.message(RecordRequest(demographics=exact), "WA"), headers))
    assert isinstance(answer, RecordResponse)
    assert (answer.status, answer.msix_id) == (ResponseStatus.FOUND, msix_id)
    # The identity engine ranks the query: a transposed pair of letters still finds the child
    # (as the record, or as a candidate for the sender to confirm), never another child alone.
    name = identity.first_name
    typo = name[0] + name[2] + name[1] + name[3:] if len(name) > 3 else name + "a"
    fuzzy = Demographics(typo, identity.last_name_1, identity.birth_date)
    answer = mh.answer(mh.send(http, mh.message(RecordRequest(demographics=fuzzy), "WA"), headers))
    if isinstance(answer, RecordResponse):
        assert (answer.status, answer.msix_id) == (ResponseStatus.FOUND, msix_id)
    else:
        assert isinstance(answer, CandidateList)
        assert msix_id in {candidate.msix_id for candidate in answer.candidates}


def test_message_sent_three_times_is_processed_once_and_answered_identically(
    http: TestClient, seeded: list[StudentRecord]
) -> None:
    store = mh.store_of(http)
    headers = mh.token(http, "WA", [WRITE])
    data = mh.message(RecordRequest(msix_id=mh.msix_id_of(http, seeded[0])), "WA")
    audited = store.call(store.audit.count)
    answers = [mh.send(http, data, headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].content == answers[1].content == answers[2].content
    assert [a.headers.get("x-message-replayed") for a in answers] == [None, "true", "true"]
    assert store.call(store.audit.count) == audited + 1
    assert store.call(store.messages.received_count) == 1


def test_same_message_id_with_other_content_is_rejected_as_duplicate(
    http: TestClient, seeded: list[StudentRecord]
) -> None:
    store = mh.store_of(http)
    headers = mh.token(http, "WA", [WRITE])
    message_id = new_message_id()
    first = mh.send(http, mh.message(Ping("one"), "WA", message_id=message_id), headers)
    assert first.status_code == 200
    again = mh.send(http, mh.message(Ping("two"), "WA", message_id=message_id), headers)
    assert again.status_code == 409
    fault = mh.answer(again)
    assert isinstance(fault, ErrorBody)
    assert fault.type is ErrorType.DUPLICATE
    assert {(c.system, c.code) for c in fault.standard_codes} == {
        ("SIF_Ack", "7"),
        ("X12-TA1", "025"),
    }
    assert fault.issues[0].location == "/Message/Header/MessageId"
    # The first answer is still the one a true retry gets.
    retry = mh.send(http, mh.message(Ping("one"), "WA", message_id=message_id), headers)
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
    store = mh.store_of(http)
    payload = _attacks(64 * 1024)[attack]
    response = mh.send(http, payload, mh.token(http, "TX", [WRITE]))
    fault = mh.answer(response)
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
    msix_id = mh.msix_id_of(http, seeded[0])
    notice = MoveNotification(
        StudentRef(msix_id=msix_id), "TX", "WA", expected_arrival=date.today() + timedelta(days=3)
    )
    data = mh.message(notice, "TX")
    receipt = mh.answer(mh.send(http, data, mh.token(http, "TX", [WRITE])))
    assert isinstance(receipt, Acknowledgement)
    assert (receipt.level, receipt.result) == (AckLevel.RECEIPT, AckResult.ACCEPTED)
    sent_id = parse_message(data, max_bytes=MAX).header.message_id

    washington = mh.token(http, "WA", [READ])
    pulled = http.get("/messages", params={"type": "MoveNotification"}, headers=washington)
    assert pulled.status_code == 200, pulled.text
    entries, more = read_mailbox(pulled.content, max_bytes=MAX)
    assert not more
    assert [(entry.status, message.header.message_id) for entry, message in entries] == [
        ("pending", sent_id)
    ]
    delivered = read_body(entries[0][1])
    assert delivered == notice
    texas_box = http.get("/messages", headers=mh.token(http, "TX", [READ]))
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
    notice = MoveNotification(StudentRef(msix_id=mh.msix_id_of(http, seeded[1])), "TX", "WA")
    data = mh.message(notice, "TX")
    mh.send(http, data, mh.token(http, "TX", [WRITE]))
    sent_id = parse_message(data, max_bytes=MAX).header.message_id
    ack = Acknowledgement(AckLevel.RECEIPT, AckResult.ACCEPTED, sent_id)
    response = mh.send(http, mh.message(ack, "WA"), mh.token(http, "WA", [WRITE, READ]))
    assert response.status_code == 204
    store = mh.store_of(http)
    entry = store.call(store.messages.entry, "WA", sent_id)
    assert entry is not None
    assert entry["status"] == "acknowledged"


def test_sender_of_another_state_is_refused_and_nothing_stored(http: TestClient) -> None:
    store = mh.store_of(http)
    response = mh.send(http, mh.message(Ping(), "CA"), mh.token(http, "TX", [WRITE]))
    assert response.status_code == 403
    fault = mh.answer(response)
    assert isinstance(fault, ErrorBody)
    assert fault.type is ErrorType.SECURITY
    assert fault.issues[0].location == "/Message/Header/Sender/State"
    assert store.call(store.messages.received_count) == 0


def test_missing_write_scope_is_refused(http: TestClient) -> None:
    response = mh.send(http, mh.message(Ping(), "TX"), mh.token(http, "TX", [READ]))
    assert response.status_code == 403
    assert isinstance(mh.answer(response), ErrorBody)


def test_expired_message_is_refused(http: TestClient) -> None:
    expired = datetime.now(UTC) - timedelta(minutes=1)
    response = mh.send(
        http, mh.message(Ping(), "TX", expires=expired), mh.token(http, "TX", [WRITE])
    )
    assert response.status_code == 422
    fault = mh.answer(response)
    assert isinstance(fault, ErrorBody)
    assert fault.type is ErrorType.EXPIRED


def test_schema_errors_are_all_reported_with_their_xpath(http: TestClient) -> None:
    data = mh.message(MoveNotification(StudentRef(msix_id="104729384756"), "TX", "WA"), "TX")
    broken = data.replace(b"<ToState>WA</ToState>", b"<ToState>wa</ToState>").replace(
        b"<FromState>TX</FromState>", b"<FromState>Texas</FromState>"
    )
    response = mh.send(http, broken, mh.token(http, "TX", [WRITE]))
    assert response.status_code == 422
    fault = mh.answer(response)
    assert isinstance(fault, ErrorBody)
    assert fault.type is ErrorType.SCHEMA_INVALID
    locations = {issue.location for issue in fault.issues}
    assert {
        "/Message/Body/MoveNotification/FromState",
        "/Message/Body/MoveNotification/ToState",
        "/Message/Header/PayloadDigest",
    } <= locations


def test_ping_is_acknowledged(http: TestClient) -> None:
    answer = mh.answer(
        mh.send(http, mh.message(Ping("hello"), "TX"), mh.token(http, "TX", [WRITE]))
    )
    assert isinstance(answer, Acknowledgement)
    assert (answer.level, answer.result) == (AckLevel.PROCESSED, AckResult.ACCEPTED)


def test_enrollment_update_is_stored_through_the_ingest_path(http: TestClient) -> None:
    (record,) = mh.synthetic_records("TX", 1)
    update = EnrollmentUpdate(EnrollmentEvent.ENROLL, record)
    answer = mh.answer(mh.send(http, mh.message(update, "TX"), mh.token(http, "TX", [WRITE])))
    assert isinstance(answer, Acknowledgement), answer
    assert answer.result is not AckResult.REJECTED, answer.issues
    assert {ref.kind for ref in answer.references} == {"ingest-batch", "msix-id"}
    store = mh.store_of(http)
    stored = store.call(store.state_records.current, "TX", record.student_id.value)
    assert stored is not None
    assert StudentRecord.model_validate(stored.record).enrollments == record.enrollments


def test_enrollment_update_for_another_state_is_rejected_with_its_xpath(http: TestClient) -> None:
    (record,) = mh.synthetic_records("WA", 1)
    answer = mh.answer(
        mh.send(
            http,
            mh.message(EnrollmentUpdate(EnrollmentEvent.ENROLL, record), "TX"),
            mh.token(http, "TX", [WRITE]),
        )
    )
    assert isinstance(answer, Acknowledgement)
    assert answer.result is AckResult.REJECTED
    assert answer.issues[0].location == (
        "/Message/Body/EnrollmentUpdate/StudentRecord/StudentId/State"
    )
    store = mh.store_of(http)
    assert store.call(store.state_records.current, "WA", record.student_id.value) is None
