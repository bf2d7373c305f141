"""Move notices as the web UI sends, lists and acknowledges them: the XML door's message path."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from hub.errors import NotFoundError, PermissionDeniedError, ValidationError
from hub.messages.bodies import AckLevel, AckResult, MoveNotification, School
from hub.messages.body_xml import read_body
from hub.messages.envelope import USER_SYSTEM, new_message_id, parse_message
from hub.security import Caller, Jurisdiction, Role
from hub.services.consolidation import find_child_by_state_id
from hub.services.move_notices import acknowledge_notice, move_notices_for, send_move_notice
from hub.store import Store, is_valid_msix_id
from tests.unit.services.ingest_helpers import STATE, ingest_bytes, jsonl

NOW = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
ARRIVAL = date(2026, 12, 7)
YAKIMA = School("Yakima Valley Elementary", "530000100001", "Yakima")


def _user(state: str, *roles: Role, name: str = "staff") -> Caller:
    return Caller(
        "user", f"{name}-{state.lower()}", frozenset(), Jurisdiction(state=state), frozenset(roles)
    )


@pytest.fixture
def child(store: Store, tx_records: list[dict[str, Any]]) -> str:
    record = tx_records[0]
    ingest_bytes(store, jsonl([record]))
    msix_id = store.call(find_child_by_state_id, store, STATE, record["student_id"]["value"])
    assert msix_id is not None
    return msix_id


def _send(store: Store, caller: Caller, msix_id: str, **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "msix_id": msix_id,
        "to_state": "wa",
        "expected_arrival": ARRIVAL,
        "school": YAKIMA,
        "comments": "Family follows the apple harvest.",
        "now": NOW,
    }
    arguments.update(changes)
    return store.call(send_move_notice, store, caller, **arguments)


def test_notice_sent_from_the_ui_reaches_the_destination_mailbox_as_the_xml_door_would(
    store: Store, child: str
) -> None:
    sender = _user("TX", Role.PRIMARY_USER, name="ana")
    audited = store.call(store.audit.count)

    sent = _send(store, sender, child)

    assert (sent.msix_id, sent.from_state, sent.to_state) == (child, "TX", "WA")
    assert (sent.received.level, sent.received.result) == (AckLevel.RECEIPT, AckResult.ACCEPTED)
    entry = store.call(store.messages.entry, "WA", sent.message_id)
    assert entry is not None
    assert (entry["status"], entry["msix_id"], entry["message_type"]) == (
        "pending",
        child,
        "MoveNotification",
    )
    message = parse_message(bytes(entry["message"]), max_bytes=1 << 20)
    assert message.header.sender.state == "TX"
    assert (message.header.sender.system, message.header.sender.organization) == (
        USER_SYSTEM,
        "ana-tx",
    )
    notice = read_body(message)
    assert isinstance(notice, MoveNotification)
    assert (notice.from_state, notice.to_state, notice.expected_arrival) == ("TX", "WA", ARRIVAL)
    assert notice.destination_school == YAKIMA
    assert notice.student.msix_id == child
    assert notice.student.birth_date is not None  # identifying data travels with the ID
    assert store.call(store.audit.count) == audited + 1
    events = store.call(store.audit.for_child, child, 100)
    assert sum("'move-notice'" in str(event) for event in events) == 1


def test_resubmitted_form_with_the_same_message_id_delivers_one_notice(
    store: Store, child: str
) -> None:
    sender = _user("TX", Role.PRIMARY_USER)
    message_id = new_message_id()
    first = _send(store, sender, child, message_id=message_id)
    audited = store.call(store.audit.count)
    again = _send(store, sender, child, message_id=message_id)
    assert again.received == first.received
    assert store.call(store.audit.count) == audited
    washington = move_notices_for
    assert len(store.call(washington, store, Jurisdiction(state="WA"), now=NOW)) == 1


def test_destination_lists_and_acknowledges_its_notices(store: Store, child: str) -> None:
    sent = _send(store, _user("TX", Role.PRIMARY_USER), child)
    wa = Jurisdiction(state="WA")

    (notice,) = store.call(move_notices_for, store, wa, now=NOW)
    assert (notice.message_id, notice.status, notice.msix_id) == (sent.message_id, "pending", child)
    assert notice.sender_state == "TX"
    assert notice.notice.comments == "Family follows the apple harvest."
    assert store.call(move_notices_for, store, Jurisdiction(state="TX"), now=NOW) == []

    reader = _user("WA", Role.SECONDARY_USER)
    store.call(acknowledge_notice, store, reader, sent.message_id, now=NOW)
    store.call(acknowledge_notice, store, reader, sent.message_id, now=NOW)  # idempotent
    assert store.call(move_notices_for, store, wa, now=NOW) == []
    (history,) = store.call(move_notices_for, store, wa, now=NOW, since=NOW - timedelta(days=1))
    assert history.acknowledged


def test_another_states_notice_cannot_be_acknowledged(store: Store, child: str) -> None:
    sent = _send(store, _user("TX", Role.PRIMARY_USER), child)
    with pytest.raises(NotFoundError):
        store.call(
            acknowledge_notice, store, _user("CA", Role.PRIMARY_USER), sent.message_id, now=NOW
        )
    entry = store.call(store.messages.entry, "WA", sent.message_id)
    assert entry is not None
    assert entry["status"] == "pending"


def test_secondary_user_may_not_send_a_notice(store: Store, child: str) -> None:
    with pytest.raises(PermissionDeniedError):
        _send(store, _user("TX", Role.SECONDARY_USER), child)
    assert store.call(move_notices_for, store, Jurisdiction(state="WA"), now=NOW) == []


def test_form_problems_are_reported_together_at_their_fields(store: Store, child: str) -> None:
    with pytest.raises(ValidationError) as raised:
        _send(
            store,
            _user("TX", Role.PRIMARY_USER),
            "123",
            to_state="TX",
            school=School("x" * 61),
            comments="y" * 1001,
        )
    assert {issue.location for issue in raised.value.issues} == {
        "msix_id",
        "to_state",
        "school",
        "comments",
    }


def test_unknown_child_is_not_found(store: Store, child: str) -> None:
    stem = "2" + child[1:11] if child[0] != "2" else "3" + child[1:11]
    unknown = next(stem + d for d in "0123456789" if is_valid_msix_id(stem + d))
    with pytest.raises(NotFoundError):
        _send(store, _user("TX", Role.PRIMARY_USER), unknown)
