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
from datetime import date
from pathlib import Path
from typing import IO

from hub.mapping._docs import render_mapping_docs
from hub.mapping._engine import MappedRecord, map_child, map_xml
from hub.mapping._groups import children
from hub.mapping._loader import load_mapping, load_mappings
from hub.mapping._readers import FileRejected, read_rows
from hub.mapping._schema import MAPPINGS_DIR
from hub.mapping._spec import Mapping
from hub.mapping._transforms import TRANSFORMS
from hub.mapping._xml import iter_xml_records

__all__ = [
    "MAPPINGS_DIR",
    "TRANSFORMS",
    "FileRejected",
    "MappedRecord",
    "Mapping",
    "load_mapping",
    "load_mappings",
    "map_file",
    "render_mapping_docs",
]


def map_file(
    mapping: Mapping, source: Path | IO[bytes], *, today: date | None = None
) -> Iterator[MappedRecord]:
    """Map a native file, one child at a time, in constant memory.

    Yields a `MappedRecord` per child in file order (`record_number` is the child's 1-based
    ordinal). Record-level problems are issues of their record and never stop the file; a
    file-level problem (undecodable bytes, a header missing a column the mapping reads, bad
    XML) raises `FileRejected`, possibly after records were yielded, so callers keep what they
    got until the iterator ends. `today` is the day dates are judged against (default: today).
    """
    day = today if today is not None else date.today()
    if isinstance(source, Path):
        with source.open("rb") as stream:
            yield from _map_stream(mapping, stream, source.name, day)
    else:
        name = getattr(source, "name", None)
        shown = Path(name).name if isinstance(name, str) and name else None
        yield from _map_stream(mapping, source, shown, day)


def _map_stream(
    mapping: Mapping, stream: IO[bytes], name: str | None, today: date
) -> Iterator[MappedRecord]:
    if mapping.format == "xml":
        assert mapping.xslt is not None
        assert mapping.record_element is not None
        records = iter_xml_records(stream, mapping.record_element, mapping.xslt)
        for number, found in enumerate(records, start=1):
            yield map_xml(mapping, number, found, today, name)
        return
    for child in children(mapping, read_rows(mapping, stream)):
        yield map_child(mapping, child, today, name)
