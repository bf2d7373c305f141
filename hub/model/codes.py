"""Code sets held as data: one CSV per set in `hub/model/codesets/` (DOMAIN.md §3).

Each file starts with `# key: value` header lines (title, source, status, reviewed, any number of
notes) and then the columns `code,display,system,valid_from,valid_to`. Validity dates are
inclusive and optional; they bound the date a code applies to (for CVX, the dose date).

Sets are read once per process and cached. Asking for a set that does not exist is a programming
error (`KeyError`); a code that is not in a set is data, reported by `hub.model.rules` as an issue.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib.resources import files
from types import MappingProxyType

from hub.errors import ConfigurationError, Issue, IssueCode, error

COLUMNS = ("code", "display", "system", "valid_from", "valid_to")
_REQUIRED_HEADERS = ("title", "source", "status", "reviewed")


@dataclass(frozen=True, slots=True)
class Code:
    """One code of a code set."""

    code: str
    display: str
    system: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, on: date) -> bool:
        """Whether the code applies on `on` (both bounds inclusive, missing bounds open)."""
        if self.valid_from is not None and on < self.valid_from:
            return False
        return self.valid_to is None or on <= self.valid_to


@dataclass(frozen=True)
class CodeSet:
    """A named, ordered set of codes with its provenance header."""

    name: str
    title: str
    source: str
    status: str
    reviewed: date
    notes: tuple[str, ...]
    codes: tuple[Code, ...]
    _by_code: Mapping[str, Code] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_code = MappingProxyType({code.code: code for code in self.codes})
        object.__setattr__(self, "_by_code", by_code)

    @property
    def confirmed(self) -> bool:
        return self.status.startswith("confirmed")

    @property
    def system(self) -> str | None:
        """The code system URI shared by every code, or None (no URI, or several systems)."""
        systems = {code.system for code in self.codes}
        return systems.pop() if len(systems) == 1 else None

    def contains(self, code: str, on: date | None = None) -> bool:
        """Whether `code` is in the set, and, when `on` is given, valid on that date."""
        found = self._by_code.get(code)
        if found is None:
            return False
        return on is None or found.valid_on(on)

    def get(self, code: str) -> Code | None:
        return self._by_code.get(code)

    def display(self, code: str) -> str | None:
        """The display text of `code`, or None when the code is not in the set."""
        found = self._by_code.get(code)
        return None if found is None else found.display

    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)


def codeset(name: str) -> CodeSet:
    """The code set called `name` (the `codeset=` of a model field)."""
    sets = all_codesets()
    try:
        return sets[name]
    except KeyError:
        known = ", ".join(sets)
        raise KeyError(f"unknown code set {name!r}; known code sets: {known}") from None


@cache
def all_codesets() -> Mapping[str, CodeSet]:
    """Every packaged code set by name, sorted by name. Raises ConfigurationError listing every
    problem in every file when the package data is malformed."""
    folder = files("hub.model").joinpath("codesets")
    sets: dict[str, CodeSet] = {}
    issues: list[Issue] = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".csv"):
            continue
        name = entry.name.removesuffix(".csv")
        parsed, found = _parse(name, entry.read_text(encoding="utf-8"))
        issues.extend(found)
        if parsed is not None:
            sets[name] = parsed
    if issues:
        raise ConfigurationError(issues)
    return MappingProxyType(sets)


def _parse(name: str, text: str) -> tuple[CodeSet | None, list[Issue]]:
    lines = text.splitlines()
    headers: dict[str, str] = {}
    notes: list[str] = []
    issues: list[Issue] = []

    def fail(line: int, message: str) -> None:
        issues.append(error(IssueCode.INVALID, message, f"codesets/{name}.csv:{line}"))

    body_start = len(lines)
    for number, line in enumerate(lines, start=1):
        if not line.startswith("#"):
            body_start = number - 1
            break
        key, sep, value = line.lstrip("#").strip().partition(":")
        if not sep:
            fail(number, "header lines must read '# key: value'")
        elif key == "note":
            notes.append(value.strip())
        else:
            headers[key] = value.strip()
    for key in _REQUIRED_HEADERS:
        if key not in headers:
            fail(1, f"missing '# {key}:' header")

    rows = list(csv.reader(lines[body_start:]))
    if not rows or tuple(rows[0]) != COLUMNS:
        fail(body_start + 1, f"column row must be {','.join(COLUMNS)}")
        return None, issues
    codes: list[Code] = []
    seen: set[str] = set()
    for offset, row in enumerate(rows[1:], start=body_start + 2):
        if len(row) != len(COLUMNS) or not row[0] or not row[1]:
            fail(offset, "each row needs a code, a display and all five columns")
            continue
        code, display, system, valid_from, valid_to = row
        if code in seen:
            fail(offset, f"duplicate code {code!r}")
        seen.add(code)
        try:
            start = date.fromisoformat(valid_from) if valid_from else None
            end = date.fromisoformat(valid_to) if valid_to else None
        except ValueError:
            fail(offset, "valid_from and valid_to must be YYYY-MM-DD or empty")
            continue
        if start is not None and end is not None and end < start:
            fail(offset, "valid_to is before valid_from")
        codes.append(Code(code, display, system or None, start, end))
    reviewed = date.min
    if "reviewed" in headers:
        try:
            reviewed = date.fromisoformat(headers["reviewed"])
        except ValueError:
            fail(1, "'# reviewed:' must be a YYYY-MM-DD date")
    if issues:
        return None, issues
    codeset_ = CodeSet(
        name=name,
        title=headers["title"],
        source=headers["source"],
        status=headers["status"],
        reviewed=reviewed,
        notes=tuple(notes),
        codes=tuple(codes),
    )
    return codeset_, issues
