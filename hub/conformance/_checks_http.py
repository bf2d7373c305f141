"""Checks on any HTTP response: status, media type, headers, bodies and JSON paths."""

from __future__ import annotations

import json
from typing import Any

from hub.conformance._outcomes import CheckFailed
from hub.conformance._paths import json_values
from hub.conformance._registry import ANY_VALUE, TEXT, StepView, check


@check(
    "status",
    {"code": {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"type": "integer"}}]}},
    shorthand="code",
)
def status(view: StepView, params: dict[str, Any]) -> str | None:
    """The response status is the given code (or one of the given codes)."""
    wanted = params["code"] if isinstance(params["code"], list) else [params["code"]]
    if view.response.status not in wanted:
        raise CheckFailed(
            f"status {view.response.status}, expected {' or '.join(map(str, wanted))}: "
            f"{view.response.content[:200]!r}"
        )
    return None


@check("content_type", {"media_type": TEXT}, shorthand="media_type")
def content_type(view: StepView, params: dict[str, Any]) -> str | None:
    """The Content-Type media type (parameters such as charset aside) is the given one."""
    wanted = str(params["media_type"]).lower()
    if view.response.media_type != wanted:
        shown = view.response.headers.get("content-type") or "no Content-Type"
        raise CheckFailed(f"Content-Type is {shown}, expected {wanted}")
    return None


@check("header_present", {"name": TEXT}, shorthand="name")
def header_present(view: StepView, params: dict[str, Any]) -> str | None:
    """The response carries the named header with a non-empty value."""
    value = view.response.headers.get(str(params["name"]), "")
    if not value.strip():
        raise CheckFailed(f"header {params['name']} is missing")
    return f"{params['name']}: {value}"


@check("header_equals", {"name": TEXT, "value": TEXT})
def header_equals(view: StepView, params: dict[str, Any]) -> str | None:
    """The named response header has exactly the given value."""
    value = view.response.headers.get(str(params["name"]))
    if value != params["value"]:
        raise CheckFailed(f"header {params['name']} is {value!r}, expected {params['value']!r}")
    return None


@check("body_excludes", {"text": TEXT}, shorthand="text")
def body_excludes(view: StepView, params: dict[str, Any]) -> str | None:
    """The response body does not contain the given text (e.g. a leaked local file)."""
    if str(params["text"]).encode("utf-8") in view.response.content:
        raise CheckFailed(f"the response contains {params['text']!r}")
    return None


@check("same_body_as", {"step": TEXT}, shorthand="step")
def same_body_as(view: StepView, params: dict[str, Any]) -> str | None:
    """The body equals an earlier step's body (as JSON when both are JSON, else byte for byte)."""
    other = view.other(str(params["step"]))
    if other.content == view.response.content:
        return None
    try:
        if json.loads(other.content) == json.loads(view.response.content):
            return None
    except ValueError:
        pass
    raise CheckFailed(
        f"the body differs from step {params['step']}'s: "
        f"{other.content[:160]!r} versus {view.response.content[:160]!r}"
    )


@check("same_status_as", {"step": TEXT}, shorthand="step")
def same_status_as(view: StepView, params: dict[str, Any]) -> str | None:
    """The status equals an earlier step's status."""
    other = view.other(str(params["step"]))
    if other.status != view.response.status:
        raise CheckFailed(
            f"status {view.response.status}, step {params['step']} got {other.status}"
        )
    return None


@check("json_present", {"path": TEXT}, shorthand="path")
def json_present(view: StepView, params: dict[str, Any]) -> str | None:
    """The JSON body has at least one value at the path."""
    if not json_values(view.json(), str(params["path"])):
        raise CheckFailed(f"nothing at {params['path']}")
    return None


@check("json_absent", {"path": TEXT}, shorthand="path")
def json_absent(view: StepView, params: dict[str, Any]) -> str | None:
    """The JSON body has no value at the path."""
    found = json_values(view.json(), str(params["path"]))
    if found:
        raise CheckFailed(f"{params['path']} is present: {found[:3]!r}")
    return None


@check("json_equals", {"path": TEXT, "value": ANY_VALUE})
def json_equals(view: StepView, params: dict[str, Any]) -> str | None:
    """Every value at the path (at least one) equals the given value."""
    found = json_values(view.json(), str(params["path"]))
    if not found:
        raise CheckFailed(f"nothing at {params['path']}, expected {params['value']!r}")
    wrong = [value for value in found if value != params["value"]]
    if wrong:
        raise CheckFailed(f"{params['path']} is {wrong[0]!r}, expected {params['value']!r}")
    return None


@check("json_contains", {"path": TEXT, "value": ANY_VALUE})
def json_contains(view: StepView, params: dict[str, Any]) -> str | None:
    """At least one value at the path equals the given value."""
    found = json_values(view.json(), str(params["path"]))
    if params["value"] not in found:
        raise CheckFailed(f"{params['value']!r} not among {params['path']}: {found[:5]!r}")
    return None


@check(
    "json_count",
    {
        "path": TEXT,
        "min": {"type": "integer", "minimum": 0, "optional": True},
        "max": {"type": "integer", "minimum": 0, "optional": True},
    },
)
def json_count(view: StepView, params: dict[str, Any]) -> str | None:
    """The number of values at the path lies between min and max (inclusive)."""
    count = len(json_values(view.json(), str(params["path"])))
    low, high = params.get("min", 0), params.get("max")
    if count < low or (high is not None and count > high):
        raise CheckFailed(f"{count} values at {params['path']}, expected {low}..{high or 'n'}")
    return f"{count} values"
