"""The file as a whole (`file:`): its header and trailer reconciled with what it holds, and its
limits (DOMAIN.md §4: state, submission time, counts, effective dates; 40,000 children a file).

A header's own values are checked when it is met; counts only when the file has been read to
the end. Every problem is collected and `finish` raises one `FileRejected` listing them all,
each located at the summary field (`header.STUDENT_COUNT`) with what was expected and found.
Once the file is known to be rejected its records are no longer mapped, only counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from hub.errors import Issue, IssueCode, error
from hub.mapping._readers import FileRejected, SourceRow, cut, width
from hub.mapping._registry import RowView, TransformError
from hub.mapping._spec import FileCheck, Mapping, Summary
from hub.mapping._xml import XmlSummary

TIME_DIRECTIVES = {
    "Y": r"(?P<Y>\d{4})",
    "m": r"(?P<m>\d{2})",
    "d": r"(?P<d>\d{2})",
    "H": r"(?P<H>\d{2})",
    "M": r"(?P<M>\d{2})",
    "S": r"(?P<S>\d{2})",
    # DOMAIN §4's timestamp ends in milliseconds (YYYYMMDDhhmmssSSS): three digits, not strptime's
    # one to six microsecond digits, so a 16- or 18-digit stamp does not pass.
    "f": r"(?P<f>\d{3})",
}
_DIRECTIVE = re.compile(r"%(.?)")
_PIECES = re.compile(r"([^%]*)(?:%(.))?")
_KIND_RULES = {"equals_state": "state", "equals": "value", "counts": "count", "format": "format"}


def format_problem(fmt: str) -> str | None:
    """Why `fmt` cannot be a file check's format, or None."""
    found = _DIRECTIVE.findall(fmt)
    unknown = sorted({f"%{d}" for d in found if d not in TIME_DIRECTIVES})
    if unknown:
        allowed = " ".join(f"%{d}" for d in TIME_DIRECTIVES)
        return f"format {fmt!r} uses {', '.join(unknown)}; file checks use only {allowed}"
    repeated = sorted({f"%{d}" for d in found if found.count(d) > 1})
    if repeated:
        return f"format {fmt!r} uses {', '.join(repeated)} more than once"
    if not {"Y", "m", "d"} <= set(found):
        return f"format {fmt!r} needs a year, a month and a day (%Y %m %d)"
    return None


@cache
def _pattern(fmt: str) -> re.Pattern[str]:
    pattern = ""
    for literal, directive in _PIECES.findall(fmt):
        pattern += re.escape(literal)
        if directive:
            pattern += TIME_DIRECTIVES[directive]
    return re.compile(pattern)


def read_time(text: str, fmt: str) -> datetime | None:
    """`text` read in `fmt` (checked by `format_problem`), or None when it does not fit."""
    match = _pattern(fmt).fullmatch(text)
    if match is None:
        return None
    parts = {key: int(value) for key, value in match.groupdict().items() if value is not None}
    try:
        return datetime(
            parts["Y"],
            parts["m"],
            parts["d"],
            parts.get("H", 0),
            parts.get("M", 0),
            parts.get("S", 0),
            parts.get("f", 0) * 1000,
        )
    except ValueError:
        return None


@dataclass(frozen=True)
class _Found:
    """A header or trailer as read: its line and its fields."""

    line: int | None
    values: dict[str, Any]


