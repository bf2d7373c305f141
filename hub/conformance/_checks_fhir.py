"""Checks on FHIR R4 responses: Bundles and paging, searches that really filter, resources that
validate against our profiles, OperationOutcome shapes, ETags and the CapabilityStatement."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hub.conformance._outcomes import CheckFailed, Skipped
from hub.conformance._paths import json_values
from hub.conformance._registry import ANY_VALUE, STRINGS, TEXT, StepView, check
from hub.errors import Issue

_SEVERITIES = frozenset({"fatal", "error", "warning", "information"})
_DEFAULT_MAX_PAGES = 50


def _validator() -> Callable[[Mapping[str, Any]], list[Issue]]:
    """Profile validation when the hub has it, else the structural validation of the models."""
    try:
        from hub.fhir.profile_validation import validate_resource
    except ImportError:  # pragma: no cover - an older hub without published profiles
        from hub.fhir import validate_structure

        return validate_structure
    return validate_resource


def _matches(bundle: Any) -> list[dict[str, Any]]:
    """Resources of a searchset's `match` entries (entries without a mode count as matches)."""
    entries = bundle.get("entry", []) if isinstance(bundle, dict) else []
    return [
        entry["resource"]
        for entry in entries
        if isinstance(entry, dict)
        and isinstance(entry.get("resource"), dict)
        and entry.get("search", {}).get("mode", "match") == "match"
    ]


def _bundle(view: StepView, body: Any, kind: str = "searchset") -> dict[str, Any]:
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        shown = body.get("resourceType") if isinstance(body, dict) else type(body).__name__
        raise CheckFailed(f"expected a Bundle, got {shown}")
    if body.get("type") != kind:
        raise CheckFailed(f"Bundle.type is {body.get('type')!r}, expected {kind!r}")
    return body


def _link(bundle: dict[str, Any], relation: str) -> str | None:
    for link in bundle.get("link", []) or []:
        if isinstance(link, dict) and link.get("relation") == relation and link.get("url"):
            return str(link["url"])
    return None


def _key(resource: dict[str, Any]) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


def _check_match(resources: list[dict[str, Any]], params: dict[str, Any], where: str) -> None:
    kind, path = params.get("resource_type"), params.get("path")
    for resource in resources:
        if kind and resource.get("resourceType") != kind:
            raise CheckFailed(f"{where}: {_key(resource)} is not a {kind}")
        if path is None:
            continue
        found = json_values(resource, str(path))
        if params["value"] not in found:
            raise CheckFailed(
                f"{where}: {_key(resource)} does not match the search: "
                f"{path} is {found[:3]!r}, expected {params['value']!r}"
            )


_MATCH_PARAMS: dict[str, dict[str, Any]] = {
    "resource_type": {**TEXT, "optional": True},
    "path": {**TEXT, "optional": True},
    "value": {**ANY_VALUE, "optional": True},
}


@check("fhir_resource_type", {"type": TEXT}, shorthand="type")
def fhir_resource_type(view: StepView, params: dict[str, Any]) -> str | None:
    """The body is a FHIR resource of the given type."""
    body = view.json()
    found = body.get("resourceType") if isinstance(body, dict) else None
    if found != params["type"]:
        raise CheckFailed(f"resourceType is {found!r}, expected {params['type']!r}")
    return None


@check("fhir_bundle", {"type": {**TEXT, "optional": True}}, shorthand="type")
def fhir_bundle(view: StepView, params: dict[str, Any]) -> str | None:
    """A Bundle of the given type (default searchset) whose entries hold identified resources;
    a searchset also carries its `self` link."""
    kind = str(params.get("type", "searchset"))
    bundle = _bundle(view, view.json(), kind)
    for index, entry in enumerate(bundle.get("entry", []) or []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not resource.get("resourceType"):
            raise CheckFailed(f"entry[{index}] has no resource")
        if not resource.get("id"):
            raise CheckFailed(f"entry[{index}] ({resource['resourceType']}) has no id")
    if kind == "searchset" and _link(bundle, "self") is None:
        raise CheckFailed("the searchset Bundle has no self link")
    return f"{len(bundle.get('entry', []) or [])} entries"


@check("fhir_entries_match", _MATCH_PARAMS)
def fhir_entries_match(view: StepView, params: dict[str, Any]) -> str | None:
    """Every match entry of the searchset is of the resource type and holds `value` at `path`
    (so a server that ignores a search parameter fails); skipped when nothing matched."""
    if ("path" in params) != ("value" in params):
        raise ValueError("fhir_entries_match needs both path and value, or neither")
    resources = _matches(_bundle(view, view.json()))
    if not resources:
        raise Skipped("no data: the search returned no entries to check")
    _check_match(resources, params, "page 1")
    return f"{len(resources)} entries match"


@check(
    "fhir_paging",
    {"max_pages": {"type": "integer", "minimum": 2, "optional": True}, **_MATCH_PARAMS},
)
def fhir_paging(view: StepView, params: dict[str, Any]) -> str | None:
    """Follows `next` links: every page is a searchset with a `self` link, no page repeats, no
    resource appears twice across pages and every entry still matches; skipped on one page."""
    limit = int(params.get("max_pages", _DEFAULT_MAX_PAGES))
    page = _bundle(view, view.json())
    following = _link(page, "next")
    if following is None:
        raise Skipped("no data: the first page has no next link, so there is nothing to page")
    seen: dict[str, int] = {}
    visited: set[str] = set()
    number = 1
    while True:
        if _link(page, "self") is None:
            raise CheckFailed(f"page {number} has no self link")
        resources = _matches(page)
        if following is not None and not resources:
            raise CheckFailed(f"page {number} is empty but links to a next page")
        _check_match(resources, params, f"page {number}")
        for resource in resources:
            key = _key(resource)
            if key in seen:
                raise CheckFailed(f"{key} appears on page {seen[key]} and again on page {number}")
            seen[key] = number
        if following is None:
            return f"{number} pages, {len(seen)} distinct resources"
        if following in visited:
            raise CheckFailed(f"page {number}'s next link points back to a page already read")
        if number >= limit:
            return f"stopped after {limit} pages, {len(seen)} distinct resources, no repeats"
        visited.add(following)
        response = view.get(following)
        number += 1
        if response.status != 200:
            raise CheckFailed(f"page {number} ({following}) answered {response.status}")
        page = _bundle(view, view.json(response))
        following = _link(page, "next")


@check("fhir_same_entries_as", {"step": TEXT}, shorthand="step")
def fhir_same_entries_as(view: StepView, params: dict[str, Any]) -> str | None:
    """The searchset holds the same match entries, in the same order, as an earlier step's."""
    other = view.other(str(params["step"]))
    mine = [_key(resource) for resource in _matches(_bundle(view, view.json()))]
    theirs = [_key(resource) for resource in _matches(_bundle(view, view.json(other)))]
    if mine != theirs:
        raise CheckFailed(f"entries {mine[:5]} differ from step {params['step']}'s {theirs[:5]}")
    if not mine:
        raise Skipped("no data: both searches returned nothing, so parity cannot be shown")
    return f"{len(mine)} entries, same as {params['step']}"


def _resources(body: Any) -> list[dict[str, Any]]:
    if isinstance(body, dict) and body.get("resourceType") == "Bundle":
        return [
            entry["resource"]
            for entry in body.get("entry", []) or []
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict)
        ]
    return [body] if isinstance(body, dict) and body.get("resourceType") else []


