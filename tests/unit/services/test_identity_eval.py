"""Pairwise evaluation of the store's consolidation against a ground truth."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hub.services import merge_split
from hub.services.consolidation import find_child_by_state_id
from hub.services.identity_eval import evaluate, pairwise
from hub.store import Store
from tests.unit.services.ingest_helpers import STATE, ingest_bytes, jsonl

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("found", "truth", "expected"),
    [
        # one true child split in two by the hub: 1 true pair, none found
        ({"a": "1", "b": "2"}, {"a": "x", "b": "x"}, (0, 1, 0)),
        # two children merged by the hub: 1 pair found, none true
        ({"a": "1", "b": "1"}, {"a": "x", "b": "y"}, (1, 0, 0)),
        # three records of one child, all found: 3 pairs each way
        ({"a": "1", "b": "1", "c": "1"}, {"a": "x", "b": "x", "c": "x"}, (3, 3, 3)),
        # a record the store lacks counts as unlinked
        ({"a": "1"}, {"a": "x", "b": "x"}, (0, 1, 0)),
    ],
)
def test_pairwise_counts(
    found: dict[str, str], truth: dict[str, str], expected: tuple[int, int, int]
) -> None:
    assert pairwise(found, truth) == expected


def test_a_merge_turns_a_missed_pair_into_a_found_one_and_a_twin_merge_is_counted(
    store: Store, tx_records: list[dict[str, Any]]
) -> None:
    a, b, c = tx_records[:3]
    ingest_bytes(store, jsonl([a, b, c]))
    ids = [
        store.call(find_child_by_state_id, store, STATE, r["student_id"]["value"])
        for r in (a, b, c)
    ]
    truth = [
        {
            "state": STATE,
            "state_student_id": a["student_id"]["value"],
            "child_id": "k1",
            "family_id": "f1",
            "name_origin": "mexican",
        },
        {
            "state": STATE,
            "state_student_id": b["student_id"]["value"],
            "child_id": "k1",
            "family_id": "f1",
            "name_origin": "mexican",
        },
        {
            "state": STATE,
            "state_student_id": c["student_id"]["value"],
            "child_id": "k2",
            "family_id": "f1",
            "name_origin": "haitian",  # not so in life; here it keeps the origins apart
        },  # k2 is k1's twin
    ]
    before = store.call(evaluate, store, truth)
    assert (before.precision, before.recall, before.twins_or_siblings_merged) == (1.0, 0.0, 0)
    assert before.by_name_origin["mexican"] == {"records": 2, "precision": 1.0, "recall": 0.0}

    store.call(merge_split.merge, store, str(ids[0]), [str(ids[1])], now=NOW)
    after = store.call(evaluate, store, truth)
    assert (after.precision, after.recall, after.f1) == (1.0, 1.0, 1.0)
    assert after.by_name_origin["mexican"]["recall"] == 1.0
    assert after.by_name_origin["haitian"] == {"records": 1, "precision": 1.0, "recall": 1.0}

    store.call(merge_split.merge, store, str(ids[0]), [str(ids[2])], now=NOW)
    wrong = store.call(evaluate, store, truth)
    assert wrong.twins_or_siblings_merged == 1
    assert wrong.precision == pytest.approx(1 / 3, abs=1e-5)
