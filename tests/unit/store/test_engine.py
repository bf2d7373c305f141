from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from hub.config import Settings
from hub.errors import ConflictError
from hub.store import Store
from hub.store.schema import COLLECTIONS, RETIRED


def test_data_survives_a_restart(settings: Settings) -> None:
    first = Store(settings)
    msix_id = first.call(first.students.allocate_msix_id)
    first.call(first.state_records.save, "TX", "A100", {"identity": {"first_name": "Ana"}})
    first.close()

    second = Store(settings)
    try:
        current = second.call(second.state_records.current, "TX", "A100")
        assert current is not None
        assert current.record == {"identity": {"first_name": "Ana"}}
        assert second.call(second.students.issued_count) == 1
        assert second.call(lambda: second.engine.db["msix_ids"].find_one({"_id": msix_id}))
    finally:
        second.close()


def test_unique_index_is_enforced(store: Store) -> None:
    user = {"username": "rgarcia", "email": "rgarcia@example.org", "status": "active"}
    store.call(store.users.insert, user)
    with pytest.raises(ConflictError, match="already exists"):
        store.call(store.users.insert, {**user, "username": "rgarcia2"})
    with pytest.raises(ConflictError):
        store.call(store.users.insert, {**user, "email": "other@example.org"})
    assert len(store.call(store.users.list)) == 1


def test_unique_index_survives_a_restart(settings: Settings) -> None:
    first = Store(settings)
    first.call(first.clients.insert, {"client_id": "tx-vendor", "scopes": []})
    first.close()
    second = Store(settings)
    try:
        with pytest.raises(ConflictError):
            second.call(second.clients.insert, {"client_id": "tx-vendor", "scopes": []})
    finally:
        second.close()


def test_embedded_store_refuses_calls_from_other_threads(settings: Settings) -> None:
    opened = Store(settings)
    try:
        with pytest.raises(RuntimeError, match="own thread"):
            opened.students.issued_count()
        assert opened.call(opened.students.issued_count) == 0
    finally:
        opened.close()


def test_concurrent_async_callers_share_the_store_thread_safely(
    store: Store, run_async: Callable[[Coroutine[Any, Any, None]], None]
) -> None:
    async def save_many() -> None:
        await asyncio.gather(
            *(store.run(store.state_records.save, "WA", f"W{i:03}", {"n": i}) for i in range(60))
        )

    run_async(save_many())
    threads: set[str] = set()
    store.call(lambda: threads.add(threading.current_thread().name))
    assert all(name.startswith("msix-store") for name in threads)
    for i in (0, 31, 59):
        saved = store.call(store.state_records.current, "WA", f"W{i:03}")
        assert saved is not None
        assert saved.record == {"n": i}


def _collection_names(store: Store) -> list[str]:
    return list(store.engine.db.list_collection_names())


def _state_record_indexes(store: Store) -> dict[str, dict[str, object]]:
    return dict(store.engine.db["state_records"].index_information())


def test_schema_creation_is_idempotent(settings: Settings, tmp_path: Path) -> None:
    for _ in range(2):
        opened = Store(settings)
        names = opened.call(_collection_names, opened)
        indexes = opened.call(_state_record_indexes, opened)
        opened.close()
    assert {"state_records", "students", "msix_ids", "fhir_resources", "audit"} <= set(names)
    declared = {index.index_name for index in COLLECTIONS["state_records"]}
    assert set(indexes) == declared | {"_id_"}
    # One document per version is the `_id`'s job; a unique index would make inserts O(n).
    assert not any(spec.get("unique") for spec in indexes.values())


def test_a_retired_unique_index_is_dropped_at_start_up(settings: Settings) -> None:
    first = Store(settings)
    [retired] = RETIRED["state_records"]
    keys = [("state", 1), ("state_student_id", 1), ("version", -1)]
    first.call(
        lambda: first.engine.db["state_records"].create_index(keys, unique=True, name=retired)
    )
    first.close()
    second = Store(settings)
    try:
        assert retired not in second.call(_state_record_indexes, second)
        second.call(second.state_records.save, "TX", "1", {"v": 1})
        second.call(second.state_records.save, "TX", "1", {"v": 2})
        history = second.call(second.state_records.history, "TX", "1")
        assert [version.version for version in history] == [1, 2]
    finally:
        second.close()


