"""A loaded mapping: the checked, compiled form of one mapping.yaml (placeholders expanded,
code tables loaded, stylesheet compiled). Built only by `hub.mapping._loader`."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from lxml import etree

from hub.mapping._registry import RowView, TransformSpec
from hub.model import Action

Format = Literal["csv", "fixed-width", "jsonl", "xml"]
SourceKind = Literal["from", "first_of", "value", "concat", "refine"]
GroupKind = Literal["single", "repeat", "rows", "nested"]
Part = Literal["header", "trailer"]
CheckKind = Literal["equals_state", "equals", "counts", "format"]


@dataclass(frozen=True)
class Condition:
    """A structured test of one source field (`when:`)."""

    field: str
    op: Literal["equals", "in", "present", "absent"]
    values: frozenset[str] = frozenset()

    def holds(self, row: RowView) -> bool:
        raw = row.raw(self.field)
        text = None if raw is None else str(raw).strip() or None
        if self.op == "present":
            return text is not None
        if self.op == "absent":
            return text is None
        return text is not None and text in self.values

    def renamed(self, rename: Callable[[str], str]) -> Condition:
        return replace(self, field=rename(self.field))


@dataclass(frozen=True)
class RowFilter:
    """Rows whose type field holds one of `values`; `values` None means every row."""

    type_field: str | None
    values: frozenset[str] | None

    def matches(self, row: RowView) -> bool:
        if self.type_field is None or self.values is None:
            return True
        raw = row.raw(self.type_field)
        return raw is not None and str(raw).strip() in self.values


@dataclass(frozen=True)
class Step:
    """One transform step with its checked (and prepared) arguments."""

    spec: TransformSpec
    args: MappingABC[str, Any]
    keywords: MappingABC[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Computed once: steps run for every value of every record.
        object.__setattr__(self, "keywords", self.spec.keywords(self.args))

    def field_names(self) -> list[str]:
        """The source fields the step's arguments name (`concat`'s fields)."""
        names: list[str] = []
        for name, arg in self.spec.args.items():
            value = self.args.get(name)
            if arg.type == "field" and isinstance(value, str):
                names.append(value)
            elif arg.type == "fields" and isinstance(value, list):
                names.extend(value)
        return names

    def renamed(self, rename: Callable[[str], str]) -> Step:
        args = dict(self.args)
        for name, arg in self.spec.args.items():
            if arg.type == "field" and isinstance(args.get(name), str):
                args[name] = rename(args[name])
            elif arg.type == "fields" and isinstance(args.get(name), list):
                args[name] = [rename(item) for item in args[name]]
        return Step(self.spec, args)


@dataclass(frozen=True)
class Rule:
    """One canonical element from one source, after its conditions hold."""

    target: str
    item_field: str
    source: SourceKind
    fields: tuple[str, ...]
    constant: str | None
    separator: str
    steps: tuple[Step, ...]
    when: tuple[Condition, ...]

    def renamed(self, rename: Callable[[str], str]) -> Rule:
        """The rule with every source field name passed through `rename` (placeholders)."""
        return replace(
            self,
            fields=tuple(rename(name) for name in self.fields),
            when=tuple(condition.renamed(rename) for condition in self.when),
            steps=tuple(step.renamed(rename) for step in self.steps),
        )


def field_names(rules: tuple[Rule, ...], when: tuple[Condition, ...]) -> tuple[str, ...]:
    """Every source field that `rules` and `when` read, once each, in order."""
    names: list[str] = [condition.field for condition in when]
    for rule in rules:
        names.extend(rule.fields)
        names.extend(condition.field for condition in rule.when)
        for step in rule.steps:
            names.extend(step.field_names())
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Instance:
    """The rules of one item of a group (one numbered column set, or the only one)."""

    number: int | None
    rules: tuple[Rule, ...]
    when: tuple[Condition, ...]
    source_fields: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """A repeated group: where its items come from and the rules of each item."""

    name: str
    list_path: str
    kind: GroupKind
    instances: tuple[Instance, ...]
    rows: RowFilter | None
    nested: str | None
    record_id_auto: bool


@dataclass(frozen=True)
class Column:
    """One field of a fixed-width layout; `start` counts from 1."""

    name: str
    start: int
    length: int


@dataclass(frozen=True)
class FileCheck:
    """One check of a header or trailer field (`file.header.checks[]`): exactly one kind.

    `argument` is the text of `equals`, what `counts` counts (`children` or `rows`), or the
    `format`; `before` names the field a `format` check's value must come before; `submitted`
    marks the header's submission time."""

    field: str
    kind: CheckKind
    argument: str = ""
    before: str | None = None
    submitted: bool = False


@dataclass(frozen=True)
class Summary:
    """A file's header or trailer: how it is found, its own layout, and its checks.

    Line formats find it with `rows` (the header is the first row, the trailer the last); XML
    with `element` (the root or an element before the first record, or one after the last).
    `cells` names a CSV summary row's cells and `layout` cuts a fixed-width one; with neither,
    the row is read like any other."""

    part: Part
    rows: RowFilter | None = None
    element: str | None = None
    cells: tuple[str, ...] = ()
    layout: tuple[Column, ...] = ()
    checks: tuple[FileCheck, ...] = ()


@dataclass(frozen=True)
class FileRules:
    """What the file as a whole must hold (`file:`); a file that breaks one is rejected."""

    header: Summary | None = None
    trailer: Summary | None = None
    max_children: int | None = None
    max_group_items: int | None = None

    @property
    def summaries(self) -> tuple[Summary, ...]:
        return tuple(part for part in (self.header, self.trailer) if part is not None)


@dataclass(frozen=True)
class Mapping:
    """A checked state mapping, ready for `map_file`."""

    state: str
    format: Format
    path: Path
    digest: str
    encoding: str = "utf-8"
    delimiter: str = ","
    quote: str = '"'
    header: bool = True
    columns: tuple[str, ...] = ()
    layout: tuple[Column, ...] = ()
    type_column: str | None = None
    typed_layouts: MappingABC[str, tuple[Column, ...]] = field(default_factory=dict)
    xslt: etree.XSLT | None = None
    record_element: str | None = None
    key: str | None = None
    action_field: str | None = None
    action_codes: MappingABC[str, Action] = field(default_factory=dict)
    action_default: Action = Action.INSERT
    record_rows: RowFilter | None = None
    skip_rows: RowFilter | None = None
    rules: tuple[Rule, ...] = ()
    groups: tuple[Group, ...] = ()
    source_fields: frozenset[str] = frozenset()
    file: FileRules = field(default_factory=FileRules)

    @property
    def multi_row(self) -> bool:
        """Whether several contiguous rows with one key make one child."""
        return any(group.kind == "rows" for group in self.groups)
