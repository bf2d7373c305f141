"""Fixed-width layouts of a mapping file: the common columns, each record type's own, and any
other layout (a header's), each checked column by column with located issues."""

from __future__ import annotations

from typing import Any

from hub.mapping._schema import Locator, Pointer, as_dict
from hub.mapping._spec import Column


def common_layout(data: dict[str, Any], locator: Locator) -> tuple[Column, ...]:
    section = data.get("fixed_width")
    raw_columns = section.get("columns") if isinstance(section, dict) else None
    return columns(raw_columns, ("fixed_width", "columns"), (), locator)


def record_type_layouts(
    data: dict[str, Any], common: tuple[Column, ...], locator: Locator
) -> tuple[str | None, dict[str, tuple[Column, ...]]]:
    """The type column and each record type's own columns (`fixed_width.record_types`)."""
    section = as_dict(as_dict(data.get("fixed_width")).get("record_types"))
    type_column = section.get("type_column")
    if not isinstance(type_column, str):
        return None, {}
    where = ("fixed_width", "record_types")
    if common and type_column not in {column.name for column in common}:
        locator.add(
            (*where, "type_column"),
            f"the type column {type_column} is not one of the common columns",
            "map.layout",
        )
    layouts: dict[str, tuple[Column, ...]] = {}
    for record_type, raw_columns in as_dict(section.get("columns")).items():
        pointer = (*where, "columns", str(record_type))
        layouts[str(record_type)] = columns(raw_columns, pointer, common, locator)
    return type_column, layouts


def columns(
    raw_columns: Any, pointer: Pointer, common: tuple[Column, ...], locator: Locator
) -> tuple[Column, ...]:
    """The columns of one layout, each checked against `common` and the ones before it: a
    line never has two columns with one name, nor two that overlap."""
    if not isinstance(raw_columns, list):
        return ()
    found: list[Column] = []
    for index, raw in enumerate(raw_columns):
        if not isinstance(raw, dict):
            continue
        name, start, length = raw.get("name"), raw.get("start"), raw.get("length")
        if not (isinstance(name, str) and isinstance(start, int) and isinstance(length, int)):
            continue
        for other in (*common, *found):
            if other.name == name:
                locator.add(
                    (*pointer, index, "name"), f"column {name} is declared twice", "map.layout"
                )
            elif start < other.start + other.length and other.start < start + length:
                locator.add(
                    (*pointer, index, "start"),
                    f"column {name} overlaps column {other.name}",
                    "map.layout",
                )
        found.append(Column(name, start, length))
    return tuple(found)
