"""Streaming readers for line formats: CSV, fixed-width and JSON lines.

Each reader is a generator over the binary stream, one line at a time, so memory does not grow
with the file. A line that cannot be decoded in the declared encoding, or a CSV header that lacks
a column the mapping reads, rejects the file (`FileRejected`); a row that cannot be read (wrong
cell count, a line shorter than the layout, bad JSON) is a problem of that record only.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from hub.errors import Issue, IssueCode, ValidationError, error
from hub.mapping._spec import Column, Mapping


class FileRejected(ValidationError):  # noqa: N818 - the name the ingest contract uses
    """The file as a whole cannot be read (encoding, header, XML syntax); nothing in it counts.

    It may be raised after some records were yielded: callers stage records until the file has
    been read to the end."""


@dataclass
class SourceRow:
    """One row of the native file: its first line, its values, and why it cannot be read.

    `raw` is what the values were cut from (a CSV row's cells, a fixed-width line), kept so a
    header or trailer with its own layout can be cut again."""

    line: int
    values: dict[str, Any]
    problem: Issue | None = None
    raw: list[str] | str | None = None


def read_rows(mapping: Mapping, stream: IO[bytes]) -> Iterator[SourceRow]:
    """The rows of a csv, fixed-width or jsonl file, per the mapping's format section."""
    lines = _decoded(stream, mapping.encoding)
    if mapping.format == "csv":
        return _csv_rows(mapping, lines)
    if mapping.format == "fixed-width":
        return _fixed_rows(mapping, lines)
    return _json_rows(lines)


def _decoded(stream: IO[bytes], encoding: str) -> Iterator[tuple[int, str]]:
    # "\n" never occurs inside a UTF-8, Latin-1 or cp1252 character, so splitting the bytes on it
    # before decoding is safe, and a decoding error can name its line and byte offset.
    offset = 0
    for number, raw in enumerate(stream, start=1):
        data = raw
        if number == 1 and encoding == "utf-8" and data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
            offset += len(codecs.BOM_UTF8)
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            where = f"line {number}, byte {offset + exc.start}"
            message = (
                f"the file is not valid {encoding}: byte 0x{data[exc.start]:02X} cannot be decoded"
            )
            raise FileRejected([error(IssueCode.INVALID, message, where, "file.encoding")]) from exc
        offset += len(data)
        yield number, text


def _csv_rows(mapping: Mapping, lines: Iterator[tuple[int, str]]) -> Iterator[SourceRow]:
    position = {"line": 0}

    def texts() -> Iterator[str]:
        for number, text in lines:
            position["line"] = number
            yield text

    reader = csv.reader(texts(), delimiter=mapping.delimiter, quotechar=mapping.quote, strict=True)
    names = list(mapping.columns)
    if mapping.header:
        names = _header(reader, mapping)
    while True:
        start = position["line"] + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = f"the row is not valid CSV: {exc}"
            yield SourceRow(start, {}, error(IssueCode.STRUCTURE, message, None, "file.csv"))
            continue
        if not cells or cells == [""]:
            continue
        values = dict(zip(names, cells, strict=False))
        problem: Issue | None = None
        if len(cells) != len(names):
            message = f"the row has {len(cells)} cells; the header has {len(names)}"
            problem = error(IssueCode.STRUCTURE, message, None, "file.row-shape")
        yield SourceRow(start, values, problem, cells)


def _header(reader: Any, mapping: Mapping) -> list[str]:
    try:
        names = [name.strip() for name in next(reader)]
    except StopIteration:
        raise FileRejected([_header_issue("the file is empty: no header row")]) from None
    except csv.Error as exc:
        raise FileRejected([_header_issue(f"the header row is not valid CSV: {exc}")]) from exc
    issues = []
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        issues.append(_header_issue(f"columns named more than once: {', '.join(duplicates)}"))
    missing = [name for name in sorted(mapping.source_fields) if name not in names]
    if missing:
        issues.append(_header_issue(f"columns the mapping reads are missing: {', '.join(missing)}"))
    if issues:
        raise FileRejected(issues)
    return names


def _header_issue(message: str) -> Issue:
    return error(IssueCode.STRUCTURE, message, "line 1", "file.header")


def _fixed_rows(mapping: Mapping, lines: Iterator[tuple[int, str]]) -> Iterator[SourceRow]:
    common = mapping.layout
    layouts = {
        record_type: (*common, *columns) for record_type, columns in mapping.typed_layouts.items()
    }
    widths = {record_type: width(layout) for record_type, layout in layouts.items()}
    common_width = width(common)
    type_at = next((column for column in common if column.name == mapping.type_column), None)
    for number, text in lines:
        line = text.rstrip("\r\n")
        if not line.strip():
            continue
        layout, needed = common, common_width
        if type_at is not None:
            # Each record type has its own columns beside the common ones (FL: S, P, E...).
            start = type_at.start - 1
            record_type = line[start : start + type_at.length].strip()
            layout = layouts.get(record_type, common)
            needed = widths.get(record_type, common_width)
        values = cut(line, layout)
        problem: Issue | None = None
        if len(line) < needed:
            message = f"the line has {len(line)} characters; the layout needs {needed}"
            problem = error(IssueCode.STRUCTURE, message, None, "file.short-line")
        yield SourceRow(number, values, problem, line)


def width(layout: tuple[Column, ...]) -> int:
    """The characters a line needs to hold every column of `layout`."""
    return max((column.start + column.length - 1 for column in layout), default=0)


def cut(line: str, layout: tuple[Column, ...]) -> dict[str, Any]:
    """The values of `line` by the columns of `layout` that it reaches."""
    # Spaces around a value are padding, not data.
    return {
        column.name: line[column.start - 1 : column.start - 1 + column.length].strip()
        for column in layout
        if column.start - 1 + column.length <= len(line)
    }


def _json_rows(lines: Iterator[tuple[int, str]]) -> Iterator[SourceRow]:
    for number, text in lines:
        if not text.strip():
            continue
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            message = f"the line is not valid JSON: {exc.msg} at column {exc.colno}"
            yield SourceRow(number, {}, error(IssueCode.STRUCTURE, message, None, "file.json"))
            continue
        if not isinstance(values, dict):
            message = "each line must hold one JSON object"
            yield SourceRow(number, {}, error(IssueCode.STRUCTURE, message, None, "file.json"))
            continue
        yield SourceRow(number, values, None)
