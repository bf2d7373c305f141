"""A StructureDefinition snapshot compiled into a tree of element rules the validator walks.

Everything the validator checks comes from the snapshot: cardinality, fixed and pattern values,
maxLength, bindings (expanded from the bundled ValueSets), reference targets (from
`targetProfile`), invariants and must-support. Nothing about our profiles is written here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hub.errors import Severity
from hub.fhir._artifacts import Artifacts
from hub.fhir._invariants import ELE_1_EXPRESSION, Invariant, InvariantGroup
from hub.fhir._shapes import ShapeMemo
from hub.fhir._skeleton import CORE

_COMPLEX_CONTEXTS = {"BackboneElement", "Element"}


@dataclass(frozen=True)
class Binding:
    strength: str
    value_set: str
    codes: frozenset[tuple[str, str]] | None  # None: the ValueSet is not bundled
    code_only: frozenset[str] = frozenset()


@dataclass
class ElementRule:
    path: str
    name: str  # the JSON name, or the stem of a choice (`occurrence`)
    json_names: tuple[str, ...]  # `occurrenceDateTime`, `occurrenceString` for a choice
    min: int
    max: int | None  # None: unbounded
    types: tuple[str, ...]
    target_types: frozenset[str] | None = None
    binding: Binding | None = None
    fixed: Any = None
    pattern: Any = None
    max_length: int | None = None
    invariants: InvariantGroup | None = None
    must_support: bool = False
    children: list[ElementRule] = field(default_factory=list)
    # Derived once by `_index` so the walk looks at the keys a node has, not at every rule:
    by_json_name: dict[str, ElementRule] = field(default_factory=dict)
    presence_checked: list[ElementRule] = field(default_factory=list)  # min > 0 or must-support
    has_value_rules: bool = False
    descends: bool = False  # children or invariants to check inside its values

    @property
    def label(self) -> str:
        return f"{self.name}[x]" if len(self.json_names) > 1 else self.name


def index_rule(rule: ElementRule) -> None:
    """Derive the lookup fields of `rule` and its descendants (after building the tree)."""
    for child in rule.children:
        index_rule(child)
        rule.by_json_name.update((name, child) for name in child.json_names)
    rule.presence_checked = [child for child in rule.children if child.min or child.must_support]
    rule.has_value_rules = any(
        item is not None
        for item in (rule.fixed, rule.pattern, rule.max_length, rule.binding, rule.target_types)
    )
    rule.descends = bool(rule.children) or rule.invariants is not None


@dataclass
class CompiledProfile:
    url: str
    resource_type: str
    root: ElementRule
    checks_ele_1: bool
    shapes: ShapeMemo  # the walk's issues per resource shape


def compile_profile(profile: Mapping[str, Any], artifacts: Artifacts) -> CompiledProfile:
    """The rule tree of `profile`'s snapshot (invariants compiled once, ValueSets expanded)."""
    rules: dict[str, ElementRule] = {}
    root: ElementRule | None = None
    checks_ele_1 = False
    groups: list[InvariantGroup] = []
    for element in profile["snapshot"]["element"]:
        path: str = element["path"]
        rule = _rule(element, artifacts)
        kept = []
        for constraint in element.get("constraint", []):
            if constraint.get("expression") == ELE_1_EXPRESSION:
                checks_ele_1 = True
                continue
            kept.append(constraint)
        if kept:
            rule.invariants = InvariantGroup(tuple(_invariant(item, element) for item in kept))
            groups.append(rule.invariants)
        if root is None:
            root = rule
        else:
            parent = rules.get(path.rsplit(".", 1)[0])
            if parent is not None:
                parent.children.append(rule)
        rules[path] = rule
    assert root is not None
    index_rule(root)
    shapes = ShapeMemo(root, groups)
    return CompiledProfile(profile["url"], profile["type"], root, checks_ele_1, shapes)


def _rule(element: Mapping[str, Any], artifacts: Artifacts) -> ElementRule:
    path: str = element["path"]
    last = path.rsplit(".", 1)[-1]
    types = tuple(entry["code"] for entry in element.get("type", []))
    if last.endswith("[x]"):
        name = last.removesuffix("[x]")
        json_names = tuple(name + code[0].upper() + code[1:] for code in types)
    else:
        name, json_names = last, (last,)
    maximum = element.get("max", "*")
    rule = ElementRule(
        path=path,
        name=name,
        json_names=json_names,
        min=int(element.get("min", 0)),
        max=None if maximum == "*" else int(maximum),
        types=types,
        must_support=bool(element.get("mustSupport", False)),
        max_length=element.get("maxLength"),
    )
    for key, value in element.items():
        if key.startswith("fixed"):
            rule.fixed = value
        elif key.startswith("pattern"):
            rule.pattern = value
    if "Reference" in types:
        rule.target_types = _target_types(element, artifacts)
    binding = element.get("binding")
    if binding and binding.get("valueSet"):
        codes = artifacts.value_set_codes(binding["valueSet"])
        code_only = frozenset(code for _, code in codes) if codes is not None else frozenset()
        rule.binding = Binding(binding["strength"], binding["valueSet"], codes, code_only)
    return rule


def _target_types(element: Mapping[str, Any], artifacts: Artifacts) -> frozenset[str] | None:
    found: set[str] = set()
    for entry in element.get("type", []):
        for canonical in entry.get("targetProfile", []):
            profile = artifacts.resolve(canonical)
            if profile is not None:
                found.add(profile["type"])
            elif canonical.startswith(CORE):
                found.add(canonical.removeprefix(CORE))
            else:
                return None  # a profile we do not bundle: its type is unknown, do not guess
    return frozenset(found) or None


def _invariant(constraint: Mapping[str, Any], element: Mapping[str, Any]) -> Invariant:
    types = [entry["code"] for entry in element.get("type", [])]
    path: str = element["path"]
    # fhirpathpy resolves choice names (value[x]) from the node's type: a datatype by name, a
    # resource or backbone element by its path.
    context = types[0] if len(types) == 1 and types[0] not in _COMPLEX_CONTEXTS else path
    return _shared_invariant(
        constraint["key"],
        constraint.get("severity", "error"),
        constraint.get("human", constraint["key"]),
        constraint["expression"],
        context,
    )


@functools.cache
def _shared_invariant(
    key: str, severity: str, human: str, expression: str, context: str
) -> Invariant:
    # One compiled expression and one result cache per distinct invariant and context type.
    return Invariant(key, Severity(severity), human, expression, context)
