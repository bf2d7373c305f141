"""The `canonical-jsonl` format: one canonical `StudentRecord` as JSON per line.

It is what `msix synth` writes, and what a state vendor that already produces canonical records
sends. Records are read one line at a time (constant memory) and come out as `MappedRecord`s
with located issues: `record[<n>].<path>`, `n` counting records (blank lines are skipped).

A line that is not a JSON object, or a record the model refuses, is a record-level issue: it
never sinks the rest of the file. Bytes that are not UTF-8, a first record that is not JSON at
all (most likely another format sent by mistake), and more than 40,000 children (DOMAIN.md §4,
the limit every mapping's `file.limits` declares too) reject the file as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

import orjson
from pydantic import ValidationError as PydanticValidationError

from hub.errors import IssueCode, error
from hub.model import Action, StudentRecord, check_record, parse_record
from hub.services.ingest import FileRejected, MappedRecord, Timings

FORMAT = "canonical-jsonl"
MAX_CHILDREN = 40_000  # a file, as for every native format (DOMAIN.md §4)
_BOM = b"\xef\xbb\xbf"
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_VALUE_CHARS = 200


def read_canonical_jsonl(
    source: Path | IO[bytes],
    *,
    today: date | None = None,
    timings: Timings | None = None,
    max_children: int = MAX_CHILDREN,
) -> Iterator[MappedRecord]:
    """Yield one `MappedRecord` per non-blank line of `source`.

    `today` is the day dates are judged against (default: today). With `timings`, the model
    rules' time is added to `timings.validation` (the pipeline counts the rest as mapping).
    A record past `max_children` raises `FileRejected` (the pipeline then stores nothing).
    """
    day = today if today is not None else date.today()
    if isinstance(source, Path):
        with source.open("rb") as stream:
            yield from _records(stream, day, timings or Timings(), max_children)
    else:
        yield from _records(source, day, timings or Timings(), max_children)


def _records(
    stream: IO[bytes], today: date, timings: Timings, max_children: int
) -> Iterator[MappedRecord]:
    number = 0
    for line_number, raw in enumerate(stream, start=1):
        line = raw.removeprefix(_BOM) if line_number == 1 else raw
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileRejected(
                [
                    error(
                        IssueCode.INVALID,
                        f"byte {exc.start + 1} is not UTF-8; canonical JSON lines are UTF-8",
                        f"line {line_number}",
                        "ingest.encoding",
                    )
                ]
            ) from exc
        if not text.strip():
            continue
        number += 1
        if number > max_children:
            raise FileRejected(
                [
                    error(
                        IssueCode.BUSINESS_RULE,
                        f"the file holds more than {max_children:,} children; at most "
                        f"{max_children:,} a file: split it",
                        f"line {line_number}",
                        "file.children-limit",
                    )
                ]
            )
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            if number == 1:
                raise FileRejected(
                    [
                        error(
                            IssueCode.STRUCTURE,
                            f"the first record is not JSON ({exc.msg}): is this file in the "
                            f"{FORMAT} format?",
                            f"line {line_number}",
                            "ingest.format",
                        )
                    ]
                ) from exc
            yield _unreadable(number, line_number, f"not JSON: {exc.msg}")
            continue
        if not isinstance(data, dict):
            yield _unreadable(number, line_number, "a line must hold one JSON object")
            continue
        yield _mapped(number, line_number, data, today, timings)


def _mapped(
    number: int, line: int, data: dict[str, Any], today: date, timings: Timings
) -> MappedRecord:
    record: StudentRecord | None
    try:
        record = StudentRecord.model_validate(data)
    except PydanticValidationError:
        record, issues = parse_record(data, today=today)  # located structural issues
    else:
        with timings.timing("validation"):
            issues = check_record(record, today=today)
    prefix = f"record[{number}]"
    located = [issue.at(prefix) for issue in issues]
    values: dict[str, str] = {}
    for issue, where in zip(issues, located, strict=True):
        found = _value_at(data, issue.location)
        if found is not None and where.location is not None:
            values[where.location] = found
    return MappedRecord(
        record_number=number,
        line=line,
        state_student_id=_text(data.get("student_id"), "value"),
        action=_action(data.get("action")),
        record=record,
        issues=located,
        values=values,
    )


def _unreadable(number: int, line: int, why: str) -> MappedRecord:
    issue = error(IssueCode.STRUCTURE, why, f"record[{number}]", "ingest.json")
    return MappedRecord(number, line, None, None, None, [issue], {})


def _text(holder: object, key: str) -> str | None:
    value = holder.get(key) if isinstance(holder, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def _action(value: object) -> Action | None:
    try:
        return Action(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _value_at(data: dict[str, Any], location: str | None) -> str | None:
    """The raw value at a dotted path (`moves[0].qualifying_arrival_date`), as text."""
    if not location:
        return None
    value: Any = data
    for name, index in _PATH_PART.findall(location):
        if name and isinstance(value, dict) and name in value:
            value = value[name]
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return None
    if isinstance(value, dict | list):
        return None
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= _VALUE_CHARS else text[:_VALUE_CHARS] + "..."
