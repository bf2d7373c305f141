"""The received-message log and the mailboxes on the real store engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.store import Store

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_claim_is_unique_per_sender_and_message_id(store: Store) -> None:
    _first, created = store.call(store.messages.claim, "TX|s|1", "urn:uuid:a", "d1", {}, now=NOW)
    again, created_again = store.call(
        store.messages.claim, "TX|s|1", "urn:uuid:a", "d2", {}, now=NOW
    )
    _other, created_other = store.call(
        store.messages.claim, "CA|s|1", "urn:uuid:a", "d3", {}, now=NOW
    )
    assert (created, created_again, created_other) == (True, False, True)
    assert again["digest"] == "d1"
    assert store.call(store.messages.received_count) == 2


def test_completed_answer_is_kept_for_replay(store: Store) -> None:
    store.call(store.messages.claim, "TX|s|1", "urn:uuid:b", "d", {}, now=NOW)
    store.call(store.messages.complete, "TX|s|1", "urn:uuid:b", b"<answer/>", {"x": 1})
    known = store.call(store.messages.received, "TX|s|1", "urn:uuid:b")
    assert known is not None
    assert (bytes(known["response"]), known["status"]) == (b"<answer/>", "processed")


def test_mailbox_hides_expired_and_acknowledged_entries(store: Store) -> None:
    deliver = store.messages.deliver
    assert store.call(deliver, "WA", "m1", {"expires": None, "message_type": "Ping"}, now=NOW)
    assert not store.call(deliver, "WA", "m1", {"expires": None}, now=NOW)
    store.call(deliver, "WA", "m2", {"expires": NOW + timedelta(minutes=1)}, now=NOW)
    store.call(deliver, "WA", "m3", {"expires": None}, now=NOW + timedelta(seconds=1))
    store.call(store.messages.acknowledge, "WA", "m3", now=NOW)
    later = NOW + timedelta(minutes=2)
    pending = store.call(store.messages.mailbox, "WA", now=later)
    assert [doc["message_id"] for doc in pending] == ["m1"]
    everything = store.call(store.messages.mailbox, "WA", now=later, since=NOW - timedelta(1))
    assert [doc["message_id"] for doc in everything] == ["m1", "m3"]
    assert store.call(store.messages.mailbox, "CA", now=later) == []


def test_push_attempts_back_off_then_go_to_dead_letters(store: Store) -> None:
    store.call(store.messages.deliver, "WA", "m1", {}, now=NOW)
    assert [d["message_id"] for d in store.call(store.messages.due, ["WA"], now=NOW)] == ["m1"]
    retry = NOW + timedelta(seconds=30)
    store.call(
        store.messages.record_attempt,
        "WA",
        "m1",
        delivered=False,
        now=NOW,
        retry_at=retry,
        error="503",
    )
    assert store.call(store.messages.due, ["WA"], now=NOW) == []
    assert len(store.call(store.messages.due, ["WA"], now=retry)) == 1
    store.call(
        store.messages.record_attempt,
        "WA",
        "m1",
        delivered=False,
        now=retry,
        retry_at=None,
        error="503",
    )
    entry = store.call(store.messages.entry, "WA", "m1")
    assert entry is not None
    assert (entry["status"], entry["attempts"], entry["last_error"]) == ("dead", 2, "503")
