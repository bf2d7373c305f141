"""Every state mapping and its golden examples, found by walking mappings/ (STANDARDS.md §8 rule 5).

A state folder is `mappings/<st>/` with a `mapping.yaml`; its examples sit in `examples/`:

- `<name>.<ext>` beside `<name>.expected.jsonl`: the file maps to exactly those records, one
  canonical StudentRecord a line, in file order, with no issue at all. The canonical form is
  `record.model_dump(mode="json", exclude_none=True)` without `source` (the provenance the ingest
  sets: file name and line), keys sorted, UTF-8 with accents as written (`canonical_line`).
- `<name>.<ext>` beside `<name>.expected-issues.json`: the file gives exactly those located
  issues. The JSON is a list with one entry per child of the file, in file order:
  `{"record": n, "line": first line, "state_student_id": id or null, "issues": [{"location",
  "rule", "severity", "value"?}]}`; `value` is the source value the issue names, when it has one.
- `<name>.<ext>` beside `<name>.expected-rejection.json`: the file is rejected as a whole
  (`FileRejected`: a header or trailer that does not reconcile...), with exactly those
  file-level issues, in order: a list of `{"location", "rule", "severity", "message"}` (the
  message holds the values expected and found).

A new state needs no new test code. The sample states' native files are also mapped back from
the synthetic population (`test_native_files_map_back_to_the_synthetic_records`): every record
must come back as `write_dataset` wrote it, less what its format cannot carry (`CARRIED`, one
small function per state following the "cannot carry" list of its README), with no error and no
unmapped code (a new unmapped code fails CI).

After a deliberate change, regenerate the expected files with
`python -m tests.data.test_mapping_examples` (it rewrites the expected files that exist: create
an empty one beside a new input first), then check every changed value by hand against the
input before committing: the test compares with what was blessed, not with what is right.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hub.errors import Issue
from hub.mapping import (
    MAPPINGS_DIR,
    FileRejected,
    MappedRecord,
    Mapping,
    load_mapping,
    load_mappings,
    map_file,
)
from hub.model import Enrollment, StudentRecord
from hub.synth import RECORDS_FILE, write_dataset
from hub.synth.native import SAMPLE_STATES, native_file_name, write_native
from tests.unit.synth.test_native_examples import AS_OF, example_path, example_records

STATE_FOLDERS = sorted(path.parent for path in MAPPINGS_DIR.glob("*/mapping.yaml"))
EXPECTED_RECORDS = sorted(MAPPINGS_DIR.glob("*/examples/*.expected.jsonl"))
EXPECTED_ISSUES = sorted(MAPPINGS_DIR.glob("*/examples/*.expected-issues.json"))
EXPECTED_REJECTIONS = sorted(MAPPINGS_DIR.glob("*/examples/*.expected-rejection.json"))
RECORDS_SUFFIX, ISSUES_SUFFIX = ".expected.jsonl", ".expected-issues.json"
# The examples are judged as of the day they were written, so no date is ever in the future.
TODAY = AS_OF
ROUND_TRIP_SEED, ROUND_TRIP_CHILDREN = 20_261_128, 200


def _id(path: Path) -> str:
    return str(path.relative_to(MAPPINGS_DIR))


@functools.cache
def mapping_of(folder: Path) -> Mapping:
    return load_mapping(folder / "mapping.yaml")


def input_of(expected: Path) -> Path:
    """`basic.expected.jsonl` -> `basic.txt`: the one example file of the same name."""
    name = expected.name.split(".expected", 1)[0]
    found = [p for p in expected.parent.glob(f"{name}.*") if ".expected" not in p.name]
    assert len(found) == 1, f"{_id(expected)}: want one input named {name}.*, found {found}"
    return found[0]


def map_example(path: Path) -> list[MappedRecord]:
    return list(map_file(mapping_of(path.parent.parent), path, today=TODAY))


def canonical_line(record: StudentRecord) -> str:
    data = record.model_dump(mode="json", exclude_none=True, exclude={"source"})
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def issue_report(mapped: list[MappedRecord]) -> list[dict[str, Any]]:
    """The located issues of a mapped file, in the shape of `*.expected-issues.json`."""
    report = []
    for child in mapped:
        prefix = f"record[{child.record_number}]"
        issues = []
        for issue in child.issues:
            entry: dict[str, Any] = {
                "location": issue.location,
                "rule": issue.rule,
                "severity": issue.severity.value,
            }
            label = (issue.location or "").removeprefix(prefix).removeprefix(".")
            if label in child.values:
                entry["value"] = child.values[label]
            issues.append(entry)
        report.append(
            {
                "record": child.record_number,
                "line": child.line,
                "state_student_id": child.state_student_id,
                "issues": issues,
            }
        )
    return report


def rejection_report(path: Path) -> list[dict[str, Any]]:
    """The file-level issues `path` is rejected with, in the shape of
    `*.expected-rejection.json`; fails when the file is not rejected."""
    with pytest.raises(FileRejected) as rejected:
        map_example(path)
    return [_file_issue(issue) for issue in rejected.value.issues]


def _file_issue(issue: Issue) -> dict[str, Any]:
    return {
        "location": issue.location,
        "rule": issue.rule,
        "severity": issue.severity.value,
        "message": issue.message,
    }


# What each sample state's format carries of a canonical record: its README's "cannot carry"
# list, dropped (or set to the one value the mapping gives it). `source` is the hub's, always.


def _no_facility(enrollment: Enrollment, *, comment: bool = True) -> Enrollment:
    dropped = {
        "facility_name", "facility_address_1", "facility_address_2", "facility_address_3",
        "facility_city", "facility_state", "facility_zip", "facility_phone",
    }  # fmt: skip
    if not comment:
        dropped.add("comment")
    return enrollment.model_copy(update=dict.fromkeys(dropped))


def carried_by_tx(record: StudentRecord) -> StudentRecord:
    """The most recent 3 moves, 6 enrollments, 4 assessments, 12 courses, 12 immunizations and
    the first alternate id; no facility fields, no conditions; doses completed, transcribed."""
    who = record.identity
    doses = [
        dose.model_copy(update={"status": "completed", "primary_source": False})
        for dose in record.immunizations[-12:]
    ]
    return record.model_copy(
        update={
            "identity": who.model_copy(update={"alternate_ids": who.alternate_ids[:1]}),
            "moves": record.moves[-3:],
            "enrollments": [_no_facility(e) for e in record.enrollments[-6:]],
            "assessments": record.assessments[-4:],
            "courses": record.courses[-12:],
            "immunizations": doses,
            "conditions": [],
            "source": None,
        }
    )


def carried_by_fl(record: StudentRecord) -> StudentRecord:
    """Both surnames as one (only their join travels), the first alternate id, no facility
    fields or comment, conditions with the model's default statuses. Text longer than its
    field and characters outside cp1252 would be lost too; the synthetic children always fit."""
    who = record.identity
    surnames = " ".join(name for name in (who.last_name_1, who.last_name_2) if name) or None
    statuses = {
        "category": "problem-list-item",
        "clinical_status": "active",
        "verification_status": "confirmed",
    }
    return record.model_copy(
        update={
            "identity": who.model_copy(
                update={
                    "last_name_1": surnames,
                    "last_name_2": None,
                    "alternate_ids": who.alternate_ids[:1],
                }
            ),
            "enrollments": [_no_facility(e, comment=False) for e in record.enrollments],
            "conditions": [c.model_copy(update=statuses) for c in record.conditions],
            "source": None,
        }
    )


def carried_by_ca(record: StudentRecord) -> StudentRecord:
    """No conditions; a course's academic year only when both its years are known."""
    courses = [
        c
        if c.begin_year is not None and c.end_year is not None
        else c.model_copy(update={"begin_year": None, "end_year": None})
        for c in record.courses
    ]
    return record.model_copy(update={"conditions": [], "courses": courses, "source": None})


