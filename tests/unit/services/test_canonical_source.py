"""The canonical-jsonl reader: one record a line, located issues, file-level rejections."""

from __future__ import annotations

import io

import pytest

from hub.model import Action
from hub.services.canonical_source import MAX_CHILDREN, read_canonical_jsonl
from hub.services.ingest import FileRejected, MappedRecord, Outcome, Timings
from hub.store import Store
from tests.unit.services.ingest_helpers import count, ingest_bytes

GOOD = (
    b'{"student_id": {"state": "TX", "value": "TX1"}, "identity": {"first_name": "Ana", '
    b'"last_name_1": "Ruiz", "sex": "Female", "birth_date": "2014-03-07"}, '
    b'"moves": [{"qualifying_arrival_date": "2024-08-01"}]}'
)


def _read(data: bytes) -> list[MappedRecord]:
    return list(read_canonical_jsonl(io.BytesIO(data)))


def test_a_good_line_becomes_a_record_with_its_key_and_action() -> None:
    [mapped] = _read(GOOD + b"\n")
    assert mapped.record is not None
    assert (mapped.record_number, mapped.line) == (1, 1)
    assert mapped.state_student_id == "TX1"
    assert mapped.action is None  # not sent; the record says insert
    assert mapped.record.action is Action.INSERT
    assert [issue for issue in mapped.issues if issue.is_error] == []


def test_blank_lines_are_skipped_but_lines_are_counted() -> None:
    mapped = _read(b"\xef\xbb\xbf" + GOOD + b"\n\n   \n" + GOOD.replace(b"TX1", b"TX2") + b"\n")
    assert [(item.record_number, item.line) for item in mapped] == [(1, 1), (2, 4)]


def test_model_problems_are_located_under_the_record_with_their_values() -> None:
    bad = GOOD.replace(b'"2014-03-07"', b'"2014-13-07"').replace(b'"Female"', b'"Q"')
    mapped = _read(GOOD + b"\n" + bad + b"\n")[1]
    assert mapped.record is None
    assert mapped.state_student_id == "TX1"
    locations = {issue.location for issue in mapped.issues}
    assert "record[2].identity.birth_date" in locations
    assert mapped.values["record[2].identity.birth_date"] == "2014-13-07"


def test_rule_problems_keep_the_record_and_name_the_rule() -> None:
    bad = GOOD.replace(b'"Female"', b'"Q"')
    [mapped] = _read(bad)
    assert mapped.record is not None
    [problem] = [issue for issue in mapped.issues if issue.is_error]
    assert (problem.location, problem.rule) == ("record[1].identity.sex", "mde.code")
    assert mapped.values == {"record[1].identity.sex": "Q"}


def test_a_later_line_that_is_not_json_is_a_record_issue() -> None:
    mapped = _read(GOOD + b"\n[1, 2]\n{oops\n")
    assert [item.record is None for item in mapped] == [False, True, True]
    assert mapped[1].issues[0].message == "a line must hold one JSON object"
    assert mapped[2].issues[0].rule == "ingest.json"
    assert mapped[2].issues[0].location == "record[3]"


def test_a_first_line_that_is_not_json_rejects_the_file() -> None:
    with pytest.raises(FileRejected) as caught:
        _read(b"STUDENT_ID|LAST_NAME\n" + GOOD)
    assert caught.value.issues[0].rule == "ingest.format"


def test_bytes_that_are_not_utf8_reject_the_file_after_the_good_records() -> None:
    reader = read_canonical_jsonl(io.BytesIO(GOOD + b"\n" + b'{"x": "Pe\xf1a"}\n'))
    assert next(reader).record is not None
    with pytest.raises(FileRejected) as caught:
        next(reader)
    assert caught.value.issues[0].location == "line 2"


def test_the_model_rules_time_counts_as_validation() -> None:
    timings = Timings()
    list(read_canonical_jsonl(io.BytesIO(GOOD * 1 + b"\n"), timings=timings))
    assert timings.validation > 0


def _children(count: int) -> bytes:
    # One real record, then lines that are records too (numbered, each a record-level issue)
    # but cost no model validation: the limit counts children, whatever state they are in.
    return GOOD + b"\n" + b"[]\n" * (count - 1)


def test_forty_thousand_children_is_the_most_a_file_may_hold() -> None:
    assert MAX_CHILDREN == 40_000
    mapped = list(read_canonical_jsonl(io.BytesIO(_children(MAX_CHILDREN))))
    assert len(mapped) == MAX_CHILDREN
    assert mapped[0].record is not None


def test_one_child_more_rejects_the_file_at_the_line_past_the_limit() -> None:
    with pytest.raises(FileRejected) as caught:
        list(read_canonical_jsonl(io.BytesIO(_children(MAX_CHILDREN + 1))))
    [issue] = caught.value.issues
    assert (issue.location, issue.rule) == (f"line {MAX_CHILDREN + 1}", "file.children-limit")
    assert "40,000" in issue.message


def test_a_file_over_the_limit_stores_nothing(store: Store) -> None:
    data = GOOD + b"\n" + GOOD.replace(b"TX1", b"TX2") + b"\n" + GOOD.replace(b"TX1", b"TX3")
    records = read_canonical_jsonl(io.BytesIO(data), max_children=2)

    result = ingest_bytes(store, data, records=records)

    assert result.outcome is Outcome.REJECTED
    assert [issue.rule for issue in result.acknowledgement.file_issues] == ["file.children-limit"]
    assert count(store, "state_records") == 0
    assert count(store, "quarantine") == 0
    assert count(store, "students") == 0
