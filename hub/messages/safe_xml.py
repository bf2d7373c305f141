"""The one hardened XML parser of the hub (STANDARDS.md §7), schema loading and safe XSLT.

Every inbound XML document, whatever its door, goes through `parse_xml`. The layers, in order:

1. the size is capped before a byte is parsed;
2. a pre-scan refuses any DOCTYPE in the encodings libxml2 detects without a declaration;
3. a fresh parser per call, with the §7 settings plus a resolver that answers every external
   load with nothing: on lxml 6.1 / libxml2 2.14, `load_dtd=False` alone still reads an external
   DTD subset or a parameter entity from a local file;
4. after parsing, any DOCTYPE that slipped past the pre-scan (a UTF-7 document, say) is refused,
   and the nesting depth is checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

import xmlschema
from lxml import etree
from xmlschema.validators import XsdMaxLengthFacet

from hub.errors import (
    ConfigurationError,
    Issue,
    IssueCode,
    Severity,
    TooLargeError,
    ValidationError,
    error,
)

MAX_DEPTH = 256
"""Deepest element nesting accepted; libxml2 without XML_PARSE_HUGE stops at the same depth."""

XSD_DIR = Path(__file__).resolve().parents[2] / "xsd"
"""The read-only folder of published schemas; no schema is ever loaded from anywhere else."""

# Our own stylesheets are small; a larger one is a mistake, not a feature.
_STYLESHEET_MAX_BYTES = 1024 * 1024

# Without an encoding declaration libxml2 detects UTF-8, UTF-16, UCS-4 and EBCDIC from the first
# bytes, so the pre-scan looks for the DOCTYPE keyword in each of them. Encodings named in a
# declaration (UTF-7, ...) are left to the check after parsing. A literal "<!DOCTYPE" inside a
# comment or CDATA section is refused too: a false positive we accept for a scan this cheap.
_DOCTYPE_MARKERS = tuple(
    "<!DOCTYPE".encode(codec)
    for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "cp037")
)

# The first element nested one level too deep. libxml2 stops at the same depth while parsing; this
# holds even if that limit changes. Evaluated in C, it costs a twentieth of a Python walk.
_TOO_DEEP = "(" + "/*" * (MAX_DEPTH + 1) + ")[1]"

_DOCTYPE_MESSAGE = "DOCTYPE declarations (internal or external DTDs, entities) are not accepted"


def parse_xml(data: bytes, *, max_bytes: int) -> etree._Element:
    """Parse an untrusted XML document and return its root element.

    Raises `TooLargeError` when `data` is longer than `max_bytes` (checked before parsing) and
    `ValidationError` with located issues for a DOCTYPE, malformed XML or nesting deeper than
    `MAX_DEPTH`. Comments and processing instructions are dropped.
    """
    if len(data) > max_bytes:
        raise TooLargeError(
            [
                error(
                    IssueCode.TOO_LONG,
                    f"XML document is {len(data)} bytes; the limit is {max_bytes}",
                    rule="xml-size",
                )
            ]
        )
    _refuse_doctype_bytes(data)
    return _parse(data)


def load_schema(name: str | Path, *, root: Path = XSD_DIR) -> xmlschema.XMLSchema10:
    """Load a published XSD 1.0 schema by its path relative to `root` (the `xsd/` folder).

    The schema and anything it includes or imports must lie inside `root` (xmlschema's sandbox);
    entities in any of them are forbidden. A bad or missing schema raises `ConfigurationError`,
    because it stops the hub from starting.
    """
    base = root.resolve()
    target = (base / name).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        raise ConfigurationError(f"no schema {name} inside {base}", location=str(name))
    try:
        return xmlschema.XMLSchema10(
            str(target.relative_to(base)),
            base_url=str(base),
            allow="sandbox",
            defuse="always",
        )
    except (xmlschema.XMLSchemaException, SyntaxError, OSError) as exc:
        raise ConfigurationError(f"schema {name} cannot be loaded: {exc}", str(name)) from exc


def validate(schema: xmlschema.XMLSchemaBase, element: etree._Element) -> list[Issue]:
    """Every schema error of `element`, each located by the XPath of the offending element.

    Inbound `xsi:schemaLocation` hints are ignored and the instance may load nothing: the
    document is judged by our schema only.
    """
    resource = xmlschema.XMLResource(element, allow="none", defuse="always")
    return [
        _schema_issue(problem, schema.name)
        for problem in schema.iter_errors(resource, use_location_hints=False)
    ]


def safe_xslt(path: Path) -> etree.XSLT:
    """Compile one of our own stylesheets so that, when run, it can read or write nothing.

    `document()` and EXSLT `exsl:document` are denied at run time (STANDARDS.md §7). While
    compiling, `xsl:include` and `xsl:import` may load stylesheets from the same folder and
    nothing else. Partner-supplied stylesheets are never compiled. A stylesheet that cannot be
    loaded raises `ConfigurationError`.
    """
    data = path.read_bytes()
    if len(data) > _STYLESHEET_MAX_BYTES:
        raise ConfigurationError(f"stylesheet {path} is larger than {_STYLESHEET_MAX_BYTES} bytes")
    try:
        _refuse_doctype_bytes(data)
        document = _parse(data, str(path), _StylesheetFolder(path.parent))
        deny_all = etree.XSLTAccessControl.DENY_ALL  # type: ignore[attr-defined]
        return etree.XSLT(document, access_control=deny_all)
    except ValidationError as exc:
        raise ConfigurationError([issue.at(str(path)) for issue in exc.issues]) from exc
    except (etree.XSLTParseError, etree.XMLSyntaxError) as exc:
        raise ConfigurationError(f"stylesheet {path} does not compile: {exc}") from exc


class _RefuseExternal(etree.Resolver):
    """Answers every external DTD, entity or XInclude load with empty content."""

    # lxml-stubs 0.5 omit the `context` argument that lxml passes.
    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        return self.resolve_string("", context, base_url=None)


class _StylesheetFolder(_RefuseExternal):
    """Serves stylesheets from one folder (for xsl:include and xsl:import); refuses all else."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self._folder = folder.resolve()

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        if system_url.startswith("file:"):
            system_url = url2pathname(urlparse(system_url).path)
        path = Path(system_url).resolve()
        allowed = (
            "://" not in system_url
            and path.suffix in (".xsl", ".xslt")
            and path.is_relative_to(self._folder)
            and path.is_file()
        )
        if not allowed:
            return super().resolve(system_url, public_id, context)
        data = path.read_bytes()
        _refuse_doctype_bytes(data)
        return self.resolve_string(data, context, base_url=str(path))


def _new_parser(resolver: etree.Resolver | None = None) -> etree.XMLParser:
    # One parser per call: lxml parsers keep state and an error log, and are not thread-safe.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        remove_comments=True,
        collect_ids=False,
    )
    parser.resolvers.add(resolver or _RefuseExternal())
    return parser