def carried_by_wa(record: StudentRecord) -> StudentRecord:
    """Everything (credits and clock hours as JSON numbers are equal decimals)."""
    return record.model_copy(update={"source": None})


CARRIED: dict[str, Callable[[StudentRecord], StudentRecord]] = {
    "CA": carried_by_ca,
    "FL": carried_by_fl,
    "TX": carried_by_tx,
    "WA": carried_by_wa,
}


def records_of(mapped: list[MappedRecord]) -> list[StudentRecord]:
    records = [child.record for child in mapped]
    assert all(record is not None for record in records)
    return [record for record in records if record is not None]


# The mappings


@pytest.mark.parametrize("folder", STATE_FOLDERS, ids=_id)
def test_every_state_mapping_loads_and_ships_both_kinds_of_example(folder: Path) -> None:
    mapping = mapping_of(folder)
    assert mapping.state == folder.name.upper()
    assert list(folder.glob(f"examples/*{RECORDS_SUFFIX}")), f"{_id(folder)}: no expected records"
    assert list(folder.glob(f"examples/*{ISSUES_SUFFIX}")), f"{_id(folder)}: no expected issues"


def test_the_whole_mappings_folder_loads_one_mapping_per_state_folder() -> None:
    assert sorted(load_mappings()) == sorted(folder.name.upper() for folder in STATE_FOLDERS)
    assert set(SAMPLE_STATES) <= set(load_mappings())


# The golden examples


