"""Lossless codec between the canonical `StudentRecord` and education-record XML.

The XML is defined by `xsd/education-record.xsd`. The codec walks the pydantic fields rather than
naming them, so a new model field needs an XSD change and no codec change:

- an element is named after its field in UpperCamelCase (`last_name_1` -> `LastName1`);
- a nested model is an element holding its fields; a list is a wrapper element (`Moves`) holding
  one element per item, named after the item class (`QualifyingMove`); a list or model equal to
  what its field's default factory makes (an empty list, an empty Identity) is omitted;
- an absent value is omitted, unless its field has a non-empty default (`Condition.clinical_status`
  is "active"): then it is sent as `xsi:nil="true"`, so omission can keep meaning "the default";
- dates are ISO 8601, booleans `true`/`false`, decimals keep their digits (`1.50` stays `1.50`).

`record_from_xml(record_to_xml(r)) == r` for every record; reading leaves every conversion to the
model, so the model's own validation decides, and its errors come back located by XPath.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Union, cast, get_args, get_origin

import pydantic
import xmlschema
from lxml import etree
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from hub.errors import Issue, IssueCode, ValidationError, error
from hub.messages.safe_xml import XSD_DIR, load_schema, parse_xml, validate
from hub.model import StudentRecord

NAMESPACE = "urn:msix:education-record:1"
SCHEMA_FILE = "education-record.xsd"

_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
# The records use the default namespace; lxml-stubs 0.5 do not admit None as a prefix key.
_NSMAP: dict[Any, str] = {None: NAMESPACE}
_RECORD = "StudentRecord"
_BATCH = "EducationRecords"


def element_name(field_name: str) -> str:
    """The XML element name of a model field: `birth_date` -> `BirthDate`."""
    return "".join(part[:1].upper() + part[1:] for part in field_name.split("_"))


@functools.cache
def education_schema() -> xmlschema.XMLSchema10:
    """The published education-record schema, loaded once: the file is read-only at run time."""
    return load_schema(SCHEMA_FILE)


@functools.cache
def _compiled_schema() -> etree.XMLSchema:
    """The same schema compiled by libxml2, for records the hub encodes itself.

    Only ever applied to trees built in memory by `record_to_xml`, never to inbound documents
    (those go through `parse_xml` and xmlschema, STANDARDS.md §7). The schema is our own file,
    read with a parser that loads nothing else. libxml2 checks a record in about 0.15 ms, where
    xmlschema takes 14 ms; `tests/unit/messages/test_education_xml.py` checks that both judge
    valid and broken records alike.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(XSD_DIR / SCHEMA_FILE), parser))


def record_schema_issues(record: StudentRecord, where: str = "record") -> list[Issue]:
    """Every issue the education-record XSD finds in `record`, located at `where` followed by
    the model path of the element (`record[3].student_id.state`).

    The record is encoded as it would be sent (text XML 1.0 cannot carry is an issue too) and the
    tree is validated against `xsd/education-record.xsd`: what a receiving state's validator
    would refuse is found when the record arrives, not when it is first sent on.
    """
    try:
        element = record_to_xml(record)
    except ValidationError as exc:  # each located by its element path from the record
        return [
            replace(issue, location=f"{where}{_field_path(_below_record(issue.location))}")
            for issue in exc.issues
        ]
    issues: list[Issue] = []
    schema = _compiled_schema()
    if schema.validate(element):
        return []
    tree = element.getroottree()
    entries: Iterable[Any] = cast(Any, schema.error_log)  # lxml-stubs 0.5 declare no members
    for entry in entries:
        found = tree.xpath(entry.path) if entry.path else []
        node = found[0] if isinstance(found, list) and found else None
        steps = tree.getelementpath(node) if isinstance(node, etree._Element) else ""
        path = _field_path(steps.replace(f"{{{NAMESPACE}}}", ""))
        message = str(entry.message).replace(f"{{{NAMESPACE}}}", "")
        issue = error(IssueCode.VALUE, message, f"{where}{path}", SCHEMA_FILE)
        if issue not in issues:
            issues.append(issue)
    return issues


def _below_record(location: str | None) -> str:
    return (location or "").removeprefix(f"/{_RECORD}")


def _field_path(steps: str) -> str:
    """The model path (`.immunizations[1].cvx`) of an element path below the record
    (`Immunizations/Immunization[2]/Cvx`), as the hub's other record issues are located; an
    element the model does not know ends the path with its XML name."""
    path, current, list_item = "", cast("type[BaseModel] | None", StudentRecord), False
    for step in [part for part in steps.split("/") if part not in ("", ".")]:
        name, _, position = step.partition("[")
        if list_item:
            path += f"[{int(position.rstrip(']') or 1) - 1}]"
            list_item = False
            continue
        field = _fields_by_element(current).get(name) if current is not None else None
        if field is None or current is None:
            return f"{path}.{name}"
        path += f".{field}"
        annotation = current.model_fields[field].annotation
        item_model = _list_item_model(annotation)
        list_item = item_model is not None
        current = item_model or _model_class(annotation)
    return path


