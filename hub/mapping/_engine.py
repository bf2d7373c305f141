"""Applying a mapping to one child: rules, groups, the model's rules, and located issues.

Every issue of a record is collected: transform failures (`map.<fn>`), reading problems
(`file.*`), key and action problems, and the model's own rules (`mde.*`) from `parse_record`.
Each is located at the source field the value came from (`record[12].BIRTH_DT`), or at the
canonical path when no single field made it (`record[12].moves`). A model issue about an
element whose transform already failed is dropped: the state sees one issue per mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from hub.errors import Issue, IssueCode, error, warning
from hub.mapping._groups import Child, item_sources
from hub.mapping._readers import SourceRow
from hub.mapping._registry import Context, RowView, TransformError, Value
from hub.mapping._spec import Mapping, Rule
from hub.mapping._targets import GROUPS
from hub.mapping._xml import XmlRecord
from hub.model import Action, StudentRecord, parse_record


@dataclass
class MappedRecord:
    """One child of a native file, mapped: the record (None when it cannot be built) and every
    issue, located as `record[<n>].<field>`; `values` holds the source value of each field an
    issue names, for the acknowledgement's value column."""

    record_number: int
    line: int | None
    state_student_id: str | None
    action: Action | None
    record: StudentRecord | None
    issues: list[Issue]
    values: dict[str, str]


_KEY_PATH = "student_id.value"


class _Slot(NamedTuple):
    """Where a rule writes: a dict, its key, and the canonical path that names the place.

    (Named tuples, here and below: made once per field of every record, a frozen dataclass's
    `__init__` cost more than the rule it serves.)"""

    container: dict[str, Any]
    key: str
    path: str


class _Origin(NamedTuple):
    label: str
    raw: str | None
    line: int | None


@dataclass
class _Recorder:
    prefix: str
    show_lines: bool
    issues: list[Issue] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    origins: dict[str, _Origin] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    broken: bool = False

    def add(
        self, issue: Issue, label: str | None, raw: str | None = None, line: int | None = None
    ) -> None:
        message = issue.message
        if self.show_lines and line is not None:
            message = f"{message} (line {line})"
        location = f"{self.prefix}.{label}" if label else self.prefix
        self.issues.append(Issue(issue.severity, issue.code, message, location, issue.rule))
        if label is not None and raw is not None:
            self.values[label] = raw


def map_child(mapping: Mapping, child: Child, today: date, source_name: str | None) -> MappedRecord:
    """Map one child of a line-format file."""
    rec = _Recorder(f"record[{child.number}]", mapping.multi_row)
    first_line = child.rows[0].line
    for issue in child.issues:
        rec.add(issue, issue.location, child.key, first_line)
    for row in child.rows:
        if row.problem is not None:
            rec.add(row.problem, None, None, row.line)
            rec.broken = True
    key = child.key
    if rec.broken:
        return _result(child.number, first_line, key, None, None, rec)
    if key is None:
        message = f"the student id ({mapping.key}) is blank"
        rec.add(error(IssueCode.REQUIRED, message, rule="map.key"), mapping.key, "", first_line)
        rec.failed.add(_KEY_PATH)
    elif mapping.key is not None:
        # The model's key checks (length, say) then point at the state's own key field.
        rec.origins[_KEY_PATH] = _Origin(mapping.key, key, first_line)
    record_row = _record_row(mapping, child, rec)
    if record_row is None:
        return _result(child.number, first_line, key, None, None, rec)
    action = _action(mapping, record_row, rec)
    data: dict[str, Any] = {
        "student_id": {"state": mapping.state, "value": key or ""},
        "action": (action or mapping.action_default).value,
    }
    if source_name is not None:
        data["source"] = _source(source_name, child.number, first_line)
    if action is not Action.DELETE:
        # A delete needs only its key; the rest of a delete row is not read (DOMAIN.md §4).
        view = RowView(record_row.values)
        context = Context(view, today)
        for rule in mapping.rules:
            _apply(rule, view, context, rec, _slot(data, rule.target), record_row.line)
        _apply_groups(mapping, record_row, child, data, rec, today)
    record = _finish(data, rec, today, mapping.file.max_group_items)
    return _result(child.number, first_line, key, action, record, rec)