@pytest.mark.parametrize("expected", EXPECTED_RECORDS, ids=_id)
def test_example_maps_to_exactly_its_expected_records(expected: Path) -> None:
    mapped = map_example(input_of(expected))

    assert [(child.record_number, child.issues) for child in mapped] == [
        (number, []) for number in range(1, len(mapped) + 1)
    ]
    got = [json.loads(canonical_line(record)) for record in records_of(mapped)]
    want = [json.loads(line) for line in expected.read_text(encoding="utf-8").splitlines()]
    assert got == want


@pytest.mark.parametrize("expected", EXPECTED_ISSUES, ids=_id)
def test_example_gives_exactly_its_expected_issues(expected: Path) -> None:
    mapped = map_example(input_of(expected))

    assert issue_report(mapped) == json.loads(expected.read_text(encoding="utf-8"))
    # No child is dropped silently: one without a record says why.
    for child in mapped:
        assert child.record is not None or any(issue.is_error for issue in child.issues)


@pytest.mark.parametrize("expected", EXPECTED_REJECTIONS, ids=_id)
def test_example_is_rejected_with_exactly_its_expected_file_issues(expected: Path) -> None:
    report = rejection_report(input_of(expected))

    assert report == json.loads(expected.read_text(encoding="utf-8"))
    assert report, "a rejection names its reasons"


@pytest.mark.parametrize("state", SAMPLE_STATES)
def test_basic_example_is_the_example_children_less_what_the_format_cannot_carry(
    state: str,
) -> None:
    children = example_records(state)
    records = records_of(map_example(example_path(state, "basic")))

    carried = CARRIED[state]
    assert [carried(record) for record in records] == [carried(child) for child in children]
    # The examples' names come back exactly, even where only the surnames' join travels (FL).
    assert [_names(record) for record in records] == [_names(child) for child in children]


def _names(record: StudentRecord) -> tuple[str | None, ...]:
    who = record.identity
    return (who.first_name, who.middle_name, who.last_name_1, who.last_name_2, who.suffix)


# The sample states' native files, mapped back


@pytest.fixture(scope="module")
def round_trip(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, list[StudentRecord]]]:
    native, dataset = tmp_path_factory.mktemp("native"), tmp_path_factory.mktemp("dataset")
    write_native(native, ROUND_TRIP_SEED, ROUND_TRIP_CHILDREN)
    write_dataset(dataset, ROUND_TRIP_SEED, ROUND_TRIP_CHILDREN, states=SAMPLE_STATES)
    by_state: dict[str, list[StudentRecord]] = defaultdict(list)
    for line in (dataset / RECORDS_FILE).read_bytes().splitlines():
        record = StudentRecord.model_validate_json(line)
        by_state[record.student_id.state].append(record)
    return native, by_state


def test_every_sample_state_has_its_carried_view() -> None:
    assert sorted(CARRIED) == sorted(SAMPLE_STATES)


@pytest.mark.parametrize("state", SAMPLE_STATES)
def test_native_files_map_back_to_the_synthetic_records(
    state: str, round_trip: tuple[Path, dict[str, list[StudentRecord]]]
) -> None:
    native, canonical = round_trip
    path = native / native_file_name(state)
    mapped = list(map_file(load_mappings()[state], path, today=TODAY))

    # No error, and no mapping issue but the surname splitter's "check these" warning: an
    # unmapped code is an issue of its record whatever the lookup's `unmapped:` says.
    unexpected = [
        (child.record_number, issue.location, issue.rule, issue.message)
        for child in mapped
        for issue in child.issues
        if issue.is_error
        or ((issue.rule or "").startswith("map.") and issue.rule != "map.split_surname")
    ]
    assert unexpected == []
    expected = canonical[state]
    assert len(mapped) == len(expected) > 30
    carried = CARRIED[state]
    for child, record in zip(records_of(mapped), expected, strict=True):
        assert carried(child) == carried(record), record.student_id.value


def main() -> None:  # pragma: no cover - regenerates the expected files after a deliberate change
    for expected in EXPECTED_RECORDS:
        records = records_of(map_example(input_of(expected)))
        expected.write_text("".join(canonical_line(r) + "\n" for r in records), encoding="utf-8")
        print(f"wrote {_id(expected)}")
    for expected in EXPECTED_ISSUES:
        report = issue_report(map_example(input_of(expected)))
        expected.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
        print(f"wrote {_id(expected)}")
    for expected in EXPECTED_REJECTIONS:
        rejection = rejection_report(input_of(expected))
        expected.write_text(json.dumps(rejection, ensure_ascii=False, indent=2) + "\n", "utf-8")
        print(f"wrote {_id(expected)}")


if __name__ == "__main__":  # pragma: no cover
    main()
