"""Checks on XML responses: schemas from the local `xsd/` folder only, message envelopes and
their bodies, replies that answer their request, refusals with a typed Error."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

import xmlschema
from lxml import etree

from hub.conformance._envelope import NAMESPACE
from hub.conformance._outcomes import CheckFailed, Skipped
from hub.conformance._paths import xml_values
from hub.conformance._registry import ANY_VALUE, STRINGS, TEXT, StepView, check
from hub.messages import load_schema, validate

ENVELOPE_SCHEMA = "message-envelope.xsd"
BODIES_SCHEMA = "message-bodies.xsd"
_REFUSALS = ("Error",)


@functools.cache
def _schema(name: str) -> xmlschema.XMLSchema10:
    return load_schema(name)


def _schema_problems(name: str, element: etree._Element) -> list[str]:
    return [
        f"{issue.location or ''} {issue.message}".strip()
        for issue in validate(_schema(name), element)
    ]


def _fail_on(problems: list[str], what: str) -> None:
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise CheckFailed(f"{what}: " + "; ".join(problems[:5]) + more)


def _first(root: etree._Element, path: str) -> str | None:
    found = xml_values(root, path)
    return found[0] if found else None


@check("xml_valid", {"schema": TEXT}, shorthand="schema")
def xml_valid(view: StepView, params: dict[str, Any]) -> str | None:
    """The body is XML (hardened parser) that validates against the named schema in xsd/."""
    _fail_on(
        _schema_problems(str(params["schema"]), view.xml()), f"invalid against {params['schema']}"
    )
    return None


@check("message_valid")
def message_valid(view: StepView, params: dict[str, Any]) -> str | None:
    """The body is a message whose envelope, body (by MessageType) and PayloadDigest are valid."""
    root = view.xml()
    _fail_on(_schema_problems(ENVELOPE_SCHEMA, root), "invalid envelope")
    holder = root.find(f"{{{NAMESPACE}}}Body")
    body = next(iter(holder.iterchildren(tag=etree.Element))) if holder is not None else None
    if body is None:
        raise CheckFailed("the message has no body element")
    kind = _first(root, "Header/MessageType")
    if etree.QName(body).localname != kind:
        raise CheckFailed(f"MessageType is {kind} but the body is {etree.QName(body).localname}")
    _fail_on(_schema_problems(BODIES_SCHEMA, body), f"invalid {kind} body")
    canonical = etree.tostring(body, method="c14n", exclusive=True, with_comments=False)
    if hashlib.sha256(canonical).hexdigest() != _first(root, "Header/PayloadDigest"):
        raise CheckFailed("PayloadDigest does not match the body")
    return f"a valid {kind}"


@check("xml_equals", {"path": TEXT, "value": ANY_VALUE})
def xml_equals(view: StepView, params: dict[str, Any]) -> str | None:
    """Every text at the XML path (at least one) equals the value."""
    found = xml_values(view.xml(), str(params["path"]))
    if not found:
        raise CheckFailed(f"nothing at {params['path']}, expected {params['value']!r}")
    wrong = [value for value in found if value != str(params["value"])]
    if wrong:
        raise CheckFailed(f"{params['path']} is {wrong[0]!r}, expected {params['value']!r}")
    return None


@check("xml_one_of", {"path": TEXT, "values": STRINGS})
def xml_one_of(view: StepView, params: dict[str, Any]) -> str | None:
    """The text at the XML path is one of the values."""
    found = _first(view.xml(), str(params["path"]))
    if found not in params["values"]:
        raise CheckFailed(f"{params['path']} is {found!r}, expected one of {params['values']}")
    return None


@check("xml_present", {"path": TEXT}, shorthand="path")
def xml_present(view: StepView, params: dict[str, Any]) -> str | None:
    """The XML body has at least one element (or attribute) at the path."""
    if not xml_values(view.xml(), str(params["path"])):
        raise CheckFailed(f"nothing at {params['path']}")
    return None


@check("message_answers_request")
def message_answers_request(view: StepView, params: dict[str, Any]) -> str | None:
    """The reply's InReplyTo is the MessageId of the message this step sent."""
    if view.sent.message_id is None:
        raise Skipped("no data: this step sent no message")
    found = _first(view.xml(), "Header/InReplyTo")
    if found != view.sent.message_id:
        raise CheckFailed(f"InReplyTo is {found!r}, expected {view.sent.message_id}")
    return None


@check("message_refused", {"error_type": {"anyOf": [TEXT, STRINGS], "optional": True}})
def message_refused(view: StepView, params: dict[str, Any]) -> str | None:
    """The message was refused: a 4xx status with an Error message (of the given Type) or a
    Rejected Acknowledgement, never an acceptance."""
    if not 400 <= view.response.status < 500:
        raise CheckFailed(f"status {view.response.status}: the message was not refused")
    root = view.xml()
    kind = _first(root, "Header/MessageType")
    if kind == "Acknowledgement" and _first(root, "Body/Acknowledgement/Result") == "Rejected":
        if params.get("error_type"):
            raise CheckFailed("a Rejected Acknowledgement, expected an Error with a Type")
        return None
    if kind not in _REFUSALS:
        raise CheckFailed(f"the reply is a {kind}, not an Error")
    wanted = params.get("error_type")
    if wanted is not None:
        types = wanted if isinstance(wanted, list) else [wanted]
        found = _first(root, "Body/Error/Type")
        if found not in types:
            raise CheckFailed(f"Error Type is {found!r}, expected {' or '.join(types)}")
    return None


@check("xml_contains", {"path": TEXT, "value": ANY_VALUE})
def xml_contains(view: StepView, params: dict[str, Any]) -> str | None:
    """At least one text (or attribute value) at the XML path equals the value."""
    found = xml_values(view.xml(), str(params["path"]))
    if str(params["value"]) not in found:
        raise CheckFailed(f"{params['value']!r} not among {params['path']}: {found[:5]!r}")
    return None
