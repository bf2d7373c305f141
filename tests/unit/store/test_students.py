from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from hub.config import Settings
from hub.errors import ConflictError, NotFoundError
from hub.store import Store, is_valid_msix_id
from hub.store.students import _luhn_check_digit


def test_allocated_ids_are_twelve_digits_with_a_check_digit(store: Store) -> None:
    ids = {store.call(store.students.allocate_msix_id) for _ in range(50)}
    assert len(ids) == 50
    assert all(is_valid_msix_id(value) for value in ids)


def test_a_mistyped_id_fails_the_check_digit() -> None:
    body = "12345678901"
    good = body + str(_luhn_check_digit(body))
    assert is_valid_msix_id(good)
    typo = good[:3] + str((int(good[3]) + 1) % 10) + good[4:]
    assert not is_valid_msix_id(typo)
    assert not is_valid_msix_id("0" + good[1:])
    assert not is_valid_msix_id(good[:-1])


def test_retired_id_resolves_to_the_surviving_child(store: Store) -> None:
    survivor = store.call(store.students.create, {"identity": {"first_name": "Lupe"}})
    merged = store.call(store.students.create, {"identity": {"first_name": "Guadalupe"}})
    store.call(store.students.retire, merged["_id"], survivor["_id"])
    resolved = store.call(store.students.resolve, merged["_id"])
    assert resolved["_id"] == survivor["_id"]
    assert store.call(store.students.count) == 1
    assert store.call(store.students.issued_count) == 2  # the retired id stays issued


def test_resolving_an_unknown_id_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.call(store.students.resolve, "123456789012")


def test_update_with_a_stale_revision_is_a_conflict(store: Store) -> None:
    child = store.call(store.students.create, {})
    store.call(store.students.update, child["_id"], {"identity": {"sex": "F"}}, expected_revision=1)
    with pytest.raises(ConflictError, match="changed meanwhile"):
        store.call(store.students.update, child["_id"], {"identity": {}}, expected_revision=1)


def test_candidates_come_from_blocking_keys(store: Store) -> None:
    store.call(store.students.create, {"blocking_keys": ["dob:20140307", "ph:TLKRS:2014"]})
    store.call(store.students.create, {"blocking_keys": ["dob:20150101"]})
    found = store.call(store.students.find_by_blocking_keys, ["ph:TLKRS:2014", "x"])
    assert len(found) == 1
    assert found[0]["blocking_keys"] == ["dob:20140307", "ph:TLKRS:2014"]


# Two processes draw from the SAME small pool of ids (10 per allocation), so ids are contended
# often: only the registry's unique key plus the cross-process write lock decide who gets each.
_WORKER = textwrap.dedent(
    """
    import random, sys, time
    import hub.store.students as students
    from hub.config import Settings
    from hub.store import Store

    data_dir, start_at, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    draws = random.Random(sys.argv[4])

    def contended_draw() -> str:
        body = str(10**10 + draws.randrange(10 * count))
        return body + str(students._luhn_check_digit(body))

    students._draw_msix_id = contended_draw
    store = Store(Settings(demo=True, data_dir=data_dir))
    while time.time() < start_at:
        time.sleep(0.001)
    ids = [store.call(store.students.allocate_msix_id) for _ in range(count)]
    store.close()
    print("\\n".join(ids))
    """
)


@pytest.mark.slow
def test_two_processes_allocating_at_once_never_collide(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    Store(Settings(demo=True, data_dir=data_dir)).close()  # schema first, outside the race
    count = 150
    start_at = str(time.time() + 2.0)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(data_dir), start_at, str(count), str(seed)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in range(2)
    ]
    outputs = [worker.communicate(timeout=240)[0] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    first, second = (set(output.split()) for output in outputs)
    assert len(first) == count
    assert len(second) == count
    assert first.isdisjoint(second)

    store = Store(Settings(demo=True, data_dir=data_dir))
    try:
        assert store.call(store.students.issued_count) == 2 * count
    finally:
        store.close()


def test_an_update_in_a_unit_of_work_returns_the_child_as_stored(store: Store) -> None:
    child = store.call(store.students.create, {"identity": {"first_name": "Ana"}})
    links = [{"state": "TX", "state_student_id": "A1", "identity": {"first_name": "Ana"}}]

    def update() -> tuple[dict[str, Any], dict[str, Any] | None]:
        with store.engine.batch():
            updated = store.students.update(
                child["_id"], {"links": links}, expected_revision=child["revision"]
            )
            return updated, store.students.get(child["_id"])

    updated, read = store.call(update)

    assert updated == read  # naive millisecond datetimes, as a read returns them
    assert updated["revision"] == child["revision"] + 1
    assert updated["link_keys"] == ["TX:A1"]
    assert updated["updated_at"].tzinfo is None