def record_to_xml(record: StudentRecord) -> etree._Element:
    """A `StudentRecord` element for `record`; raises `ValidationError` for text XML cannot hold."""
    element = etree.Element(_qname(_RECORD), nsmap=_NSMAP)
    issues: list[Issue] = []
    _write_model(element, record, f"/{_RECORD}", issues)
    if issues:
        raise ValidationError(issues)
    return element


def record_from_xml(element: etree._Element) -> StudentRecord:
    """The record held by a `StudentRecord` element; raises `ValidationError` with every issue.

    The element is not schema-validated here (`records_from_bytes` does that); unknown elements
    and values the model refuses are reported, each with its XPath.
    """
    return _read_record(element, f"/{_RECORD}")


def records_to_bytes(records: Iterable[StudentRecord]) -> bytes:
    """An `EducationRecords` document (UTF-8, with XML declaration) holding `records` in order."""
    root = etree.Element(_qname(_BATCH), nsmap=_NSMAP)
    issues: list[Issue] = []
    for number, record in enumerate(records, start=1):
        child = etree.SubElement(root, _qname(_RECORD))
        _write_model(child, record, f"/{_BATCH}/{_RECORD}[{number}]", issues)
    if issues:
        raise ValidationError(issues)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def records_from_bytes(data: bytes, max_bytes: int) -> list[StudentRecord]:
    """Parse, schema-validate and read an `EducationRecords` or `StudentRecord` document.

    Uses the hardened parser (size cap, no DTD, depth limit). Raises `TooLargeError`, or
    `ValidationError` carrying every schema or model issue of every record, located by XPath.
    """
    root = parse_xml(data, max_bytes=max_bytes)
    issues = validate(education_schema(), root)
    if issues:
        raise ValidationError(issues)
    if root.tag == _qname(_RECORD):
        return [_read_record(root, f"/{_RECORD}")]
    records: list[StudentRecord] = []
    for number, element in enumerate(root.iterchildren(_qname(_RECORD)), start=1):
        try:
            records.append(_read_record(element, f"/{_BATCH}/{_RECORD}[{number}]"))
        except ValidationError as exc:
            issues.extend(exc.issues)
    if issues:
        raise ValidationError(issues)
    return records


def _qname(local: str) -> str:
    return f"{{{NAMESPACE}}}{local}"


# Writing


@dataclass(frozen=True, slots=True)
class _FieldPlan:
    name: str
    tag: str  # local name, for error paths
    qname: str  # namespaced, for the element
    nil_when_absent: bool
    omitted: object  # the factory default (omitted when equal), or _NO_FACTORY


@functools.cache
def _plan(model: type[BaseModel]) -> tuple[_FieldPlan, ...]:
    # Hot path (every RecordResponse): names, defaults and nil rules worked out once per class.
    return tuple(
        _FieldPlan(
            name,
            element_name(name),
            _qname(element_name(name)),
            _nil_when_absent(field),
            _factory_default(model, name),
        )
        for name, field in model.model_fields.items()
    )


def _write_model(element: etree._Element, model: BaseModel, path: str, issues: list[Issue]) -> None:
    sub = etree.SubElement
    for plan in _plan(type(model)):
        value = getattr(model, plan.name)
        if value is None:
            if plan.nil_when_absent:
                sub(element, plan.qname).set(_XSI_NIL, "true")
        elif plan.omitted is not _NO_FACTORY and value == plan.omitted:
            continue
        elif isinstance(value, BaseModel):
            _write_model(sub(element, plan.qname), value, f"{path}/{plan.tag}", issues)
        elif isinstance(value, list):
            _write_list(element, plan, value, path, issues)
        else:
            child = sub(element, plan.qname)
            try:
                child.text = _lexical(value)
            except ValueError:
                _bad_text(f"{path}/{plan.tag}", issues)


def _write_list(
    parent: etree._Element, plan: _FieldPlan, items: list[Any], path: str, issues: list[Issue]
) -> None:
    wrapper = etree.SubElement(parent, plan.qname)
    for number, item in enumerate(items, start=1):
        if not isinstance(item, BaseModel):
            raise TypeError(f"{path}/{plan.tag}: only lists of models have an XML form")
        item_tag = type(item).__name__
        child = etree.SubElement(wrapper, _qname(item_tag))
        _write_model(child, item, f"{path}/{plan.tag}/{item_tag}[{number}]", issues)


def _bad_text(path: str, issues: list[Issue]) -> None:
    # lxml refuses control characters and lone surrogates: XML 1.0 cannot carry them.
    issues.append(
        error(IssueCode.VALUE, "text holds characters XML 1.0 cannot carry", path, "xml-chars")
    )