def map_xml(
    mapping: Mapping, number: int, found: XmlRecord, today: date, source_name: str | None
) -> MappedRecord:
    """Map one record element of an XML file, already reshaped by the stylesheet."""
    rec = _Recorder(f"record[{number}]", False)
    if found.data is None:
        for issue in found.issues:
            rec.add(issue, issue.location)
        return _result(number, found.line, None, None, None, rec)
    data = found.data
    student_id = data.setdefault("student_id", {})
    if isinstance(student_id, dict):
        student_id["state"] = mapping.state
    key = student_id.get("value") if isinstance(student_id, dict) else None
    if source_name is not None:
        data["source"] = _source(source_name, number, found.line)
    context = Context(RowView({}), today)
    for rule in mapping.rules:
        if "[]." in rule.target:
            list_path, item_field = rule.target.split("[].")
            items = _value_at(data, list_path)
            for index, item in enumerate(items if isinstance(items, list) else []):
                slot = _Slot(item, item_field, f"{list_path}[{index}].{item_field}")
                _apply(rule, RowView(item), context, rec, slot, found.line)
        else:
            _apply(rule, RowView({}), context, rec, _slot(data, rule.target), found.line)
    action_text = data.get("action", "I")
    action = Action(action_text) if action_text in {a.value for a in Action} else None
    record = _finish(data, rec, today, mapping.file.max_group_items)
    # A blank key reads as no key, as in the line formats.
    shown_key = (key.strip() or None) if isinstance(key, str) else None
    return _result(number, found.line, shown_key, action, record, rec)


def _result(
    number: int,
    line: int | None,
    key: str | None,
    action: Action | None,
    record: StudentRecord | None,
    rec: _Recorder,
) -> MappedRecord:
    return MappedRecord(
        number, line, key, action, None if rec.broken else record, rec.issues, rec.values
    )


def _record_row(mapping: Mapping, child: Child, rec: _Recorder) -> SourceRow | None:
    """The row holding the child's own fields; None (with issues) when the rows do not fit."""
    if not mapping.multi_row or mapping.record_rows is None:
        return child.rows[0]
    record_filter = mapping.record_rows
    matches = [row for row in child.rows if record_filter.matches(RowView(row.values))]
    for row in child.rows:
        view = RowView(row.values)
        read = record_filter.matches(view) or any(
            group.rows is not None and group.rows.matches(view) for group in mapping.groups
        )
        if not read:
            message = "the row's type is not read by the mapping"
            rec.add(
                error(IssueCode.STRUCTURE, message, rule="map.row-type"),
                record_filter.type_field,
                None,
                row.line,
            )
            rec.broken = True
    if not matches:
        message = "the child has no student row"
        rec.add(
            error(IssueCode.REQUIRED, message, rule="map.rows"),
            record_filter.type_field,
            None,
            child.rows[0].line,
        )
        rec.broken = True
    for extra in matches[1:]:
        message = "the child has more than one student row"
        rec.add(
            error(IssueCode.DUPLICATE, message, rule="map.rows"),
            record_filter.type_field,
            None,
            extra.line,
        )
        rec.broken = True
    return None if rec.broken else matches[0]


def _action(mapping: Mapping, row: SourceRow, rec: _Recorder) -> Action | None:
    if mapping.action_field is None:
        return mapping.action_default
    try:
        raw = RowView(row.values).get(mapping.action_field)
    except TransformError:
        raw = "?"
    if raw is None:
        return mapping.action_default
    found = mapping.action_codes.get(raw.strip())
    if found is None:
        codes = ", ".join(mapping.action_codes)
        message = f"the action code is not one of {codes}"
        rec.add(
            error(IssueCode.CODE_INVALID, message, rule="map.action"),
            mapping.action_field,
            raw,
            row.line,
        )
        rec.broken = True
    return found


def _apply_groups(
    mapping: Mapping,
    record_row: SourceRow,
    child: Child,
    data: dict[str, Any],
    rec: _Recorder,
    today: date,
) -> None:
    for group in mapping.groups:
        where = _slot(data, group.list_path)
        items = where.container.setdefault(where.key, [])
        for source in item_sources(group, record_row, child):
            index = len(items)
            item: dict[str, Any] = {}
            context = Context(source.row, today)
            for rule in source.instance.rules:
                path = f"{group.list_path}[{index}].{rule.item_field}"
                slot = _Slot(item, rule.item_field, path)
                _apply(rule, source.row, context, rec, slot, source.line, source.label_prefix)
            if group.record_id_auto:
                item["record_id"] = f"{index + 1:03d}"
            if group.name == "alternate_ids":
                item.setdefault("state", mapping.state)
            items.append(item)