def test_a_second_version_with_a_taken_id_is_refused(store: Store) -> None:
    first = store.call(store.state_records.save, "TX", "1", {"v": 1})
    stale = store.call(lambda: store.state_records.next_version("TX", "1", {"v": 2}, current=None))
    with pytest.raises(ConflictError, match="already exists"):
        store.call(store.state_records.insert_versions, [stale])
    [kept] = store.call(store.state_records.history, "TX", "1")
    assert (kept.version, kept.record) == (first.stored.version, {"v": 1})


def test_a_batch_is_committed_once_at_its_end_and_read_back_inside_it(
    settings: Settings,
) -> None:
    writer, reader = Store(settings), Store(settings)  # two connections, as two processes
    seen_inside: list[object] = []

    def in_one_batch() -> None:
        with writer.engine.batch():
            writer.students.create({"links": [{"state": "TX", "state_student_id": "1"}]})
            writer.state_records.save("TX", "1", {"v": 1})
            seen_inside.append(writer.state_records.current("TX", "1"))
            seen_inside.append(reader.call(reader.state_records.current, "TX", "1"))

    try:
        writer.call(in_one_batch)
        assert seen_inside[0] is not None  # the batch reads its own writes
        assert seen_inside[1] is None  # nobody else sees them before the commit
        assert reader.call(reader.state_records.current, "TX", "1") is not None
        assert reader.call(reader.students.count) == 1
    finally:
        writer.close()
        reader.close()


def test_a_batch_that_fails_leaves_nothing_behind(settings: Settings) -> None:
    opened = Store(settings)

    class FailedError(Exception):
        pass

    def failing() -> None:
        with opened.engine.batch():
            opened.state_records.save("TX", "1", {"v": 1})
            opened.students.create({"links": [{"state": "TX", "state_student_id": "1"}]})
            raise FailedError

    try:
        with pytest.raises(FailedError):
            opened.call(failing)
        assert opened.call(opened.state_records.current, "TX", "1") is None
        assert opened.call(opened.students.find_by_link, "TX", "1") is None
        assert opened.call(opened.students.issued_count) == 0
        # The store still works, and commits per write again outside a batch.
        opened.call(opened.state_records.save, "TX", "1", {"v": 2})
    finally:
        opened.close()
    reopened = Store(settings)
    try:
        current = reopened.call(reopened.state_records.current, "TX", "1")
        assert current is not None
        assert (current.version, current.record) == (1, {"v": 2})
    finally:
        reopened.close()


def test_bulk_writes_in_a_batch_match_what_the_engine_would_do(settings: Settings) -> None:
    """Inside an embedded batch, keyed inserts and replaces go straight to the table; queries
    through the engine (its in-memory index included) must see exactly what they wrote."""
    opened = Store(settings)

    def run() -> tuple[int, int, list[object], list[object]]:
        engine = opened.engine
        engine.db["worklist"].find_one({"status": "x"})  # the engine's index exists from here on
        with engine.batch():
            engine.insert_many("worklist", [{"_id": "a", "status": "open", "v": 1}])
            engine.insert_many("worklist", [{"_id": "b", "status": "open", "v": 1}])
            with pytest.raises(DuplicateKeyError):
                engine.insert_many("worklist", [{"_id": "c", "v": 1}, {"_id": "a", "v": 9}])
            stale = engine.replace_many(
                "worklist", [({"_id": "a", "v": 7}, {"_id": "a", "status": "done", "v": 8})]
            )
            fresh = engine.replace_many(
                "worklist",
                [
                    ({"_id": "b", "v": 1}, {"_id": "b", "status": "done", "v": 2}),
                    ({"_id": "z"}, {"_id": "z", "status": "done", "v": 1}),
                ],
                upsert=True,
            )
        done = sorted(doc["_id"] for doc in engine.db["worklist"].find({"status": "done"}))
        still_open = sorted(doc["_id"] for doc in engine.db["worklist"].find({"status": "open"}))
        return stale, fresh, done, still_open

    try:
        stale, fresh, done, still_open = opened.call(run)
    finally:
        opened.close()
    assert (stale, fresh) == (0, 1)  # the upsert of "z" inserted, it matched nothing
    assert done == ["b", "z"]
    assert still_open == ["a"]  # neither the stale replace nor the refused insert touched it
    reopened = Store(settings)
    try:
        ids = reopened.call(lambda: sorted(d["_id"] for d in reopened.engine.db["worklist"].find()))
        assert ids == ["a", "b", "z"]  # "c" went with the refused insert
    finally:
        reopened.close()


