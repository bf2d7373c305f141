"""The written dataset: deterministic bytes, valid records, ground truth for every record."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from hub.model import StudentRecord
from hub.synth import RECORDS_FILE, TRUTH_FILE, iter_children, write_dataset


def _bytes(out: Path) -> tuple[bytes, bytes]:
    return (out / RECORDS_FILE).read_bytes(), (out / TRUTH_FILE).read_bytes()


def test_same_seed_and_count_write_byte_identical_files(tmp_path: Path) -> None:
    first = write_dataset(tmp_path / "a", seed=11, count=300)
    second = write_dataset(tmp_path / "b", seed=11, count=300)

    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")
    assert first.records_bytes == second.records_bytes > 0


def test_a_different_seed_writes_different_children(tmp_path: Path) -> None:
    write_dataset(tmp_path / "a", seed=11, count=300)
    write_dataset(tmp_path / "b", seed=12, count=300)

    records_a, truth_a = _bytes(tmp_path / "a")
    records_b, truth_b = _bytes(tmp_path / "b")
    assert records_a != records_b
    assert truth_a != truth_b


def test_a_smaller_run_is_a_prefix_of_a_larger_one(tmp_path: Path) -> None:
    # Families are seeded by index, not by count: the first children never depend on how many
    # follow, which is what lets a 1 M run and a 1 k run share their first thousand children.
    write_dataset(tmp_path / "small", seed=5, count=120)
    write_dataset(tmp_path / "large", seed=5, count=400)

    small_records, small_truth = _bytes(tmp_path / "small")
    large_records, large_truth = _bytes(tmp_path / "large")
    assert large_records.startswith(small_records)
    assert large_truth.startswith(small_truth)


def test_every_line_is_a_valid_student_record_with_a_truth_row(tmp_path: Path) -> None:
    summary = write_dataset(tmp_path, seed=3, count=500)

    record_lines = (tmp_path / RECORDS_FILE).read_bytes().splitlines()
    truth_rows = [orjson.loads(line) for line in (tmp_path / TRUTH_FILE).read_bytes().splitlines()]
    assert summary.children == 500
    assert len(record_lines) == len(truth_rows) == summary.records
    keys = set()
    for line, truth in zip(record_lines, truth_rows, strict=True):
        record = StudentRecord.model_validate_json(line)
        assert record.key == (truth["state"], truth["state_student_id"])
        assert truth["child_id"].startswith(truth["family_id"])
        assert isinstance(truth["twin"], bool)
        assert isinstance(truth["sibling"], bool)
        keys.add(record.key)
    assert len(keys) == len(record_lines), "a record key names two records"
    assert len({row["child_id"] for row in truth_rows}) == 500


def test_records_are_the_json_mode_dump_of_the_model(tmp_path: Path) -> None:
    write_dataset(tmp_path, seed=3, count=20)
    children = list(iter_children(3, 20))

    lines = (tmp_path / RECORDS_FILE).read_bytes().splitlines()
    dumped = [
        orjson.dumps(emitted.record.model_dump(mode="json", exclude_none=True))
        for child in children
        for emitted in child.records
    ]
    assert lines == dumped


def test_states_restricts_every_record_to_those_states() -> None:
    chosen = {"CA", "OR", "WA"}

    states = {
        emitted.record.student_id.state
        for child in iter_children(9, 300, states=chosen)
        for emitted in child.records
    }

    assert states <= chosen
    assert len(states) >= 2


def test_unknown_states_are_all_named_at_once() -> None:
    with pytest.raises(ValueError, match=r"'XX'.*'ZZ'"):
        next(iter_children(1, 1, states=["TX", "XX", "ZZ"]))


def test_count_is_exact_even_when_it_cuts_a_family() -> None:
    children = list(iter_children(4, 7))

    assert len(children) == 7
    assert len({child.child_id for child in children}) == 7
