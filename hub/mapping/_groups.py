"""From rows to children, and from a child's rows to the items of its repeated groups.

A child is one row, unless a group reads rows: then contiguous rows with the same key make one
child (blank keys included: a child whose key was left out of every row is one child with one
`map.key` issue), and a key that comes back after other keys is an issue (the state's extract
split the child in two, and neither part can be trusted to be the whole record).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from hub.errors import Issue, IssueCode, error
from hub.mapping._readers import SourceRow
from hub.mapping._registry import RowView, TransformError
from hub.mapping._spec import Group, Instance, Mapping


@dataclass
class Child:
    """The rows of one child, in file order, with its 1-based number in the file."""

    number: int
    rows: list[SourceRow]
    key: str | None
    issues: list[Issue] = field(default_factory=list)


class ItemSource(NamedTuple):
    """Where one group item reads from: a row (or JSON element), its label and its line."""

    row: RowView
    line: int
    label_prefix: str
    instance: Instance


def row_key(mapping: Mapping, row: SourceRow) -> str | None:
    if mapping.key is None:
        return None
    try:
        return RowView(row.values).get(mapping.key)
    except TransformError:
        return None


def children(mapping: Mapping, rows: Iterable[SourceRow]) -> Iterator[Child]:
    """Group rows into children (see the module docstring); skipped rows are dropped."""
    number = 0
    current: Child | None = None
    first_seen: dict[str, int] = {}
    for row in rows:
        if mapping.skip_rows is not None and mapping.skip_rows.matches(RowView(row.values)):
            continue
        key = row_key(mapping, row)
        if mapping.multi_row and current is not None and _continues(mapping, current, key, row):
            current.rows.append(row)
            continue
        if current is not None:
            yield current
        number += 1
        current = Child(number, [row], key)
        if mapping.multi_row and key is not None:
            if key in first_seen:
                current.issues.append(
                    error(
                        IssueCode.DUPLICATE,
                        f"rows with this student id already came as record {first_seen[key]}; "
                        "a child's rows must be contiguous",
                        mapping.key,
                        "map.key-contiguous",
                    )
                )
            else:
                first_seen[key] = number
    if current is not None:
        yield current


def _continues(mapping: Mapping, current: Child, key: str | None, row: SourceRow) -> bool:
    """Whether `row` belongs to the child being read: it has the same key. Rows whose key is
    blank stay with the blank-key rows before them (one child with one `map.key` issue, not one
    per row), unless the row is a student row, which starts the next child."""
    if key != current.key:
        return False
    if key is not None or mapping.record_rows is None:
        return True
    return not mapping.record_rows.matches(RowView(row.values))


def item_sources(group: Group, record_row: SourceRow, child: Child) -> Iterator[ItemSource]:
    """The sources of each item of `group`, in order. Outside `rows` groups, an item whose
    source fields are all blank (an unused numbered column set, an empty element) is skipped."""
    if group.kind == "rows":
        assert group.rows is not None
        (instance,) = group.instances
        for row in child.rows:
            view = RowView(row.values)
            if group.rows.matches(view) and _applies(instance, view):
                yield ItemSource(view, row.line, "", instance)
        return
    record_view = RowView(record_row.values)
    if group.kind == "nested":
        assert group.nested is not None
        (instance,) = group.instances
        elements = record_view.raw(group.nested)
        if not isinstance(elements, list):
            return
        for index, element in enumerate(elements):
            view = RowView(element if isinstance(element, dict) else {})
            if not _all_blank(instance, view) and _applies(instance, view):
                yield ItemSource(view, record_row.line, f"{group.nested}[{index}].", instance)
        return
    for instance in group.instances:
        if not _all_blank(instance, record_view) and _applies(instance, record_view):
            yield ItemSource(record_view, record_row.line, "", instance)


def _applies(instance: Instance, row: RowView) -> bool:
    return all(condition.holds(row) for condition in instance.when)


def _all_blank(instance: Instance, row: RowView) -> bool:
    if not instance.source_fields:
        return False
    for name in instance.source_fields:
        try:
            if row.get(name) is not None:
                return False
        except TransformError:
            return False
    return True