def test_an_insert_outside_a_batch_is_committed_alone_and_a_taken_id_writes_nothing(
    settings: Settings,
) -> None:
    """Outside a batch, `insert_many` is a unit of work of its own (the audit trail's path)."""
    opened = Store(settings)

    def run() -> list[object]:
        engine = opened.engine
        engine.db["audit"].find_one({"recorded": "x"})  # the engine's index exists from here on
        engine.insert_many("audit", [{"_id": "e1", "recorded": "2026-11-29", "event": {}}])
        with pytest.raises(DuplicateKeyError):
            engine.insert_many("audit", [{"_id": "e2", "recorded": "r"}, {"_id": "e1"}])
        assert not engine.in_batch
        return [doc["_id"] for doc in engine.db["audit"].find({"recorded": "2026-11-29"})]

    try:
        assert opened.call(run) == ["e1"]
        other = Store(settings)  # another process's view: committed, and "e2" never written
        try:
            found = other.call(lambda: sorted(d["_id"] for d in other.engine.db["audit"].find()))
            assert found == ["e1"]
        finally:
            other.close()
    finally:
        opened.close()


def test_a_lazy_find_in_reads_what_a_plain_one_does(store: Store) -> None:
    from hub.store._raw_bson import plain

    when = datetime(2026, 11, 29, 10, 30, 15, 123456, tzinfo=UTC)
    for number, state in enumerate(("TX", "FL", "CA", "WA")):
        record = {
            "identity": {"first_name": f"Ana{number}", "parents": [{"first_name": "Eva"}]},
            "courses": [{"record_id": "001", "title": "English I"}],
        }
        store.call(
            store.state_records.save,
            state,
            f"S{number}",
            record,
            msix_id="100000000008" if number % 2 else "100000000016",
            now=when,
        )

    def read(lazy: bool) -> list[dict[str, Any]]:
        found = store.engine.find_in(
            "state_records", "msix_id", ["100000000008", "100000000016", "9"], lazy=lazy
        )
        return [{name: plain(doc[name]) for name in doc} for doc in found]

    eager, lazy = store.call(read, False), store.call(read, True)
    assert len(eager) == 4
    assert lazy == eager
    assert all(isinstance(doc["record"]["identity"]["parents"][0], dict) for doc in lazy)


def test_identities_for_children_are_the_identities_of_for_children(store: Store) -> None:
    for number in range(3):
        for version in range(2):
            record = {
                "identity": {"first_name": f"Ana{number}", "last_name_1": f"V{version}"},
                "immunizations": [{"record_id": "001", "cvx": "08"}],
            }
            store.call(store.state_records.save, "TX", f"S{number}", record, msix_id="100000000008")
    store.call(
        store.state_records.save,
        "TX",
        "S2",
        {"identity": {"first_name": "Ana2"}},
        msix_id="100000000008",
        deleted=True,
    )

    full = store.call(store.state_records.for_children, ["100000000008", "100000000016"])
    lean = store.call(store.state_records.identities_for_children, ["100000000008", "100000000016"])

    assert list(lean) == ["100000000008"]
    assert len(lean["100000000008"]) == 2  # S2's current version is deleted
    expected = [
        replace(stored, record={"identity": stored.record["identity"]})
        for stored in full["100000000008"]
    ]
    assert lean["100000000008"] == expected
    assert lean["100000000008"][0].record["identity"]["last_name_1"] == "V1"


def test_plain_field_reads_one_field_of_a_lazy_document() -> None:
    import bson
    from bson.codec_options import CodecOptions
    from bson.int64 import Int64
    from bson.raw_bson import RawBSONDocument

    from hub.store._raw_bson import plain_field

    identity = {"first_name": "Ana", "parents": [{"first_name": "Eva"}], "twin": False}
    record = {
        "ratio": 1.5,
        "name": "x",
        "courses": [{"record_id": "001"}, {"record_id": "002"}],
        "blob": b"\x00\x01",
        "flag": True,
        "none": None,
        "at": datetime(2026, 11, 29, 10, 30),
        "small": 7,
        "large": Int64(2**40),
        "identity": identity,
        "after": {"a": 1},
    }
    raw = RawBSONDocument(
        bson.encode(record), codec_options=CodecOptions(document_class=RawBSONDocument)
    )

    assert plain_field(raw, "identity") == identity
    assert plain_field(raw, "after") == {"a": 1}
    assert plain_field(raw, "courses") == record["courses"]  # an array: decoded the usual way
    assert plain_field(raw, "small") == 7
    assert plain_field(raw, "missing") is None
    assert plain_field(record, "identity") == identity  # a plain document (MongoDB)