def _lexical(value: object) -> str:
    """The XSD lexical form of a scalar (datetime before date: it is a subclass)."""
    if type(value) is str:  # most values: names, codes, ids
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # Fixed-point, never an exponent: xs:decimal has none, and "1.50" keeps its digits.
        return format(value, "f")
    if isinstance(value, int | str):
        return str(value)
    raise TypeError(f"no XML form for {type(value).__name__}")


def _nil_when_absent(field: FieldInfo) -> bool:
    return field.default is not None and field.default is not PydanticUndefined


_NO_FACTORY = object()


@functools.cache
def _factory_default(model: type[BaseModel], name: str) -> object:
    # An empty list or an empty Identity reads back the same when omitted: the factory rebuilds
    # it. Cached, because pydantic inspects the factory's signature on every call.
    field = model.model_fields[name]
    if field.default_factory is None:
        return _NO_FACTORY
    return field.get_default(call_default_factory=True, validated_data={})


# Reading


def _read_record(element: etree._Element, path: str) -> StudentRecord:
    if element.tag != _qname(_RECORD):
        raise ValidationError(
            [error(IssueCode.STRUCTURE, f"expected {{{NAMESPACE}}}{_RECORD}", path, "xml-root")]
        )
    issues: list[Issue] = []
    data = _read_model(StudentRecord, element, path, issues)
    if issues:
        raise ValidationError(issues)
    try:
        return StudentRecord.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationError(_model_issues(exc, path)) from exc


def _read_model(
    model: type[BaseModel], element: etree._Element, path: str, issues: list[Issue]
) -> dict[str, Any]:
    fields = _fields_by_element(model)
    data: dict[str, Any] = {}
    for child in element.iterchildren(tag=etree.Element):
        qname = etree.QName(child)
        where = f"{path}/{qname.localname}"
        name = fields.get(qname.localname) if qname.namespace == NAMESPACE else None
        if name is None:
            issues.append(error(IssueCode.STRUCTURE, f"unknown element {qname.text}", where))
        elif name in data:
            issues.append(error(IssueCode.STRUCTURE, "element repeated", where))
        else:
            data[name] = _read_value(model.model_fields[name], child, where, issues)
    return data


def _read_value(field: FieldInfo, element: etree._Element, path: str, issues: list[Issue]) -> Any:
    if element.get(_XSI_NIL) in ("true", "1"):
        return None
    item_model = _list_item_model(field.annotation)
    if item_model is not None:
        return _read_list(item_model, element, path, issues)
    nested = _model_class(field.annotation)
    if nested is not None:
        return _read_model(nested, element, path, issues)
    if len(element):
        issues.append(error(IssueCode.STRUCTURE, "a value element has child elements", path))
    # An empty element is an empty string; the model decides whether that is acceptable.
    return element.text or ""


def _read_list(
    item_model: type[BaseModel], wrapper: etree._Element, path: str, issues: list[Issue]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for child in wrapper.iterchildren(tag=etree.Element):
        where = f"{path}/{etree.QName(child).localname}[{len(items) + 1}]"
        if child.tag != _qname(item_model.__name__):
            issues.append(error(IssueCode.STRUCTURE, f"expected {item_model.__name__}", where))
            continue
        items.append(_read_model(item_model, child, where, issues))
    return items


def _model_issues(exc: pydantic.ValidationError, path: str) -> list[Issue]:
    issues = []
    for problem in exc.errors():
        kind = problem["type"]
        if kind == "missing":
            code = IssueCode.REQUIRED
        elif kind in ("string_too_long", "too_long"):
            code = IssueCode.TOO_LONG
        else:
            code = IssueCode.VALUE
        location = _xpath(StudentRecord, problem["loc"], path)
        issues.append(error(code, problem["msg"], location, "model"))
    return issues


def _xpath(model: type[BaseModel], loc: tuple[int | str, ...], path: str) -> str:
    """Turn a pydantic error location into the XPath of the element it names."""
    current: type[BaseModel] | None = model
    item_tag: str | None = None
    for part in loc:
        if isinstance(part, int) and item_tag is not None:
            path = f"{path}/{item_tag}[{part + 1}]"
            continue
        if current is None or not isinstance(part, str) or part not in current.model_fields:
            path = f"{path}/{part}"
            current, item_tag = None, None
            continue
        annotation = current.model_fields[part].annotation
        path = f"{path}/{element_name(part)}"
        item_model = _list_item_model(annotation)
        item_tag = item_model.__name__ if item_model is not None else None
        current = item_model or _model_class(annotation)
    return path


# Model shape


@functools.cache
def _fields_by_element(model: type[BaseModel]) -> dict[str, str]:
    return {element_name(name): name for name in model.model_fields}


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _model_class(annotation: Any) -> type[BaseModel] | None:
    inner = _without_none(annotation)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return inner
    return None


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    inner = _without_none(annotation)
    if get_origin(inner) is not list:
        return None
    (item,) = get_args(inner)
    return _model_class(item)
