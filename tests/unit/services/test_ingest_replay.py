"""An ingest interrupted at any step and run again ends exactly where one clean run ends.

The interruption is a `BaseException` raised from inside a store call, which no handler in the
pipeline catches, as if the process had been killed there (tests/integration/test_ingest_kill.py
does it with a real SIGKILL). The comparison covers state records and their versions, children,
FHIR resources and their history, the quarantine, the batch and its acknowledgement, and audit.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hub.config import Settings
from hub.services.ingest import _apply as apply_module
from hub.store import Store
from hub.store import engine as engine_module
from tests.unit.services.ingest_helpers import ingest_bytes, jsonl, snapshot


class Killed(BaseException):
    """Stands for kill -9: nothing in the pipeline handles it."""


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several chunks per file, so that a kill lands between chunks as well as inside one."""
    monkeypatch.setattr(apply_module, "CHUNK", 5)


def _files(records: list[dict[str, Any]]) -> tuple[bytes, bytes]:
    """A first file, then a second that updates, deletes, adds, repeats and breaks records."""
    base = [copy.deepcopy(record) for record in records[:24]]
    second: list[dict[str, Any]] = [base[0], base[1]]  # unchanged
    for record in base[2:8]:  # updates, one dose dropped
        changed = copy.deepcopy(record)
        changed["action"] = "U"
        changed["identity"]["middle_name"] = "Revisada"
        changed["immunizations"] = changed.get("immunizations", [])[:1]
        second.append(changed)
    second += [{"student_id": record["student_id"], "action": "D"} for record in base[8:11]]
    new = [copy.deepcopy(record) for record in records[24:36]]
    second += new
    again = copy.deepcopy(new[0])
    again["action"] = "U"
    again["identity"]["middle_name"] = "Otra"
    second.append(again)  # the same child twice in one file
    broken = copy.deepcopy(records[36])
    broken["moves"] = []
    second.append(broken)
    second.append({"student_id": base[8]["student_id"], "action": "D"})  # deleted twice
    restored = copy.deepcopy(base[9])
    second.append(restored)  # deleted above, restored here
    return jsonl(base), jsonl(second)


KILL_POINTS = [
    ("students", "create", 4),
    ("state_records", "insert_versions", 1),
    ("state_records", "insert_versions", 3),
    ("fhir", "write_many", 2),
    ("ingest", "quarantine_many", 2),
    ("ingest", "resolve", 1),
    ("audit", "append_once", 2),  # after a retraction's event, before the batch's
    ("ingest", "finish_batch", 1),  # everything done but the batch's status
]
# A chunk's unit of work commits one collection file after another (the embedded engine): killed
# before committing the n-th chunk's file of a collection, the files before it stay committed.
COMMIT_KILL_POINTS = [
    ("msix_ids", 2),
    ("students", 1),
    ("state_records", 1),
    ("state_records", 3),
    ("fhir_history", 1),
    ("fhir_resources", 1),
    ("fhir_resources", 2),
    ("quarantine", 1),
]


def _ingest_killed_then_again(
    tmp_path: Path,
    records: list[dict[str, Any]],
    kill: Callable[[Store], Callable[[], None]],
) -> None:
    """Ingest a second file into a clean store, and into one where `kill` arms a kill first,
    then again; both stores and acknowledgements must end the same."""
    first, second = _files(records)
    clean = Store(Settings(demo=True, data_dir=tmp_path / "clean"))
    killed = Store(Settings(demo=True, data_dir=tmp_path / "killed"))
    try:
        for target in (clean, killed):
            ingest_bytes(target, first, name="first.jsonl")
        expected = ingest_bytes(clean, second, name="second.jsonl")

        disarm = kill(killed)
        with pytest.raises(Killed):
            ingest_bytes(killed, second, name="second.jsonl")
        disarm()
        rerun = ingest_bytes(killed, second, name="second.jsonl")

        assert (
            rerun.acknowledgement.to_json() | _times()
            == expected.acknowledgement.to_json() | _times()
        )
        assert snapshot(killed) == snapshot(clean)
    finally:
        clean.close()
        killed.close()


def _dying(original: Callable[..., Any], calls: int, when: Callable[..., bool]) -> Any:
    seen = 0

    def dying(*args: Any, **kwargs: Any) -> Any:
        nonlocal seen
        if when(*args):
            seen += 1
            if seen == calls:
                raise Killed
        return original(*args, **kwargs)

    return dying


@pytest.mark.parametrize(("repository", "method", "calls"), KILL_POINTS)
def test_a_run_killed_at_any_step_then_run_again_ends_as_one_clean_run(
    tmp_path: Path,
    tx_records: list[dict[str, Any]],
    repository: str,
    method: str,
    calls: int,
) -> None:
    def kill(store: Store) -> Callable[[], None]:
        target = getattr(store, repository)
        original = getattr(target, method)
        armed = pytest.MonkeyPatch()
        armed.setattr(target, method, _dying(original, calls, lambda *args: True))
        return armed.undo

    _ingest_killed_then_again(tmp_path, tx_records, kill)


@pytest.mark.parametrize(("collection", "calls"), COMMIT_KILL_POINTS)
def test_a_run_killed_between_the_commits_of_a_chunk_then_run_again_ends_as_one_clean_run(
    tmp_path: Path,
    tx_records: list[dict[str, Any]],
    collection: str,
    calls: int,
) -> None:
    def kill(store: Store) -> Callable[[], None]:
        original = engine_module._commit_file
        armed = pytest.MonkeyPatch()
        armed.setattr(
            engine_module,
            "_commit_file",
            _dying(original, calls, lambda name, *_: name == collection),
        )
        return armed.undo

    _ingest_killed_then_again(tmp_path, tx_records, kill)


def _times() -> dict[str, None]:
    return {"received_at": None, "completed_at": None}


def test_the_story_the_second_file_tells(tmp_path: Path, tx_records: list[dict[str, Any]]) -> None:
    first, second = _files(tx_records)
    store = Store(Settings(demo=True, data_dir=tmp_path / "var"))
    try:
        ingest_bytes(store, first)
        counts = ingest_bytes(store, second, name="second.jsonl").acknowledgement.counts
    finally:
        store.close()
    # 2 unchanged, 6 updated, 3 deleted, 12 new, 1 repeat, 1 rejected, 1 re-delete, 1 restore
    assert (counts.total, counts.rejected, counts.deleted) == (27, 1, 3)
    assert (counts.stored, counts.unchanged) == (6 + 3 + 12 + 1 + 1, 2 + 1)