@check("fhir_resources_valid", {"types": {**STRINGS, "optional": True}})
def fhir_resources_valid(view: StepView, params: dict[str, Any]) -> str | None:
    """Every returned resource (of the given types, default all) validates against our profiles
    with no error; skipped when there is none."""
    kinds = params.get("types")
    resources = [
        resource
        for resource in _resources(view.json())
        if kinds is None or resource.get("resourceType") in kinds
    ]
    if not resources:
        raise Skipped("no data: no resource was returned to validate")
    validate = _validator()
    problems = [
        f"{_key(resource)}: {issue.location or ''} {issue.message}"
        for resource in resources
        for issue in validate(resource)
        if issue.is_error
    ]
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise CheckFailed("invalid resources: " + "; ".join(problems[:5]) + more)
    return f"{len(resources)} resources valid"


@check("fhir_must_support", {"type": TEXT, "paths": STRINGS})
def fhir_must_support(view: StepView, params: dict[str, Any]) -> str | None:
    """Each must-support path is populated in at least one returned resource of the type;
    skipped when no resource of the type came back."""
    resources = [r for r in _resources(view.json()) if r.get("resourceType") == params["type"]]
    if not resources:
        raise Skipped(f"no data: no {params['type']} was returned")
    missing = [p for p in params["paths"] if not any(json_values(r, p) for r in resources)]
    if missing:
        raise CheckFailed(f"never populated in {len(resources)} resources: {', '.join(missing)}")
    return None


@check(
    "fhir_operation_outcome",
    {
        "code": {"anyOf": [TEXT, STRINGS], "optional": True},
        "expression": {"type": "boolean", "optional": True},
    },
    shorthand="code",
)
def fhir_operation_outcome(view: StepView, params: dict[str, Any]) -> str | None:
    """The body is an OperationOutcome whose issues each have a severity and a code; with `code`,
    one issue has that code; with `expression: true`, one issue locates the problem."""
    body = view.json()
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        raise CheckFailed(f"expected an OperationOutcome, got {str(body)[:160]}")
    issues = body.get("issue")
    if not isinstance(issues, list) or not issues:
        raise CheckFailed("the OperationOutcome has no issue")
    for index, issue in enumerate(issues):
        if not isinstance(issue, dict) or issue.get("severity") not in _SEVERITIES:
            raise CheckFailed(f"issue[{index}] has no valid severity")
        if not issue.get("code"):
            raise CheckFailed(f"issue[{index}] has no code")
    wanted = params.get("code")
    if wanted is not None:
        codes = wanted if isinstance(wanted, list) else [wanted]
        found = [issue.get("code") for issue in issues]
        if not set(codes) & set(found):
            raise CheckFailed(f"issue codes {found}, expected one of {codes}")
    if params.get("expression") and not any(issue.get("expression") for issue in issues):
        raise CheckFailed("no issue carries an expression locating the problem")
    return None


@check("fhir_etag")
def fhir_etag(view: StepView, params: dict[str, Any]) -> str | None:
    """The ETag header is the weak `W/"<versionId>"` of the returned resource."""
    body = view.json()
    version = body.get("meta", {}).get("versionId") if isinstance(body, dict) else None
    etag = view.response.headers.get("etag")
    if not etag:
        raise CheckFailed("no ETag header")
    if version is None:
        raise CheckFailed("the resource has no meta.versionId to compare the ETag with")
    if etag != f'W/"{version}"':
        raise CheckFailed(f'ETag is {etag}, expected W/"{version}"')
    return None
