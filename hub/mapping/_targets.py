"""Canonical target paths, read from the `StudentRecord` model: what a mapping rule may write.

A path is dotted; a repeated group is written with `[]` (`enrollments[].grade_level`,
`identity.parents[].first_name`). The record key (`student_id.state`, `student_id.value`) and the
action code come from the mapping's `record:` section, not from rules.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from hub.mapping._registry import Kind
from hub.model import StudentRecord, elements_of

GROUPS: Mapping[str, str] = MappingProxyType(
    {
        "moves": "moves",
        "enrollments": "enrollments",
        "assessments": "assessments",
        "courses": "courses",
        "immunizations": "immunizations",
        "conditions": "conditions",
        "parents": "identity.parents",
        "alternate_ids": "identity.alternate_ids",
    }
)
"""Group name -> canonical list path."""

# Set by the `record:` section (key, action) or by the engine (provenance), never by a rule.
RESERVED = frozenset({"student_id.state", "student_id.value", "action"})
_PROVENANCE = "source."


@dataclass(frozen=True)
class Target:
    """One canonical element a rule may write."""

    path: str
    group: str | None
    field: str
    kind: Kind
    codeset: str | None
    identifies: bool
    required: bool
    meaning: str


@cache
def targets() -> Mapping[str, Target]:
    """Every writable canonical path, in model order."""
    found = {target.path: target for target in _walk(StudentRecord, "", None)}
    return MappingProxyType(
        {
            path: target
            for path, target in found.items()
            if path not in RESERVED and not path.startswith(_PROVENANCE)
        }
    )


def group_of_list(path: str) -> str | None:
    """The group name whose list path is `path` (`identity.parents` -> `parents`)."""
    for name, list_path in GROUPS.items():
        if list_path == path:
            return name
    return None


def _walk(model: type[BaseModel], prefix: str, group: str | None) -> Iterator[Target]:
    elements = {element.field: element for element in elements_of(model)}
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = without_none(info.annotation)
        if get_origin(annotation) is list:
            (item,) = get_args(annotation)
            if isinstance(item, type) and issubclass(item, BaseModel):
                yield from _walk(item, f"{path}[].", group_of_list(path))
            continue
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _walk(annotation, f"{path}.", group)
            continue
        element = elements.get(name)
        yield Target(
            path=path,
            group=group,
            field=name,
            kind=_kind(annotation),
            codeset=element.codeset if element else None,
            identifies=bool(element and element.identifies and element.kind == "A"),
            required=info.is_required(),
            meaning=info.description or "",
        )


def without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _kind(annotation: Any) -> Kind:
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "int"
    if annotation is Decimal:
        return "decimal"
    if annotation is date:
        return "date"
    return "text"
