"""A state's own XML: streamed one record element at a time, reshaped by our XSLT 1.0 stylesheet
into a canonical education-record `StudentRecord`, then read into a canonical dict.

hub.mapping may not import hub.messages (sibling packages on one layer stay independent), so the
few hardening lines of hub/messages/safe_xml.py are repeated here on purpose: the STANDARDS.md §7
parser settings, a resolver that refuses every external load, DOCTYPE refused, and stylesheets
compiled under XSLTAccessControl.DENY_ALL so `document()` can read nothing. Keep the two in step.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any, get_args, get_origin

from lxml import etree
from pydantic import BaseModel

from hub.errors import Issue, IssueCode, error
from hub.mapping._readers import FileRejected
from hub.mapping._schema import Locator
from hub.mapping._targets import without_none
from hub.model import StudentRecord

NAMESPACE = "urn:msix:education-record:1"
_RECORD = f"{{{NAMESPACE}}}StudentRecord"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_CHUNK = 64 * 1024
_STYLESHEET_MAX_BYTES = 1024 * 1024
_DOCTYPE_MARKERS = tuple(
    "<!DOCTYPE".encode(codec)
    for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "cp037")
)
_DOCTYPE_MESSAGE = "DOCTYPE declarations (internal or external DTDs, entities) are not accepted"
# Provenance is the ingest's to record; a stylesheet never writes it.
_SKIPPED_FIELDS = frozenset({"source"})


class _RefuseExternal(etree.Resolver):
    """Answers every external DTD, entity, include or document load with empty content."""

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        return self.resolve_string("", context, base_url=None)


_HARDENED: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_pis": True,
    "remove_comments": True,
    "collect_ids": False,
}


def compile_stylesheet(
    relative: Any, mapping_path: Path, locator: Locator
) -> tuple[etree.XSLT, bytes] | None:
    """Compile `transforms/<name>.xsl` (relative to the project root, the folder holding
    mappings/) under DENY_ALL; problems go to `locator`."""
    if not isinstance(relative, str):
        return None
    root = mapping_path.resolve().parents[2]
    folder = (root / "transforms").resolve()
    path = (root / relative).resolve()
    where = ("xml", "xslt")
    if not path.is_relative_to(folder) or not path.is_file():
        locator.add(where, f"no stylesheet {relative} in {folder}", "map.xslt")
        return None
    data = path.read_bytes()
    if len(data) > _STYLESHEET_MAX_BYTES or _has_doctype(data):
        locator.add(where, f"{relative} is too large or has a DOCTYPE", "map.xslt")
        return None
    parser = etree.XMLParser(**_HARDENED)
    parser.resolvers.add(_RefuseExternal())
    try:
        document = etree.fromstring(data, parser, base_url=str(path))
        deny_all = etree.XSLTAccessControl.DENY_ALL  # type: ignore[attr-defined]
        return etree.XSLT(document, access_control=deny_all), data
    except (etree.XMLSyntaxError, etree.XSLTParseError) as exc:
        locator.add(where, f"{relative} does not compile: {exc}", "map.xslt")
        return None


def _has_doctype(data: bytes) -> bool:
    return any(marker in data for marker in _DOCTYPE_MARKERS)


@dataclass
class XmlRecord:
    """One record element after the stylesheet: its canonical dict, or the issues why not."""

    line: int | None
    data: dict[str, Any] | None
    issues: list[Issue] = field(default_factory=list)


@dataclass
class XmlSummary:
    """A header or trailer element (`file:`): its local name, line, and fields (its attributes,
    and the text of its child elements; only the attributes of the root)."""

    name: str
    line: int | None
    values: dict[str, str]


def iter_xml_records(
    stream: IO[bytes],
    record_element: str,
    stylesheet: etree.XSLT,
    summaries: frozenset[str] = frozenset(),
) -> Iterator[XmlRecord | XmlSummary]:
    """Stream `stream`, yielding one `XmlRecord` per `record_element` (any namespace) and one
    `XmlSummary` per element named in `summaries`, in file order; memory stays constant
    because each record element is cleared, and its done siblings dropped, after use."""
    parser = etree.XMLPullParser(events=("start", "end"), **_HARDENED)
    parser.resolvers.add(_RefuseExternal())
    checked = False
    first = True
    while True:
        chunk = stream.read(_CHUNK)
        if first and _has_doctype(chunk):
            raise FileRejected([_doctype_issue()])
        first = False
        try:
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
        except etree.XMLSyntaxError as exc:
            raise FileRejected(_syntax_issues(exc)) from exc
        for event, element in parser.read_events():
            if not isinstance(element, etree._Element):
                continue
            if not checked:
                _refuse_doctype(element)
                checked = True
            name = etree.QName(element).localname
            if event == "end" and name == record_element:
                yield _transform(element, stylesheet)
                _release(element)
            elif name in summaries:
                # The root's attributes are read at its start (it ends only with the file); any
                # other summary is a child of the root, read whole at its end.
                parent = element.getparent()
                if parent is None and event == "start":
                    yield _summary(name, element, with_children=False)
                elif parent is not None and parent.getparent() is None and event == "end":
                    yield _summary(name, element, with_children=True)
        if not chunk:
            return


def _summary(name: str, element: etree._Element, *, with_children: bool) -> XmlSummary:
    values = {etree.QName(key).localname: str(value) for key, value in element.attrib.items()}
    if with_children:
        for child in element.iterchildren(tag=etree.Element):
            values.setdefault(etree.QName(child).localname, child.text or "")
    sourceline: Any = element.sourceline
    return XmlSummary(name, sourceline if isinstance(sourceline, int) else None, values)


def _doctype_issue() -> Issue:
    return error(IssueCode.SECURITY, _DOCTYPE_MESSAGE, "line 1", "xml-no-doctype")


def _refuse_doctype(element: etree._Element) -> None:
    docinfo: Any = element.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise FileRejected([_doctype_issue()])


def _release(element: etree._Element) -> None:
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _syntax_issues(exc: etree.XMLSyntaxError) -> list[Issue]:
    # The exception's own position: the shared error log also holds the stylesheet runs' entries.
    line, column = exc.position
    message = exc.msg.split(", line ", 1)[0]
    where = f"line {line}, column {column}"
    return [error(IssueCode.STRUCTURE, message, where, "xml-well-formed")]


def _transform(element: etree._Element, stylesheet: etree.XSLT) -> XmlRecord:
    # lxml-stubs 0.5 declare sourceline as `...`; lxml gives an int or None.
    sourceline: Any = element.sourceline
    line = sourceline if isinstance(sourceline, int) else None
    try:
        result = stylesheet(element)
    except etree.XSLTApplyError as exc:
        message = f"the stylesheet failed on this record: {exc}"
        return XmlRecord(line, None, [error(IssueCode.EXCEPTION, message, None, "map.xslt")])
    root = result.getroot()
    if root is None or root.tag != _RECORD:
        message = f"the stylesheet must produce one {{{NAMESPACE}}}StudentRecord"
        return XmlRecord(line, None, [error(IssueCode.STRUCTURE, message, None, "map.xslt")])
    issues: list[Issue] = []
    data = _read_model(StudentRecord, root, "", issues)
    return XmlRecord(line, None if issues else data, issues)


def element_name(field_name: str) -> str:
    """The canonical XML element of a model field: `last_name_1` -> `LastName1`."""
    return "".join(part[:1].upper() + part[1:] for part in field_name.split("_"))


@cache
def _fields_by_element(model: type[BaseModel]) -> dict[str, tuple[str, Any]]:
    """Each element name of `model`'s fields: the field and its annotation."""
    return {
        element_name(name): (name, info.annotation) for name, info in model.model_fields.items()
    }


