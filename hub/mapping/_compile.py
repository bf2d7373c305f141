"""Compiling the `fields:` and `groups:` of a mapping: targets, sources, conditions, transform
chains and repeated groups, each problem reported at its line. The schema has already checked
shapes; this module checks what relates several keys, and skips what the schema rejected."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from hub.mapping._registry import ARG_TYPE_NAMES, REQUIRED, Arg, Kind, LoadSite, TransformSpec
from hub.mapping._schema import Locator, Pointer, as_list
from hub.mapping._spec import (
    Condition,
    Group,
    GroupKind,
    Instance,
    RowFilter,
    Rule,
    SourceKind,
    Step,
    field_names,
)
from hub.mapping._targets import GROUPS, RESERVED, Target, targets
from hub.mapping._transforms import TRANSFORMS

_SOURCES: tuple[SourceKind, ...] = ("from", "first_of", "value", "concat")
_OPS = ("equals", "in", "present", "absent")
_KIND_FITS: dict[Kind, frozenset[Kind]] = {
    "text": frozenset({"text", "date", "bool", "int", "decimal"}),
    "date": frozenset({"date"}),
    "bool": frozenset({"bool"}),
    "int": frozenset({"int", "decimal"}),
    "decimal": frozenset({"decimal"}),
}


@dataclasses.dataclass
class Compiler:
    """Compiles rules and groups for one mapping file, collecting issues in its locator."""

    locator: Locator
    mapping_dir: Path
    shown_dir: str
    xml: bool
    cache: dict[str, Any] = dataclasses.field(default_factory=dict)

    # Conditions and row filters

    def when(self, raw: Any, pointer: Pointer) -> tuple[Condition, ...]:
        if raw is None:
            return ()
        items = raw if isinstance(raw, list) else [raw]
        found = []
        for index, item in enumerate(items):
            where = (*pointer, index) if isinstance(raw, list) else pointer
            condition = self.condition(item, where)
            if condition is not None:
                found.append(condition)
        return tuple(found)

    def condition(self, raw: Any, pointer: Pointer) -> Condition | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("field"), str):
            return None
        ops = [op for op in _OPS if op in raw]
        if len(ops) != 1:
            self.locator.add(
                pointer, "a condition needs exactly one of equals, in, present, absent", "map.when"
            )
            return None
        op = ops[0]
        values = raw[op]
        if op == "equals" and isinstance(values, str):
            return Condition(raw["field"], "equals", frozenset({values}))
        if op == "in" and isinstance(values, list):
            return Condition(raw["field"], "in", frozenset(str(value) for value in values))
        if op in ("present", "absent"):
            return Condition(raw["field"], cast(Any, op))
        return None

    def row_filter(self, raw: Any, pointer: Pointer) -> RowFilter | None:
        if raw == "each":
            return RowFilter(None, None)
        if not isinstance(raw, dict) or not isinstance(raw.get("type_field"), str):
            return None
        if ("equals" in raw) == ("in" in raw):
            self.locator.add(pointer, "a row filter needs exactly one of equals, in", "map.rows")
            return None
        values = [raw["equals"]] if "equals" in raw else raw["in"]
        return RowFilter(raw["type_field"], frozenset(str(value) for value in values))

    # Rules

    def rule(self, raw: Any, pointer: Pointer, group: str | None) -> Rule | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("to"), str):
            return None
        target = self.target(raw["to"], (*pointer, "to"), group)
        sources = [key for key in _SOURCES if key in raw]
        source: SourceKind
        if self.xml:
            if any(key != "value" for key in sources) or "when" in raw:
                self.locator.add(
                    pointer,
                    "with format xml the stylesheet reads the file: a rule may only refine the "
                    "value it wrote (to + transform) or set a constant (value)",
                    "map.rule",
                )
                return None
            source = "value" if sources else "refine"
        elif len(sources) != 1:
            found = ", ".join(sources) if sources else "none"
            self.locator.add(
                pointer,
                f"a rule needs exactly one of from, first_of, value, concat (found: {found})",
                "map.rule",
            )
            return None
        else:
            source = sources[0]
        steps = self.steps(raw.get("transform", []), pointer, target)
        if target is None or steps is None:
            return None
        fields: tuple[str, ...] = ()
        separator = " "
        if source == "from" and isinstance(raw["from"], str):
            fields = (raw["from"],)
        elif source == "first_of" and isinstance(raw["first_of"], list):
            fields = tuple(raw["first_of"])
        elif source == "concat" and isinstance(raw["concat"], dict):
            fields = tuple(raw["concat"].get("fields", ()))
            separator = str(raw["concat"].get("separator", " "))
        constant = raw.get("value") if source == "value" else None
        item_field = target.path.rsplit("[].", 1)[-1] if target.group else target.path
        return Rule(
            target=target.path,
            item_field=item_field,
            source=source,
            fields=fields,
            constant=constant if isinstance(constant, str) else None,
            separator=separator,
            steps=steps,
            when=self.when(raw.get("when"), (*pointer, "when")),
        )

    def target(self, path: str, pointer: Pointer, group: str | None) -> Target | None:
        known = targets()
        found = known.get(path)
        if found is None:
            if path in RESERVED:
                message = (
                    f"{path} is set by the record: section (key, action) and the mapping's "
                    "state, not by a rule"
                )
            else:
                close = difflib.get_close_matches(path, known, n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                message = f"unknown target {path!r}{hint} (docs/mappings.md lists every target)"
            self.locator.add(pointer, message, "map.target")
            return None
        # With xml the stylesheet built the groups, so a rule may refine any element.
        if found.group != group and not (self.xml and group is None):
            if found.group is None:
                message = f"{path} is not an element of group {group}"
            else:
                message = f"{path} belongs to group {found.group}: put it under groups:"
            self.locator.add(pointer, message, "map.target")
            return None
        return found

    def steps(self, raw: Any, pointer: Pointer, target: Target | None) -> tuple[Step, ...] | None:
        if not isinstance(raw, list):
            return ()
        steps: list[Step] = []
        kind: Kind | None = "text"
        ok = True
        for index, item in enumerate(raw):
            where = (*pointer, "transform", index)
            if isinstance(item, str):
                name, given, name_at = item, {}, where
            elif isinstance(item, dict) and isinstance(item.get("fn"), str):
                name, name_at = item["fn"], (*where, "fn")
                given = {key: value for key, value in item.items() if key != "fn"}
            else:
                ok = False
                continue
            spec = TRANSFORMS.get(name)
            if spec is None:
                kind = None  # what an unknown function gives is unknown
                vocabulary = ", ".join(sorted(TRANSFORMS))
                self.locator.add(
                    name_at,
                    f"unknown function {name!r}; the vocabulary is: {vocabulary}",
                    "map.unknown-function",
                )
                ok = False
                continue
            if kind is not None and kind not in spec.accepts:
                self.locator.add(
                    name_at,
                    f"{name} takes {' or '.join(spec.accepts)}, but the step before gives {kind}",
                    "map.args",
                )
                ok = False
            kind = None if kind is None else spec.result_kind(kind)
            args = self.arguments(spec, given, where, target)
            if args is None:
                ok = False
                continue
            steps.append(Step(spec, args))
        if kind is not None and target is not None and target.kind not in _KIND_FITS[kind]:
            self.locator.add(
                (*pointer, "transform"),
                f"the transforms give {kind} but {target.path} is {target.kind}",
                "map.args",
            )
            ok = False
        return tuple(steps) if ok else None

    def arguments(
        self, spec: TransformSpec, given: dict[Any, Any], pointer: Pointer, target: Target | None
    ) -> dict[str, Any] | None:
        ok = True
        for name in given:
            if not isinstance(name, str):
                ok = False  # a YAML boolean or number key, already reported as such
            elif name not in spec.args:
                allowed = ", ".join(spec.args) or "none"
                self.locator.add(
                    (*pointer, name),
                    f"{spec.name} has no argument {name!r} (its arguments: {allowed})",
                    "map.args",
                )
                ok = False
        args: dict[str, Any] = {}
        for name, arg in spec.args.items():
            if name not in given:
                if arg.required:
                    self.locator.add(
                        pointer, f"{spec.name} needs the argument {name!r}", "map.args"
                    )
                    ok = False
                args[name] = None if arg.default is REQUIRED else arg.default
                continue
            problem = _arg_problem(arg, given[name])
            if problem is not None:
                self.locator.add((*pointer, name), f"{spec.name} {name}: {problem}", "map.args")
                ok = False
            args[name] = given[name]
        if not ok or spec.prepare is None or target is None:
            return args if ok else None
        site = LoadSite(
            self.mapping_dir,
            self.shown_dir,
            target.path,
            target.codeset,
            target.identifies,
            cache=self.cache,
        )
        prepared = spec.prepare(args, site)
        for arg_name, message in site.problems:
            self.locator.add(
                pointer if arg_name is None else (*pointer, arg_name), message, "map.args"
            )
        self.locator.issues.extend(site.extra_issues)
        return None if site.problems or site.extra_issues else prepared

    # Groups

    def group(self, raw: Any, pointer: Pointer) -> Group | None:
        if not isinstance(raw, dict) or raw.get("group") not in GROUPS:
            return None
        name: str = raw["group"]
        list_path = GROUPS[name]
        if self.xml:
            self.locator.add(
                pointer, "with format xml the stylesheet builds the groups", "map.group"
            )
            return None
        kinds = [key for key in ("repeat", "rows", "from") if key in raw]
        if len(kinds) > 1:
            self.locator.add(
                pointer,
                f"a group reads items one way: repeat, rows or from (found {kinds})",
                "map.group",
            )
            return None
        kind: GroupKind = {"repeat": "repeat", "rows": "rows", "from": "nested"}.get(
            kinds[0] if kinds else "", "single"
        )  # type: ignore[assignment]
        raw_rules = as_list(raw.get("fields"))
        rules = [self.rule(item, (*pointer, "fields", i), name) for i, item in enumerate(raw_rules)]
        when = self.when(raw.get("when"), (*pointer, "when"))
        auto = raw.get("record_id") == "auto"
        self._check_record_id(name, list_path, auto, rules, pointer)
        rows = self.row_filter(raw.get("rows"), (*pointer, "rows")) if kind == "rows" else None
        nested = str(raw["from"]).removesuffix("[]") if kind == "nested" else None
        if any(rule is None for rule in rules) or (kind == "rows" and rows is None):
            return None
        checked = tuple(rule for rule in rules if rule is not None)
        instances = self._instances(raw, pointer, kind, checked, when)
        if instances is None:
            return None
        return Group(name, list_path, kind, instances, rows, nested, auto)

    def _check_record_id(
        self, name: str, list_path: str, auto: bool, rules: list[Rule | None], pointer: Pointer
    ) -> None:
        record_id = f"{list_path}[].record_id"
        has_field = record_id in targets()
        mapped = any(rule is not None and rule.target == record_id for rule in rules)
        if auto and not has_field:
            self.locator.add(
                (*pointer, "record_id"), f"{name} items have no record id", "map.group"
            )
        elif auto and mapped:
            self.locator.add(
                (*pointer, "record_id"),
                f"record_id: auto and a rule for {record_id} cannot both number the items",
                "map.group",
            )
        elif has_field and not auto and not mapped and None not in rules:
            self.locator.add(
                pointer,
                f"{name} items need a record id: add record_id: auto or a rule for {record_id}",
                "map.group",
            )

    def _instances(
        self,
        raw: dict[str, Any],
        pointer: Pointer,
        kind: GroupKind,
        rules: tuple[Rule, ...],
        when: tuple[Condition, ...],
    ) -> tuple[Instance, ...] | None:
        if kind != "repeat":
            return (Instance(None, rules, when, field_names(rules, when)),)
        repeat = raw["repeat"] if isinstance(raw.get("repeat"), dict) else {}
        count = repeat.get("count")
        placeholder = str(repeat.get("placeholder", "{n}"))
        digits = repeat.get("digits", 1)
        if not isinstance(count, int) or not isinstance(digits, int):
            return None
        if not any(placeholder in name for name in field_names(rules, when)):
            self.locator.add(
                (*pointer, "repeat"),
                f"no field name of the group uses the placeholder {placeholder!r}",
                "map.group",
            )
            return None
        instances = []
        for number in range(1, count + 1):
            text = str(number).zfill(digits)

            def expand(name: str, text: str = text) -> str:
                return name.replace(placeholder, text)

            numbered = tuple(rule.renamed(expand) for rule in rules)
            numbered_when = tuple(item.renamed(expand) for item in when)
            instances.append(
                Instance(number, numbered, numbered_when, field_names(numbered, numbered_when))
            )
        return tuple(instances)


def _arg_problem(arg: Arg, value: Any) -> str | None:
    def is_texts(item: Any) -> bool:
        return isinstance(item, list) and all(isinstance(part, str) for part in item)

    checks: dict[str, Callable[[Any], bool]] = {
        "text": lambda item: isinstance(item, str),
        "field": lambda item: isinstance(item, str) and bool(item),
        "int": lambda item: isinstance(item, int) and not isinstance(item, bool),
        "bool": lambda item: isinstance(item, bool),
        "texts": is_texts,
        "fields": lambda item: is_texts(item) and bool(item),
        "text-or-texts": lambda item: isinstance(item, str) or is_texts(item),
    }
    if value is None and not arg.required and arg.default is None:
        return None
    if not checks[arg.type](value):
        hint = " (quote it)" if isinstance(value, bool | int) and "text" in arg.type else ""
        return f"expected {ARG_TYPE_NAMES[arg.type]}, got {value!r}{hint}"
    if arg.choices and value not in arg.choices:
        return f"{value!r} is not one of {', '.join(map(str, arg.choices))}"
    return None
