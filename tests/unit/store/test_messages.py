"""The received-message log and the mailboxes on the real store engines."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.config import Settings
from hub.store import Store

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_claim_is_unique_per_sender_and_message_id(store: Store) -> None:
    first = store.call(store.messages.claim, "TX|s|1", "urn:uuid:a", "d1", {}, now=NOW)
    again = store.call(store.messages.claim, "TX|s|1", "urn:uuid:a", "d2", {}, now=NOW)
    other = store.call(store.messages.claim, "CA|s|1", "urn:uuid:a", "d3", {}, now=NOW)
    assert (first.owned, again.owned, other.owned) == (True, False, True)
    assert again.doc["digest"] == "d1"
    assert again.doc["status"] == "processing"
    assert store.call(store.messages.received_count) == 2


def test_completed_answer_is_kept_for_replay(store: Store) -> None:
    claim = store.call(store.messages.claim, "TX|s|1", "urn:uuid:b", "d", {}, now=NOW)
    done = store.messages.complete
    assert store.call(done, "TX|s|1", "urn:uuid:b", claim.claim_id, b"<answer/>", {"x": 1})
    known = store.call(store.messages.received, "TX|s|1", "urn:uuid:b")
    assert known is not None
    assert (bytes(known["response"]), known["status"]) == (b"<answer/>", "processed")
    replay = store.call(store.messages.claim, "TX|s|1", "urn:uuid:b", "d", {}, now=NOW)
    assert not replay.owned
    assert replay.processed


def test_stale_claim_is_taken_over_once_and_the_old_holder_cannot_complete(store: Store) -> None:
    claim = store.messages.claim
    dead = store.call(claim, "TX|s|1", "urn:uuid:c", "d", {}, now=NOW)
    soon = NOW + timedelta(minutes=1)
    assert not store.call(claim, "TX|s|1", "urn:uuid:c", "d", {}, now=soon).owned
    later = NOW + timedelta(minutes=6)
    # Another payload under the same id never takes a claim over: it is a conflict.
    assert not store.call(claim, "TX|s|1", "urn:uuid:c", "other", {}, now=later).owned
    heir = store.call(claim, "TX|s|1", "urn:uuid:c", "d", {}, now=later)
    assert heir.owned
    assert heir.claim_id != dead.claim_id
    assert not store.call(claim, "TX|s|1", "urn:uuid:c", "d", {}, now=later).owned
    complete = store.messages.complete
    assert not store.call(complete, "TX|s|1", "urn:uuid:c", dead.claim_id, b"<old/>", {})
    assert store.call(complete, "TX|s|1", "urn:uuid:c", heir.claim_id, b"<new/>", {})
    known = store.call(store.messages.received, "TX|s|1", "urn:uuid:c")
    assert known is not None
    assert bytes(known["response"]) == b"<new/>"


def test_released_claim_can_be_claimed_again(store: Store) -> None:
    first = store.call(store.messages.claim, "TX|s|1", "urn:uuid:d", "d", {}, now=NOW)
    store.call(store.messages.release, "TX|s|1", "urn:uuid:d", first.claim_id)
    assert store.call(store.messages.claim, "TX|s|1", "urn:uuid:d", "d", {}, now=NOW).owned


def test_two_stores_on_one_data_dir_never_both_own_a_claim(tmp_path: Path) -> None:
    # Two engines on one data dir stand for two API processes (each has its own SQLite
    # connections, its own store thread and its own descriptor of the write lock).
    settings = Settings(demo=True, data_dir=tmp_path / "var")
    stores = [Store(settings), Store(settings)]
    try:
        keys = [f"urn:uuid:{n:08d}" for n in range(40)]

        def claim_all(store: Store) -> list[bool]:
            return [
                store.call(store.messages.claim, "TX|s|1", key, "d", {}, now=NOW).owned
                for key in keys
            ]

        with ThreadPoolExecutor(max_workers=2) as pool:
            owned = list(pool.map(claim_all, stores))
        assert [a + b for a, b in zip(*owned, strict=True)] == [1] * len(keys)
    finally:
        for store in stores:
            store.close()


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


def test_mailbox_pull_keeps_delivered_and_dead_entries_until_acknowledged(store: Store) -> None:
    for message_id in ("m1", "m2", "m3"):
        store.call(store.messages.deliver, "WA", message_id, {}, now=NOW)
    leased = store.call(
        store.messages.lease_due, ["WA"], now=NOW, until=NOW + timedelta(minutes=2), limit=2
    )
    m1, m2 = leased
    settle = store.messages.settle
    assert store.call(settle, "WA", "m1", m1["lease_id"], status="delivered", now=NOW)
    assert store.call(settle, "WA", "m2", m2["lease_id"], status="dead", now=NOW, error="x")
    pulled = store.call(store.messages.mailbox, "WA", now=NOW)
    assert [(d["message_id"], d["status"]) for d in pulled] == [
        ("m1", "delivered"),
        ("m2", "dead"),
        ("m3", "pending"),
    ]


def test_push_lease_backs_off_then_goes_to_dead_letters(store: Store) -> None:
    messages = store.messages
    store.call(messages.deliver, "WA", "m1", {}, now=NOW)
    store.call(messages.deliver, "CA", "m2", {}, now=NOW)
    until = NOW + timedelta(minutes=2)
    (leased,) = store.call(messages.lease_due, ["WA"], now=NOW, until=until)
    assert (leased["message_id"], leased["attempts"]) == ("m1", 1)
    # Leased: not due for anyone else until the lease runs out.
    assert store.call(messages.lease_due, ["WA"], now=NOW, until=until) == []
    retry = NOW + timedelta(seconds=30)
    assert store.call(
        messages.settle,
        "WA",
        "m1",
        leased["lease_id"],
        status="pending",
        now=NOW,
        retry_at=retry,
        error="HTTP 503",
    )
    assert store.call(messages.lease_due, ["WA"], now=NOW, until=until) == []
    (again,) = store.call(messages.lease_due, ["WA"], now=retry, until=retry + timedelta(1))
    assert again["attempts"] == 2
    # The first lease is spent: its late outcome is not recorded over the second.
    assert not store.call(
        messages.settle, "WA", "m1", leased["lease_id"], status="acknowledged", now=retry
    )
    assert store.call(
        messages.settle, "WA", "m1", again["lease_id"], status="dead", now=retry, error="HTTP 503"
    )
    entry = store.call(messages.entry, "WA", "m1")
    assert entry is not None
    assert (entry["status"], entry["attempts"], entry["last_error"]) == ("dead", 2, "HTTP 503")
    assert store.call(messages.requeue, "WA", "m1", now=retry)
    (third,) = store.call(messages.lease_due, ["WA"], now=retry, until=retry + timedelta(1))
    assert third["attempts"] == 1


def test_lease_runs_out_when_a_worker_dies(store: Store) -> None:
    store.call(store.messages.deliver, "WA", "m1", {}, now=NOW)
    until = NOW + timedelta(minutes=2)
    assert len(store.call(store.messages.lease_due, ["WA"], now=NOW, until=until)) == 1
    later = until + timedelta(seconds=1)
    (again,) = store.call(store.messages.lease_due, ["WA"], now=later, until=later + timedelta(1))
    assert again["attempts"] == 2


def test_expired_entries_are_never_leased(store: Store) -> None:
    expires = NOW + timedelta(minutes=1)
    store.call(store.messages.deliver, "WA", "m1", {"expires": expires}, now=NOW)
    later = NOW + timedelta(minutes=5)
    assert store.call(store.messages.lease_due, ["WA"], now=later, until=later) == []
    entry = store.call(store.messages.entry, "WA", "m1")
    assert entry is not None
    assert (entry["status"], entry["attempts"]) == ("expired", 0)


def test_one_lease_call_leases_an_entry_once_even_if_its_lease_ends_at_once(store: Store) -> None:
    store.call(store.messages.deliver, "WA", "m1", {}, now=NOW)
    store.call(store.messages.deliver, "WA", "m2", {}, now=NOW)
    leased = store.call(store.messages.lease_due, ["WA"], now=NOW, until=NOW, limit=10)
    assert sorted(doc["message_id"] for doc in leased) == ["m1", "m2"]
