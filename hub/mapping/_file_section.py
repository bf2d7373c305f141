"""Loading the `file:` section of a mapping: the header and trailer (how each is found, its own
layout, its checks) and the file's limits. The schema has checked shapes; this module checks
what depends on the format and on the other keys, each problem located (`map.file`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from hub.mapping._compile import Compiler
from hub.mapping._file_checks import format_problem
from hub.mapping._layout import columns
from hub.mapping._schema import Locator, Pointer, as_dict, as_list
from hub.mapping._spec import CheckKind, Column, FileCheck, FileRules, Format, Part, Summary

_KINDS = ("equals_state", "equals", "counts", "format")


@dataclass
class LoadedFile:
    """The checked `file:` section, and the fields it reads from ordinary rows (the summaries'
    type fields, and their checked fields when they have no layout of their own): the loader
    checks those against the file's columns like any field a rule reads."""

    rules: FileRules
    row_fields: list[str] = field(default_factory=list)


def load_file_section(
    data: dict[str, Any],
    fmt: Format,
    common: tuple[Column, ...],
    compiler: Compiler,
    locator: Locator,
) -> LoadedFile:
    raw = as_dict(data.get("file"))
    loaded = LoadedFile(FileRules())
    parts: dict[Part, Summary | None] = {"header": None, "trailer": None}
    for part in ("header", "trailer"):
        if isinstance(raw.get(part), dict):
            parts[part] = _summary(part, raw[part], fmt, common, compiler, locator, loaded)
    header, trailer = parts["header"], parts["trailer"]
    record_element = as_dict(data.get("xml")).get("record_element")
    for summary in (header, trailer):
        if summary is not None and summary.element and summary.element == record_element:
            locator.add(
                ("file", summary.part, "element"),
                f"{record_element} is the record element; a {summary.part} is another element",
                "map.file",
            )
    if header and trailer and header.element and header.element == trailer.element:
        locator.add(
            ("file", "trailer", "element"),
            f"the header and the trailer cannot both be element {header.element}",
            "map.file",
        )
    limits = as_dict(raw.get("limits"))
    children, items = limits.get("children"), limits.get("items_per_group")
    loaded.rules = FileRules(
        header=header,
        trailer=trailer,
        max_children=children if isinstance(children, int) else None,
        max_group_items=items if isinstance(items, int) else None,
    )
    return loaded


def _summary(
    part: Part,
    raw: dict[str, Any],
    fmt: Format,
    common: tuple[Column, ...],
    compiler: Compiler,
    locator: Locator,
    loaded: LoadedFile,
) -> Summary | None:
    pointer: Pointer = ("file", part)
    ok = True
    if fmt == "xml":
        for key in ("rows", "columns"):
            if key in raw:
                message = f"with format xml the {part} is an element: use element:, not {key}:"
                locator.add((*pointer, key), message, "map.file")
                ok = False
        if "element" not in raw:
            message = f"with format xml the {part} needs element: (its local name)"
            locator.add(pointer, message, "map.file")
            ok = False
    else:
        if "element" in raw:
            message = f"element: is for format xml; a {fmt} {part} is found by rows:"
            locator.add((*pointer, "element"), message, "map.file")
            ok = False
        if "rows" not in raw:
            message = f"the {part} needs rows: (the row type that marks it)"
            locator.add(pointer, message, "map.file")
            ok = False
    rows = compiler.row_filter(raw.get("rows"), (*pointer, "rows")) if "rows" in raw else None
    if rows is not None and rows.type_field is not None:
        loaded.row_fields.append(rows.type_field)
        if fmt == "fixed-width" and common and rows.type_field not in {c.name for c in common}:
            locator.add(
                (*pointer, "rows", "type_field"),
                f"{rows.type_field} is not one of the common columns, so a {part} line cannot "
                "be told apart by it",
                "map.file",
            )
    cells, layout = _own_layout(raw.get("columns"), fmt, (*pointer, "columns"), locator)
    own = {*cells, *(column.name for column in layout)}
    checks = [
        _check(item, fmt, own, (*pointer, "checks", index), locator, loaded)
        for index, item in enumerate(as_list(raw.get("checks")))
    ]
    if sum(1 for check in checks if check is not None and check.submitted) > 1:
        message = "only one check can say submitted: a file has one submission time"
        locator.add((*pointer, "checks"), message, "map.file")
        ok = False
    if not ok or None in checks or ("rows" in raw and rows is None):
        return None
    element = raw.get("element")
    return Summary(
        part=part,
        rows=rows,
        element=element if isinstance(element, str) else None,
        cells=cells,
        layout=layout,
        checks=tuple(check for check in checks if check is not None),
    )


def _own_layout(
    raw: Any, fmt: Format, pointer: Pointer, locator: Locator
) -> tuple[tuple[str, ...], tuple[Column, ...]]:
    if not isinstance(raw, list):
        return (), ()
    if fmt == "csv":
        if not all(isinstance(item, str) for item in raw):
            locator.add(pointer, "with format csv the columns are cell names", "map.file")
            return (), ()
        cells = tuple(cast(Iterable[str], raw))
        repeated = sorted({name for name in cells if cells.count(name) > 1})
        if repeated:
            locator.add(pointer, f"cells named more than once: {', '.join(repeated)}", "map.file")
        return cells, ()
    if fmt == "fixed-width":
        if not all(isinstance(item, dict) for item in raw):
            locator.add(
                pointer, "with format fixed-width the columns are {name, start, length}", "map.file"
            )
            return (), ()
        return (), columns(raw, pointer, (), locator)
    if fmt == "jsonl":
        locator.add(pointer, "a jsonl header or trailer has no columns of its own", "map.file")
    return (), ()


def _check(
    raw: Any,
    fmt: Format,
    own: set[str],
    pointer: Pointer,
    locator: Locator,
    loaded: LoadedFile,
) -> FileCheck | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("field"), str):
        return None
    kinds = [kind for kind in _KINDS if kind in raw]
    if len(kinds) != 1:
        found = ", ".join(kinds) or "none"
        message = f"a check needs exactly one of {', '.join(_KINDS)} (found: {found})"
        locator.add(pointer, message, "map.file")
        return None
    kind = kinds[0]
    argument = raw[kind]
    before = raw.get("before")
    ok = isinstance(argument, str) or kind == "equals_state"
    if before is not None and kind != "format":
        locator.add((*pointer, "before"), "before: goes with format:", "map.file")
        ok = False
    submitted = raw.get("submitted") is True
    if submitted and (kind != "format" or "header" not in pointer):
        message = "submitted: goes with format:, in the header"
        locator.add((*pointer, "submitted"), message, "map.file")
        ok = False
    if kind == "counts" and argument == "rows" and fmt == "xml":
        locator.add((*pointer, "counts"), "with format xml a count is of children only", "map.file")
        ok = False
    if kind == "format" and isinstance(argument, str):
        problem = format_problem(argument)
        if problem is not None:
            locator.add((*pointer, "format"), problem, "map.file")
            ok = False
    names = [raw["field"], *([before] if isinstance(before, str) else [])]
    for name, at in zip(names, ("field", "before"), strict=False):
        if own and name not in own:
            locator.add(
                (*pointer, at), f"{name} is not one of the columns of its own layout", "map.file"
            )
            ok = False
        elif not own and fmt != "xml":
            loaded.row_fields.append(name)
    if not ok:
        return None
    return FileCheck(
        field=raw["field"],
        kind=cast(CheckKind, kind),
        argument=argument if isinstance(argument, str) else "",
        before=before if isinstance(before, str) else None,
        submitted=submitted,
    )
