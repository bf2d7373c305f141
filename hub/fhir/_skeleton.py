"""The base R4 element list of a resource, read from the R4B models' field metadata.

The R4 StructureDefinitions are not bundled (STANDARDS.md §4), but fhir.resources carries what a
snapshot's skeleton needs for our three resources: each element's name, order, cardinality,
types, choice groups and reference targets. Bindings and invariants the models do not carry come
from `profiles/base/r4-4.0.1.json`. Patient, Immunization and Condition are the same in R4 and
R4B (STANDARDS.md §1), so the skeleton is R4 4.0.1.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.backboneelement import BackboneElement
from fhir.resources.R4B.element import Element
from fhir.resources.R4B.resource import Resource
from pydantic import BaseModel

CORE = "http://hl7.org/fhir/StructureDefinition/"


@dataclass
class BaseElement:
    """One element of the base resource: what R4 says before any profile constrains it."""

    path: str
    min: int
    max: str
    types: list[dict[str, Any]]
    short: str = ""
    definition: str = ""
    # Where R4 defines the element: its own path, or the datatype's (`Identifier.value`).
    base_path: str = ""
    # The model class behind a complex type, to unroll its children on demand.
    model: type[BaseModel] | None = field(default=None, repr=False)


def resource_elements(resource_type: str) -> list[BaseElement]:
    """The root element and every element of `resource_type`, backbone children included."""
    model = get_fhir_model_class(resource_type)
    root = BaseElement(resource_type, 0, "*", [], resource_type, _doc(model))
    return [root, *_children(resource_type, model, backbone_only=True)]


def datatype_children(path: str, model: type[BaseModel]) -> list[BaseElement]:
    """The children of a complex-typed element (e.g. `Patient.identifier` -> `.system`, ...)."""
    children = _children(path, model, backbone_only=False)
    for child in children:
        child.base_path = model.__name__ + child.path[len(path) :]
    return children


def _children(path: str, model: type[BaseModel], *, backbone_only: bool) -> list[BaseElement]:
    fields = model.model_fields
    found: list[BaseElement] = []
    choices: dict[str, BaseElement] = {}
    sequence: list[str] = getattr(model, "elements_sequence")()  # noqa: B009 - FHIR models only
    for name in sequence:
        info = fields[name]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if not extra.get("element_property"):
            continue
        many, type_name, klass = _type_of(info.annotation)
        required = info.is_required() or bool(extra.get("element_required"))
        type_entry = _type_entry(type_name, extra)
        choice = extra.get("one_of_many")
        if isinstance(choice, str):
            element = choices.get(choice)
            if element is None:
                minimum = 1 if extra.get("one_of_many_required") else 0
                element = BaseElement(f"{path}.{choice}[x]", minimum, "1", [], info.title or "")
                element.definition = info.description or element.short
                choices[choice] = element
                found.append(element)
            element.types.append(type_entry)
            continue
        element = BaseElement(
            f"{path}.{name}",
            1 if required else 0,
            "*" if many else "1",
            [type_entry],
            info.title or "",
            info.description or info.title or "",
            model=klass,
        )
        found.append(element)
        if backbone_only and klass is not None and issubclass(klass, BackboneElement):
            found.extend(_children(element.path, klass, backbone_only=True))
    return found


def _type_entry(type_name: str, extra: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"code": type_name}
    targets = extra.get("enum_reference_types")
    if type_name == "Reference" and isinstance(targets, list):
        entry["targetProfile"] = [CORE + target for target in targets]
    return entry


def _type_of(annotation: Any) -> tuple[bool, str, type[BaseModel] | None]:
    """(repeats, FHIR type code, model class for complex types) of a field annotation."""
    many = False
    inner = annotation
    while True:
        origin = typing.get_origin(inner)
        args = [arg for arg in typing.get_args(inner) if arg is not type(None)]
        if origin in (list, typing.List):  # noqa: UP006 - the models annotate with typing.List
            many = True
            inner = args[0]
        elif origin is typing.Union or origin is types.UnionType:
            inner = args[0]
        elif origin is typing.Annotated:
            marker = inner.__metadata__[0]
            name = type(marker).__name__
            return many, name[0].lower() + name[1:], None
        else:
            break
    if inner is bool:
        return many, "boolean", None
    getter = getattr(inner, "get_model_klass", None)
    if getter is None:
        return many, "string", None
    klass: type[BaseModel] = getter()
    if issubclass(klass, Resource):
        return many, "Resource", None
    if issubclass(klass, BackboneElement):
        return many, "BackboneElement", klass
    name = klass.__name__
    return many, name, klass if issubclass(klass, Element) else None


def _doc(model: type[BaseModel]) -> str:
    return (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
