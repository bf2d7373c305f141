"""The mapping engine: each state's native file, read through its declarative mapping, becomes
canonical `StudentRecord`s with every problem located (DESIGN.md §2, STANDARDS.md §8).

    mappings = load_mappings()                  # every mappings/<state>/mapping.yaml, checked
    for mapped in map_file(mappings["TX"], path):
        mapped.record, mapped.issues            # a record (or None) and its located issues

The format and every transform function are documented in docs/mappings.md, generated from the
registry and the schema by `python -m hub.mapping.docs > docs/mappings.md`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO

from hub.mapping._docs import render_mapping_docs
from hub.mapping._engine import MappedRecord, map_child, map_xml
from hub.mapping._file_checks import FileChecker
from hub.mapping._groups import children
from hub.mapping._loader import load_mapping, load_mappings
from hub.mapping._readers import FileRejected, read_rows
from hub.mapping._schema import MAPPINGS_DIR
from hub.mapping._spec import Mapping
from hub.mapping._transforms import TRANSFORMS
from hub.mapping._xml import XmlSummary, iter_xml_records

__all__ = [
    "MAPPINGS_DIR",
    "TRANSFORMS",
    "FileRejected",
    "MappedFile",
    "MappedRecord",
    "Mapping",
    "load_mapping",
    "load_mappings",
    "map_file",
    "render_mapping_docs",
]


def map_file(
    mapping: Mapping, source: Path | IO[bytes], *, today: date | None = None
) -> MappedFile:
    """Map a native file, one child at a time, in constant memory.

    Yields a `MappedRecord` per child in file order (`record_number` is the child's 1-based
    ordinal). Record-level problems are issues of their record and never stop the file; a
    file-level problem (undecodable bytes, a header missing a column the mapping reads, bad
    XML, a header or trailer that does not reconcile with the file, more children than the
    mapping's `file.limits`) raises `FileRejected`, possibly after records were yielded and
    possibly only at the very end (counts), so callers keep what they got until the iterator
    ends. `today` is the day dates are judged against (default: today). Once the header has
    been read, the iterator's `submitted_at` is the submission time its `submitted` check names.
    """
    return MappedFile(mapping, source, today if today is not None else date.today())


class MappedFile(Iterator[MappedRecord]):
    """The records of one mapped file, and what its header said (`submitted_at`)."""

    def __init__(self, mapping: Mapping, source: Path | IO[bytes], today: date) -> None:
        self._checker = FileChecker(mapping)
        self._records = self._read(mapping, source, today)

    @property
    def submitted_at(self) -> datetime | None:
        """The header's submission time, as the state wrote it (no time zone is given)."""
        return self._checker.submitted_at

    def __next__(self) -> MappedRecord:
        return next(self._records)

    def _read(
        self, mapping: Mapping, source: Path | IO[bytes], today: date
    ) -> Iterator[MappedRecord]:
        if isinstance(source, Path):
            with source.open("rb") as stream:
                yield from _map_stream(mapping, self._checker, stream, source.name, today)
        else:
            name = getattr(source, "name", None)
            shown = Path(name).name if isinstance(name, str) and name else None
            yield from _map_stream(mapping, self._checker, source, shown, today)


def _map_stream(
    mapping: Mapping, checker: FileChecker, stream: IO[bytes], name: str | None, today: date
) -> Iterator[MappedRecord]:
    if mapping.format == "xml":
        assert mapping.xslt is not None
        assert mapping.record_element is not None
        found_items = iter_xml_records(
            stream, mapping.record_element, mapping.xslt, checker.xml_elements
        )
        for found in found_items:
            if isinstance(found, XmlSummary):
                checker.element(found)
                continue
            checker.record(found.line)
            if checker.admit():
                yield map_xml(mapping, checker.children, found, today, name)
    else:
        for child in children(mapping, checker.body(read_rows(mapping, stream))):
            if checker.admit():
                yield map_child(mapping, child, today, name)
    checker.finish()
