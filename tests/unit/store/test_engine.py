from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from hub.config import Settings
from hub.errors import ConflictError
from hub.store import Store


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
    assert any(spec.get("unique") for spec in indexes.values() if spec["key"] != [("_id", 1)])
