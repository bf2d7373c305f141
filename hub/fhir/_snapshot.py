"""Snapshots for our StructureDefinitions: base skeleton, then each profile layer's differential.

The snapshot of a profile is the R4 element list of its type (`_skeleton`, read from the R4B
models) with the R4 rules the models lack (`profiles/base/r4-4.0.1.json`), then the differential
of every profile on its `baseDefinition` chain (US Core 6.1.0 from `profiles/base/`, then ours)
applied in order. Complex-typed elements are unrolled to their datatype's children only where a
layer constrains a child, as FHIR snapshots do. A layer may tighten, never loosen: a wider
cardinality is a `ConfigurationError`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hub.errors import ConfigurationError, IssueCode, error
from hub.fhir._skeleton import CORE, BaseElement, datatype_children, resource_elements

Element = dict[str, Any]

ELE_1: Element = {
    "key": "ele-1",
    "severity": "error",
    "human": "All FHIR elements must have a @value or children",
    "expression": "hasValue() or (children().count() > id.count())",
    "source": CORE + "Element",
}
EXT_1: Element = {
    "key": "ext-1",
    "severity": "error",
    "human": "Must have either extensions or value[x], not both",
    "expression": "extension.exists() != value.exists()",
    "source": CORE + "Extension",
}
_MERGED = ("short", "definition", "comment", "maxLength", "binding", "type", "mustSupport")


def build_snapshot(
    resource_type: str,
    layers: Sequence[Sequence[Element]],
    root_constraints: Sequence[Element] = (),
) -> list[Element]:
    """The snapshot elements of `resource_type` after applying `layers` (base first)."""
    mentioned = [fragment["path"] for layer in layers for fragment in layer]
    elements = _unrolled(resource_elements(resource_type), mentioned)
    snapshot = [_element(base, resource_type) for base in elements]
    snapshot[0]["constraint"] = [copy.deepcopy(item) for item in root_constraints]
    by_path = {element["path"]: element for element in snapshot}
    problems = []
    for layer in layers:
        for fragment in layer:
            target = by_path.get(fragment["path"])
            if target is None:
                problems.append(
                    error(IssueCode.NOT_FOUND, "no such element", fragment["path"], "sd.path")
                )
                continue
            problems.extend(_merge(target, fragment))
    if problems:
        raise ConfigurationError(problems)
    return snapshot


def _unrolled(elements: list[BaseElement], paths: Iterable[str]) -> list[BaseElement]:
    """`elements` with datatype children inserted under every ancestor of a path in `paths`."""
    result = list(elements)
    for path in sorted(set(paths), key=lambda item: item.count(".")):
        parts = path.split(".")
        for depth in range(2, len(parts)):
            parent_path = ".".join(parts[:depth])
            index = next((i for i, e in enumerate(result) if e.path == parent_path), None)
            if index is None:
                break
            parent = result[index]
            has_children = index + 1 < len(result) and result[index + 1].path.startswith(
                parent_path + "."
            )
            if parent.model is not None and not has_children:
                result[index + 1 : index + 1] = datatype_children(parent_path, parent.model)
    return result


def _element(base: BaseElement, resource_type: str) -> Element:
    path = base.path
    element: Element = {"id": path, "path": path}
    if base.short:
        element["short"] = base.short
    element["definition"] = base.definition or base.short or path
    element["min"] = base.min
    element["max"] = base.max
    element["base"] = {"path": base.base_path or path, "min": base.min, "max": base.max}
    if base.types:
        element["type"] = copy.deepcopy(base.types)
    if path != resource_type:
        element["constraint"] = [dict(ELE_1)]
        if path.endswith((".extension", ".modifierExtension")):
            element["constraint"].append(dict(EXT_1))
    return element


def _merge(target: Element, fragment: Mapping[str, Any]) -> list[Any]:
    problems = []
    path = fragment["path"]
    if "min" in fragment:
        if fragment["min"] < target["min"]:
            problems.append(_loosened(path, f"min {fragment['min']} < {target['min']}"))
        target["min"] = fragment["min"]
    if "max" in fragment:
        if _max(fragment["max"]) > _max(target["max"]):
            problems.append(_loosened(path, f"max {fragment['max']} > {target['max']}"))
        target["max"] = fragment["max"]
    for name in _MERGED:
        if name in fragment:
            target[name] = copy.deepcopy(fragment[name])
    for name, value in fragment.items():
        if name.startswith(("fixed", "pattern")):
            target[name] = copy.deepcopy(value)
    known = {item["key"] for item in target.get("constraint", [])}
    for constraint in fragment.get("constraint", []):
        if constraint["key"] not in known:
            target.setdefault("constraint", []).append(copy.deepcopy(constraint))
    return problems


def _max(value: str) -> float:
    return float("inf") if value == "*" else float(value)


def _loosened(path: str, what: str) -> Any:
    return error(IssueCode.BUSINESS_RULE, f"a profile may not loosen its base: {what}", path)
