"""write_native: four native files and truth.jsonl, deterministic, complete, from one stream."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from hub.cli import app
from hub.model import StudentId, StudentRecord
from hub.synth import TRUTH_FILE, write_dataset
from hub.synth.native import (
    DEFAULT_SUBMITTED_AT,
    SAMPLE_STATES,
    native_file_name,
    open_state_file,
    write_native,
)

CHILDREN = 300


def _all_bytes(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


def test_the_sample_states_are_four_states_the_generator_sends_children_to() -> None:
    assert SAMPLE_STATES == ("CA", "FL", "TX", "WA")


def test_file_names_carry_the_state_and_the_submission_date() -> None:
    assert [native_file_name(state) for state in SAMPLE_STATES] == [
        "ca-2026-11-28.xml",
        "fl-2026-11-28.dat",
        "tx-2026-11-28.txt",
        "wa-2026-11-28.jsonl",
    ]
    assert native_file_name("TX", datetime(2027, 1, 5, 8)) == "tx-2027-01-05.txt"


def test_same_seed_and_count_write_byte_identical_files(tmp_path: Path) -> None:
    write_native(tmp_path / "a", seed=3, count=CHILDREN)
    write_native(tmp_path / "b", seed=3, count=CHILDREN)

    first, second = _all_bytes(tmp_path / "a"), _all_bytes(tmp_path / "b")
    assert sorted(first) == sorted([native_file_name(s) for s in SAMPLE_STATES] + [TRUTH_FILE])
    assert first == second


def test_a_different_seed_writes_different_files(tmp_path: Path) -> None:
    write_native(tmp_path / "a", seed=3, count=CHILDREN)
    write_native(tmp_path / "b", seed=4, count=CHILDREN)

    first, second = _all_bytes(tmp_path / "a"), _all_bytes(tmp_path / "b")
    assert all(first[name] != second[name] for name in first)


def test_every_state_file_holds_records_for_a_few_hundred_children(tmp_path: Path) -> None:
    summary = write_native(tmp_path, seed=3, count=CHILDREN)

    assert summary.children == CHILDREN
    assert [file.state for file in summary.files] == list(SAMPLE_STATES)
    for file in summary.files:
        assert file.records > 10, file
        assert file.bytes == file.path.stat().st_size > 0
    assert sum(file.records for file in summary.files) == summary.records


def test_truth_is_line_for_line_what_write_dataset_writes_for_the_sample_states(
    tmp_path: Path,
) -> None:
    native = write_native(tmp_path / "native", seed=3, count=CHILDREN)
    canonical = write_dataset(tmp_path / "canonical", seed=3, count=CHILDREN, states=SAMPLE_STATES)

    assert native.truth_path.read_bytes() == canonical.truth_path.read_bytes()
    assert (native.records, native.families) == (canonical.records, canonical.families)
    # Each file holds as many records as truth lists for its state (the per-format tests compare
    # the records themselves).
    for file in native.files:
        expected = [
            row["state_student_id"]
            for row in map(orjson.loads, canonical.truth_path.read_bytes().splitlines())
            if row["state"] == file.state
        ]
        assert file.records == len(expected)


def test_the_submission_time_goes_into_names_and_headers(tmp_path: Path) -> None:
    stamp = datetime(2027, 2, 3, 4, 5, 6, 789_000)
    summary = write_native(tmp_path, seed=3, count=20, submitted_at=stamp)

    fl = next(file for file in summary.files if file.state == "FL")
    assert fl.path.name == "fl-2027-02-03.dat"
    assert fl.path.read_bytes()[3:20] == b"20270203040506789"
    assert datetime(2026, 11, 28, 2, 15) == DEFAULT_SUBMITTED_AT


def test_a_state_file_refuses_another_states_record(tmp_path: Path) -> None:
    record = StudentRecord(student_id=StudentId(state="TX", value="1"))
    with (
        pytest.raises(ValueError, match="TX record cannot go to a WA file"),
        open_state_file("WA", tmp_path / "wa.jsonl") as out,
    ):
        out.write(record)


def test_a_state_without_a_native_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no native format for MI"):
        open_state_file("MI", tmp_path / "mi.txt")


@pytest.mark.parametrize("state", SAMPLE_STATES)
def test_a_failed_run_leaves_no_partial_file(state: str, tmp_path: Path) -> None:
    record = StudentRecord(student_id=StudentId(state=state, value="1234567890"))
    path = tmp_path / native_file_name(state)

    def fail_after_one_record() -> None:
        with open_state_file(state, path) as out:
            out.write(record)
            raise RuntimeError("generator failed")

    with pytest.raises(RuntimeError):
        fail_after_one_record()

    assert list(tmp_path.iterdir()) == []  # FL's temporary body is gone too


def test_msix_synth_native_writes_the_four_files_and_truth(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["synth", "--native", "--out", str(tmp_path), "--children", "40", "--seed", "9"]
    )

    assert result.exit_code == 0, result.output
    assert "wrote 40 children" in result.output
    names = {path.name for path in tmp_path.iterdir()}
    assert names == {native_file_name(s) for s in SAMPLE_STATES} | {TRUTH_FILE}