def _parse(
    data: bytes, base_url: str | None = None, resolver: etree.Resolver | None = None
) -> etree._Element:
    parser = _new_parser(resolver)
    try:
        if base_url is None:
            root = etree.fromstring(data, parser)
        else:
            root = etree.fromstring(data, parser, base_url=base_url)
    except etree.XMLSyntaxError as exc:
        raise ValidationError(_syntax_issues(parser, exc)) from exc
    docinfo: Any = root.getroottree().docinfo  # lxml-stubs 0.5 lack DocInfo.doctype
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ValidationError([error(IssueCode.SECURITY, _DOCTYPE_MESSAGE, rule="xml-no-doctype")])
    _check_depth(root)
    return root


def _refuse_doctype_bytes(data: bytes) -> None:
    for marker in _DOCTYPE_MARKERS:
        offset = data.find(marker)
        if offset >= 0:
            line = data.count(b"\n", 0, offset) + 1
            raise ValidationError(
                [error(IssueCode.SECURITY, _DOCTYPE_MESSAGE, f"line {line}", rule="xml-no-doctype")]
            )


def _check_depth(root: etree._Element) -> None:
    found = root.xpath(_TOO_DEEP)
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        raise ValidationError([_depth_issue(root.getroottree().getpath(found[0]))])


def _depth_issue(location: str) -> Issue:
    return error(
        IssueCode.STRUCTURE,
        f"elements are nested deeper than {MAX_DEPTH} levels",
        location,
        rule="xml-depth",
    )


def _syntax_issues(parser: etree.XMLParser, exc: etree.XMLSyntaxError) -> list[Issue]:
    issues: list[Issue] = []
    for entry in parser.error_log:
        if entry.level_name not in ("ERROR", "FATAL"):
            continue
        where = f"line {entry.line}, column {entry.column}"
        if "Excessive depth" in entry.message:
            issue = _depth_issue(where)
        elif "amplification" in entry.message:
            # libxml2's guard against entity bombs (billion laughs) that evade the pre-scan.
            issue = error(IssueCode.SECURITY, entry.message.strip(), where, "xml-amplification")
        else:
            issue = error(IssueCode.STRUCTURE, entry.message.strip(), where, "xml-well-formed")
        if issue not in issues:
            issues.append(issue)
    # The log is empty for a few failures (an empty document on some libxml2 builds).
    return issues or [error(IssueCode.STRUCTURE, str(exc), rule="xml-well-formed")]


def _schema_issue(problem: xmlschema.XMLSchemaValidationError, schema_name: str | None) -> Issue:
    if isinstance(problem, xmlschema.XMLSchemaChildrenValidationError):
        code = IssueCode.STRUCTURE
    elif isinstance(problem.validator, XsdMaxLengthFacet):
        code = IssueCode.TOO_LONG
    else:
        code = IssueCode.VALUE
    message = problem.reason or problem.message
    if problem.sourceline:
        message = f"{message} (line {problem.sourceline})"
    return Issue(Severity.ERROR, code, message, problem.path, schema_name)