def _apply(
    rule: Rule,
    row: RowView,
    context: Context,
    rec: _Recorder,
    slot: _Slot,
    line: int | None,
    label_prefix: str = "",
) -> None:
    """Run one rule on one row and write its value into `slot`; problems go to `rec`."""
    if rule.when and not all(condition.holds(row) for condition in rule.when):
        return
    container, key, path = slot.container, slot.key, slot.path
    label: str | None = path
    value: Value | None = None
    try:
        if rule.source == "refine":
            current = container.get(key)
            value = current if isinstance(current, str) and current.strip() else None
        elif rule.source == "value":
            value = rule.constant
        elif rule.source == "concat":
            label = label_prefix + rule.fields[0]
            parts = [part for part in (row.get(name) for name in rule.fields) if part is not None]
            value = rule.separator.join(parts) if parts else None
        else:
            label = label_prefix + rule.fields[0]
            for name in rule.fields:
                value = row.get(name)
                if value is not None:
                    label = label_prefix + name
                    break
    except TransformError as exc:
        rec.add(error(IssueCode.STRUCTURE, str(exc), rule="map.type"), label, None, line)
        rec.failed.add(path)
        return
    raw = value if isinstance(value, str) else None
    context.row = row
    for step in rule.steps:
        if value is None and not step.spec.runs_on_blank:
            continue
        try:
            value = step.spec.function(value, context, **step.keywords)
        except TransformError as exc:
            context.warnings = []
            rec.add(
                error(IssueCode.VALUE, str(exc), rule=f"map.{step.spec.name}"), label, raw, line
            )
            rec.failed.add(path)
            if rule.source == "refine":
                # The stylesheet's unreadable text must not reach the model as if it were valid.
                container.pop(key, None)
            return
        if context.warnings:
            for message in context.warnings:
                rec.add(_warning(message, step.spec.name), label, raw, line)
            context.warnings = []
    if isinstance(value, str) and not value.strip():
        value = None
    if value is None and rule.source != "refine":
        return
    container[key] = value
    rec.origins[path] = _Origin(label or path, raw, line)


def _warning(message: str, name: str) -> Issue:
    return warning(IssueCode.VALUE, message, rule=f"map.{name}")


def _slot(data: dict[str, Any], path: str) -> _Slot:
    *parents, name = path.split(".")
    container = data
    for part in parents:
        container = container.setdefault(part, {})
    return _Slot(container, name, path)


def _source(name: str, number: int, line: int | None) -> dict[str, Any]:
    return {"kind": "file", "name": name, "record_number": number, "line": line}


def _value_at(data: Any, path: str) -> Any:
    current = data
    for part in path.replace("[", ".[").split("."):
        if part.startswith("[") and isinstance(current, list):
            index = int(part[1:-1])
            current = current[index] if index < len(current) else None
        elif isinstance(current, dict):
            current = current.get(part)
        else:
            return None
    return current


def _check_group_sizes(data: dict[str, Any], rec: _Recorder, limit: int) -> None:
    for name, path in GROUPS.items():
        items = _value_at(data, path)
        if isinstance(items, list) and len(items) > limit:
            message = f"the child has {len(items):,} {name}; at most {limit:,} a group"
            rec.add(error(IssueCode.BUSINESS_RULE, message, rule="map.group-limit"), path)


def _finish(
    data: dict[str, Any], rec: _Recorder, today: date, group_limit: int | None
) -> StudentRecord | None:
    if group_limit is not None:
        _check_group_sizes(data, rec, group_limit)
    record, problems = parse_record(data, today=today)
    for issue in problems:
        location = issue.location
        if location in rec.failed:
            continue
        origin = rec.origins.get(location) if location is not None else None
        if origin is not None:
            rec.add(issue, origin.label, origin.raw, origin.line)
            continue
        value = _value_at(data, location) if location is not None else None
        raw = str(value) if isinstance(value, str | int | date) else None
        rec.add(issue, location, raw)
    return record
