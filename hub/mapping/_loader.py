"""Loading mapping files: every problem of every file found, then one ConfigurationError.

Order of checks for one file: the header comment, YAML syntax (with duplicate keys), the JSON
Schema (every error), then the semantic checks of `_compile` and of the format sections. All of
them run, so a file with five mistakes is reported with five located issues.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hub.errors import ConfigurationError, Issue, IssueCode, error
from hub.mapping._compile import Compiler
from hub.mapping._file_section import load_file_section
from hub.mapping._layout import common_layout, record_type_layouts
from hub.mapping._schema import (
    MAPPINGS_DIR,
    Locator,
    as_dict,
    as_list,
    read_yaml,
    schema_issues,
)
from hub.mapping._spec import Column, Format, Group, Mapping, Rule
from hub.mapping._xml import compile_stylesheet
from hub.model import Action

MAPPING_FILE = "mapping.yaml"
_HEADER_KEYS = ("what", "owner", "reviewed")
_FORMAT_SECTIONS = {"csv": "csv", "fixed-width": "fixed_width", "xml": "xml"}


def load_mapping(path: Path) -> Mapping:
    """Load and check one mapping file; raises ConfigurationError listing every issue."""
    mapping, issues = _load(path)
    if issues or mapping is None:
        raise ConfigurationError(issues)
    return mapping


def load_mappings(root: Path = MAPPINGS_DIR) -> dict[str, Mapping]:
    """Every `<root>/<state>/mapping.yaml` by state code; one ConfigurationError for all files."""
    found: dict[str, Mapping] = {}
    issues: list[Issue] = []
    for path in sorted(root.glob(f"*/{MAPPING_FILE}")):
        mapping, problems = _load(path)
        issues.extend(problems)
        if mapping is None:
            continue
        if mapping.state in found:
            message = f"state {mapping.state} already has a mapping: {found[mapping.state].path}"
            issues.append(
                error(
                    IssueCode.INVALID, message, Locator(_shown(path)).where(("state",)), "map.state"
                )
            )
            continue
        found[mapping.state] = mapping
    if issues:
        raise ConfigurationError(issues)
    return found


def _shown(path: Path) -> str:
    resolved = path.resolve()
    for base in (MAPPINGS_DIR.parent, Path.cwd()):
        if resolved.is_relative_to(base):
            return str(resolved.relative_to(base))
    return str(path)


def _load(path: Path) -> tuple[Mapping | None, list[Issue]]:
    shown = _shown(path)
    locator = Locator(shown)
    try:
        data_bytes = path.read_bytes()
        text = data_bytes.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        locator.add((), f"cannot read the mapping file as UTF-8: {exc}", "map.yaml")
        return None, locator.issues
    _check_header_comment(text, locator)
    data = read_yaml(text, locator)
    if data is None:
        return None, locator.issues
    schema_issues(data, locator)
    if not isinstance(data, dict):
        return None, locator.issues
    mapping = _build(data, path, locator, hashlib.sha256(data_bytes))
    issues = sorted(locator.issues, key=lambda issue: _line_of(issue, shown))
    return (mapping if not issues else None), issues


def _line_of(issue: Issue, shown: str) -> tuple[int, int]:
    # Issues of the mapping file in line order; those of its code tables after them.
    location = issue.location or ""
    if not location.startswith(f"{shown}:"):
        return (1, 0)
    line = location[len(shown) + 1 :].split(" ", 1)[0]
    return (0, int(line) if line.isdigit() else 0)


def _check_header_comment(text: str, locator: Locator) -> None:
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line.lstrip("#").strip().partition(":")
        header[key.strip().lower()] = value.strip()
    missing = [key for key in _HEADER_KEYS if not header.get(key)]
    if missing:
        locator.add(
            (),
            "a mapping file begins with a header comment: '# what:', '# owner:', '# reviewed:' "
            f"(missing: {', '.join(missing)})",
            "map.header-comment",
        )


def _build(data: dict[str, Any], path: Path, locator: Locator, digest: Any) -> Mapping | None:
    fmt = data.get("format")
    if fmt not in ("csv", "fixed-width", "jsonl", "xml"):
        return None
    _check_sections(data, fmt, locator)
    compiler = Compiler(locator, path.parent, _shown(path.parent), xml=fmt == "xml")
    rules = [
        compiler.rule(raw, ("fields", i), None) for i, raw in enumerate(as_list(data.get("fields")))
    ]
    groups = [
        compiler.group(raw, ("groups", i)) for i, raw in enumerate(as_list(data.get("groups")))
    ]
    record = as_dict(data.get("record"))
    action = as_dict(record.get("action"))
    record_rows = compiler.row_filter(record.get("rows"), ("record", "rows"))
    if record_rows is not None and not any(g is not None and g.kind == "rows" for g in groups):
        locator.add(
            ("record", "rows"), "record.rows applies only when a group reads rows", "map.rows"
        )
    skip_rows = compiler.row_filter(record.get("skip_rows"), ("record", "skip_rows"))
    for table_path in sorted(key for key in compiler.cache):
        digest.update(Path(table_path).read_bytes())
    checked_rules = tuple(rule for rule in rules if rule is not None)
    checked_groups = tuple(group for group in groups if group is not None)
    source_fields = _source_fields(record, action, checked_rules, checked_groups)
    layout = common_layout(data, locator)
    type_column, typed_layouts = record_type_layouts(data, layout, locator)
    file_section = load_file_section(data, fmt, layout, compiler, locator)
    source_fields = list(dict.fromkeys([*source_fields, *file_section.row_fields]))
    declared = layout + tuple(column for columns in typed_layouts.values() for column in columns)
    _check_fields_exist(data, fmt, source_fields, declared, checked_groups, locator)
    stylesheet = None
    if fmt == "xml" and isinstance(data.get("xml"), dict):
        stylesheet = compile_stylesheet(data["xml"].get("xslt"), path, locator)
        if stylesheet is not None:
            digest.update(stylesheet[1])
    if locator.issues:
        return None
    csv_section = as_dict(data.get("csv"))
    return Mapping(
        state=data["state"],
        format=fmt,
        path=path,
        digest=digest.hexdigest(),
        encoding=data.get("encoding", "utf-8"),
        delimiter=csv_section.get("delimiter", ","),
        quote=csv_section.get("quote", '"'),
        header=csv_section.get("header", "columns" not in csv_section),
        columns=tuple(csv_section.get("columns", ())),
        layout=layout,
        type_column=type_column,
        typed_layouts=typed_layouts,
        xslt=stylesheet[0] if stylesheet else None,
        record_element=data["xml"]["record_element"] if fmt == "xml" else None,
        key=record.get("key"),
        action_field=action.get("from"),
        action_codes={code: Action(value) for code, value in action.get("codes", {}).items()},
        action_default=Action(action.get("default", "I")),
        record_rows=record_rows,
        skip_rows=skip_rows,
        rules=checked_rules,
        groups=checked_groups,
        source_fields=frozenset(source_fields),
        file=file_section.rules,
    )


def _check_sections(data: dict[str, Any], fmt: Format, locator: Locator) -> None:
    for other_format, section in _FORMAT_SECTIONS.items():
        if section in data and other_format != fmt:
            locator.add(
                (section,), f"a {section}: section does not apply to format {fmt}", "map.format"
            )
    if fmt in ("fixed-width", "xml") and _FORMAT_SECTIONS[fmt] not in data:
        locator.add(
            ("format",), f"format {fmt} needs a {_FORMAT_SECTIONS[fmt]}: section", "map.format"
        )
    if fmt == "xml":
        if "record" in data:
            locator.add(
                ("record",),
                "with format xml the stylesheet writes the key and action",
                "map.format",
            )
        if "encoding" in data:
            locator.add(("encoding",), "an XML file declares its own encoding", "map.format")
    elif "record" not in data:
        locator.add(("format",), "a record: section with the key field is required", "map.format")
    csv_section = as_dict(data.get("csv"))
    header = csv_section.get("header", "columns" not in csv_section)
    if header is False and not csv_section.get("columns"):
        locator.add(
            ("csv", "header"), "without a header row, list the columns: in order", "map.format"
        )
    if header is True and "columns" in csv_section:
        locator.add(
            ("csv", "columns"),
            "columns: is for files without a header row (header: false)",
            "map.format",
        )


def _source_fields(
    record: dict[str, Any],
    action: dict[str, Any],
    rules: Iterable[Rule],
    groups: Iterable[Group],
) -> list[str]:
    names: list[str] = []
    for value in (record.get("key"), action.get("from")):
        if isinstance(value, str):
            names.append(value)
    for section in ("rows", "skip_rows"):
        row_filter = record.get(section)
        if isinstance(row_filter, dict) and isinstance(row_filter.get("type_field"), str):
            names.append(row_filter["type_field"])
    for rule in rules:
        names.extend(rule.fields)
        names.extend(condition.field for condition in rule.when)
    for group in groups:
        if group.rows is not None and group.rows.type_field is not None:
            names.append(group.rows.type_field)
        if group.kind == "nested":
            continue
        for instance in group.instances:
            names.extend(instance.source_fields)
    return list(dict.fromkeys(names))


def _check_fields_exist(
    data: dict[str, Any],
    fmt: Format,
    names: list[str],
    layout: tuple[Column, ...],
    groups: tuple[Group, ...],
    locator: Locator,
) -> None:
    if fmt == "fixed-width" and layout:
        declared = {column.name for column in layout}
        where: tuple[str, ...] = ("fixed_width", "columns")
    elif fmt == "csv" and isinstance(data.get("csv"), dict) and data["csv"].get("columns"):
        declared = set(data["csv"]["columns"])
        where = ("csv", "columns")
    else:
        declared = set()
        where = ()
    missing = [name for name in names if name not in declared]
    if where and missing:
        locator.add(
            where, f"fields read by the rules but not declared: {', '.join(missing)}", "map.layout"
        )
    if fmt != "jsonl" and any(group.kind == "nested" for group in groups):
        locator.add(
            ("groups",),
            "a group reads a nested array (from: ...[]) only in jsonl files",
            "map.group",
        )
