"""What a server's CapabilityStatement claims, for the capability checks and for omitting tests
of features a server does not claim (Inferno's `omit`)."""

from __future__ import annotations

from typing import Any

from hub.conformance._outcomes import CheckFailed, Omitted
from hub.conformance._registry import STRINGS, TEXT, StepView, check
from hub.conformance._suite import Precondition

_JSON_FORMATS = frozenset({"json", "application/fhir+json", "application/json"})


def resource_entry(statement: Any, kind: str) -> dict[str, Any] | None:
    """The `rest[mode=server].resource` entry for `kind`, if the statement lists it."""
    if not isinstance(statement, dict):
        return None
    for rest in statement.get("rest", []) or []:
        if not isinstance(rest, dict) or rest.get("mode") != "server":
            continue
        for resource in rest.get("resource", []) or []:
            if isinstance(resource, dict) and resource.get("type") == kind:
                return resource
    return None


def _names(entry: dict[str, Any], element: str, key: str) -> set[str]:
    return {str(item.get(key)) for item in entry.get(element, []) or [] if isinstance(item, dict)}


def claims(statement: Any, need: Precondition) -> str | None:
    """None when the statement claims `need`, else what it lacks."""
    entry = resource_entry(statement, need.resource)
    if entry is None:
        return f"the CapabilityStatement does not list {need.resource}"
    if need.interaction and need.interaction not in _names(entry, "interaction", "code"):
        return f"{need.resource} does not claim the {need.interaction} interaction"
    if need.search_param and need.search_param not in _names(entry, "searchParam", "name"):
        return f"{need.resource} does not claim the search parameter {need.search_param}"
    if need.operation and need.operation not in _names(entry, "operation", "name"):
        return f"{need.resource} does not claim the operation ${need.operation}"
    return None


def require(statement: Any, needs: tuple[Precondition, ...]) -> None:
    """Raise `Omitted` unless the statement claims every need."""
    for need in needs:
        lacking = claims(statement, need)
        if lacking is not None:
            raise Omitted(f"not applicable: {lacking}")


@check("capability_statement")
def capability_statement(view: StepView, params: dict[str, Any]) -> str | None:
    """A CapabilityStatement of an R4 (4.0.1) server, instance kind, that speaks FHIR JSON."""
    body = view.json()
    if not isinstance(body, dict) or body.get("resourceType") != "CapabilityStatement":
        raise CheckFailed("the body is not a CapabilityStatement")
    if body.get("fhirVersion") != "4.0.1":
        raise CheckFailed(f"fhirVersion is {body.get('fhirVersion')!r}, expected '4.0.1'")
    if body.get("kind") != "instance":
        raise CheckFailed(f"kind is {body.get('kind')!r}, expected 'instance'")
    if not _JSON_FORMATS & set(body.get("format", []) or []):
        raise CheckFailed(f"format {body.get('format')!r} does not include FHIR JSON")
    if not any(isinstance(r, dict) and r.get("mode") == "server" for r in body.get("rest", [])):
        raise CheckFailed("no rest entry with mode server")
    return None


@check(
    "capability_resource",
    {
        "type": TEXT,
        "interactions": {**STRINGS, "optional": True},
        "search_params": {**STRINGS, "optional": True},
        "profiles": {**STRINGS, "optional": True},
        "operations": {**STRINGS, "optional": True},
    },
    shorthand="type",
)
def capability_resource(view: StepView, params: dict[str, Any]) -> str | None:
    """The CapabilityStatement lists the resource type with each given interaction, search
    parameter, operation and supported profile."""
    entry = resource_entry(view.json(), str(params["type"]))
    if entry is None:
        raise CheckFailed(f"{params['type']} is not listed in rest[mode=server].resource")
    lacking: list[str] = []
    for element, key, wanted in (
        ("interaction", "code", params.get("interactions", [])),
        ("searchParam", "name", params.get("search_params", [])),
        ("operation", "name", params.get("operations", [])),
    ):
        have = _names(entry, element, key)
        lacking += [f"{element} {name}" for name in wanted if name not in have]
    declared = set(entry.get("supportedProfile", []) or []) | {entry.get("profile")}
    lacking += [
        f"supportedProfile {url}" for url in params.get("profiles", []) if url not in declared
    ]
    if lacking:
        raise CheckFailed(f"{params['type']} lacks: {', '.join(lacking)}")
    return None