class FileChecker:
    """Follows one file through `map_file`: line formats pass their rows through `body`, XML
    reports its summary elements (`element`) and records (`record`); each child asks `admit`
    whether to map it; `finish` raises `FileRejected` with every file-level issue."""

    def __init__(self, mapping: Mapping) -> None:
        self.state = mapping.state
        self.rules = mapping.file
        self.issues: list[Issue] = []
        self.rows = 0
        self.children = 0
        self.xml_elements = frozenset(
            summary.element for summary in self.rules.summaries if summary.element is not None
        )
        self._reported: set[tuple[str | None, str | None]] = set()
        self._started = False
        self._header: _Found | None = None
        self._trailer: _Found | None = None
        self._trailer_seen = False
        self.submitted_at: datetime | None = None  # the header's submission time, once read

    @property
    def rejected(self) -> bool:
        """Whether the file is already known to be rejected."""
        limit = self.rules.max_children
        return bool(self.issues) or (limit is not None and self.children > limit)

    def body(self, rows: Iterable[SourceRow]) -> Iterator[SourceRow]:
        """The rows that are records: the header and trailer rows are taken out and read."""
        header, trailer = self.rules.header, self.rules.trailer
        header_rows = header.rows if header is not None else None
        trailer_rows = trailer.rows if trailer is not None else None
        for row in rows:
            if header_rows is not None or trailer_rows is not None:
                view = RowView(row.values)
                if header is not None and header_rows is not None and header_rows.matches(view):
                    self._met(header, self._read_row(header, row))
                    continue
                if trailer is not None and trailer_rows is not None and trailer_rows.matches(view):
                    self._met(trailer, self._read_row(trailer, row))
                    continue
            self.record(row.line)
            self.rows += 1
            yield row

    def element(self, found: XmlSummary) -> None:
        """An XML header or trailer element, in file order among the records."""
        for summary in self.rules.summaries:
            if summary.element == found.name:
                self._met(summary, _Found(found.line, dict(found.values)))
                return

    def record(self, line: int | None) -> None:
        """A record (a row, or an XML record element) was read at `line`."""
        header = self.rules.header
        if not self._started and header is not None and self._header is None:
            self._add(header, "missing", "the file does not begin with its header", None, line)
        self._started = True
        if self._trailer is not None and self.rules.trailer is not None:
            message = "the trailer is not the last record: records follow it"
            self._add(self.rules.trailer, "position", message, None, self._trailer.line)
            self._trailer = None

    def admit(self) -> bool:
        """Count one child; whether it is worth mapping (the file is not known to be rejected)."""
        self.children += 1
        return not self.rejected

    def finish(self) -> None:
        """Check what only the end of the file can tell; raise `FileRejected` if anything failed."""
        header, trailer = self.rules.header, self.rules.trailer
        if header is not None:
            if self._header is None and not self._started:
                self._add(header, "missing", "the file has no header", None, None)
            elif self._header is not None:
                self._check(header, self._header, counts=True)
        if trailer is not None:
            if self._trailer is not None:
                self._check(trailer, self._trailer, counts=False)
                self._check(trailer, self._trailer, counts=True)
            elif not self._trailer_seen:
                self._add(trailer, "missing", "the file has no trailer", None, None)
        limit = self.rules.max_children
        if limit is not None and self.children > limit:
            message = f"the file holds {self.children:,} children; at most {limit:,} a file"
            issue = error(IssueCode.BUSINESS_RULE, message, "file", "file.children-limit")
            self.issues.append(issue)
        if self.issues:
            raise FileRejected(self.issues)

    # Reading and checking one summary

    def _read_row(self, summary: Summary, row: SourceRow) -> _Found:
        problem: str | None = None
        if summary.cells and isinstance(row.raw, list):
            values: dict[str, Any] = dict(zip(summary.cells, row.raw, strict=False))
            if len(row.raw) != len(summary.cells):
                problem = (
                    f"the {summary.part} row has {len(row.raw)} cells; its columns are "
                    f"{', '.join(summary.cells)}"
                )
        elif summary.layout and isinstance(row.raw, str):
            values = cut(row.raw, summary.layout)
            needed = width(summary.layout)
            if len(row.raw) < needed:
                problem = (
                    f"the {summary.part} line has {len(row.raw)} characters; its layout needs "
                    f"{needed}"
                )
        else:
            values = row.values
            problem = row.problem.message if row.problem is not None else None
        if problem is not None:
            self._add(summary, "shape", problem, None, row.line)
        return _Found(row.line, values)

    def _met(self, summary: Summary, found: _Found) -> None:
        if summary.part == "trailer":
            if self._trailer is not None:
                message = "the trailer is not the last record: another trailer follows it"
                self._add(summary, "position", message, None, self._trailer.line)
            self._trailer, self._trailer_seen = found, True
            return
        if self._started or self._header is not None:
            message = (
                "a header after the first record: the header comes first"
                if self._started
                else "a second header: a file has one"
            )
            self._add(summary, "position", message, None, found.line)
            return
        self._header = found
        self._check(summary, found, counts=False)

    def _check(self, summary: Summary, found: _Found, *, counts: bool) -> None:
        for check in summary.checks:
            if (check.kind == "counts") == counts:
                self._check_one(summary, found, check)

    def _check_one(self, summary: Summary, found: _Found, check: FileCheck) -> None:
        kind = _KIND_RULES[check.kind]
        text = self._text(summary, found, check.field, kind)
        if text is None:
            return
        name, expected = check.field, check.argument
        message: str | None = None
        if check.kind == "equals_state" and text != self.state:
            message = f"{name} is {text!r}; expected {self.state!r}, the mapping's state"
        elif check.kind == "equals" and text != expected:
            message = f"{name} is {text!r}; expected {expected!r}"
        elif check.kind == "counts":
            actual = self.children if expected == "children" else self.rows
            if not text.isdigit():
                message = f"{name} is {text!r}, not a whole number; the file holds {actual:,}"
            elif int(text) != actual:
                message = f"{name} says {int(text):,} {expected}; the file holds {actual:,}"
        elif check.kind == "format":
            self._check_time(summary, found, check, text)
        if message is not None:
            self._add(summary, kind, message, name, found.line)

    def _check_time(self, summary: Summary, found: _Found, check: FileCheck, text: str) -> None:
        fmt = check.argument
        value = read_time(text, fmt)
        if value is None:
            message = f"{check.field} is {text!r}, not a date or time in the format {fmt}"
            self._add(summary, "format", message, check.field, found.line)
        elif check.submitted:
            self.submitted_at = value
        if check.before is None:
            return
        other = self._text(summary, found, check.before, "format")
        later = read_time(other, fmt) if other is not None else None
        if other is not None and later is None:
            message = f"{check.before} is {other!r}, not a date or time in the format {fmt}"
            self._add(summary, "format", message, check.before, found.line)
        if value is not None and later is not None and not value < later:
            message = f"{check.field} {text} is not before {check.before} {other}"
            self._add(summary, "order", message, check.field, found.line)

    def _text(self, summary: Summary, found: _Found, name: str, kind: str) -> str | None:
        try:
            text = RowView(found.values).get(name)
        except TransformError as exc:
            self._add(summary, kind, str(exc), name, found.line)
            return None
        if text is None:
            self._add(summary, kind, f"{name} is blank or missing", name, found.line)
            return None
        return text.strip()

    def _add(
        self, summary: Summary, kind: str, message: str, name: str | None, line: int | None
    ) -> None:
        location = f"{summary.part}.{name}" if name else summary.part
        rule = f"file.{summary.part}-{kind}"
        if (location, rule) in self._reported:
            return
        self._reported.add((location, rule))
        shown = f"{message} (line {line})" if line is not None else message
        code = _CODES.get(kind, IssueCode.VALUE)
        self.issues.append(error(code, shown, location, rule))


_CODES = {
    "missing": IssueCode.REQUIRED,
    "position": IssueCode.STRUCTURE,
    "shape": IssueCode.STRUCTURE,
    "count": IssueCode.INVARIANT,
    "order": IssueCode.INVARIANT,
}