@cache
def _value_shape(annotation: Any) -> tuple[str, Any]:
    # Read per element of every record, so the typing introspection is done once per annotation.
    inner = without_none(annotation)
    if get_origin(inner) is list:
        (item,) = get_args(inner)
        return "list", item
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return "model", inner
    return "text", None


def _read_model(
    model: type[BaseModel], element: etree._Element, path: str, issues: list[Issue]
) -> dict[str, Any]:
    fields = _fields_by_element(model)
    data: dict[str, Any] = {}
    for child in element.iterchildren(tag=etree.Element):
        qname = etree.QName(child)
        known = fields.get(qname.localname) if qname.namespace == NAMESPACE else None
        name = known[0] if known is not None else None
        where = f"{path}.{name}" if path and name else (name or qname.localname)
        if known is None or name in data:
            problem = "unknown" if name is None else "repeated"
            message = f"the stylesheet wrote a {problem} element {qname.localname}"
            issues.append(error(IssueCode.STRUCTURE, message, where, "map.xslt"))
        elif known[0] not in _SKIPPED_FIELDS:
            data[known[0]] = _read_value(known[1], child, where, issues)
    return data


def _read_value(annotation: Any, element: etree._Element, path: str, issues: list[Issue]) -> Any:
    if element.get(_XSI_NIL) in ("true", "1"):
        return None
    shape, inner = _value_shape(annotation)
    if shape == "list":
        items = []
        for index, child in enumerate(element.iterchildren(tag=etree.Element)):
            where = f"{path}[{index}]"
            if etree.QName(child).localname != inner.__name__:
                message = (
                    f"the stylesheet wrote {etree.QName(child).localname}, not {inner.__name__}"
                )
                issues.append(error(IssueCode.STRUCTURE, message, where, "map.xslt"))
                continue
            items.append(_read_model(inner, child, where, issues))
        return items
    if shape == "model":
        return _read_model(inner, element, path, issues)
    return element.text or ""
