"""Structural validation of FHIR R4 JSON through the R4B models (STANDARDS.md §1).

The models reject missing required elements, unknown elements, bad primitives and choice-type
mistakes; they accept `null`, which FHIR JSON forbids, so nulls are checked here. Codes outside
required bindings, invariants and profiles are a later layer (profile validation).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import orjson
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.immunization import Immunization
from fhir.resources.R4B.patient import Patient
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from hub.errors import Issue, IssueCode, error

_MODELS: Mapping[str, type[BaseModel]] = {
    "Immunization": Immunization,
    "Condition": Condition,
    "Patient": Patient,
}
RULE_STRUCTURE = "fhir.structure"
RULE_NULL = "fhir.null"


def validate_structure(resource: Mapping[str, Any]) -> list[Issue]:
    """Every structural problem of `resource`, located FHIRPath-style (`Immunization.patient`)."""
    kind = resource.get("resourceType")
    model = _MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        known = ", ".join(_MODELS)
        return [
            error(
                IssueCode.NOT_SUPPORTED,
                f"resourceType must be one of {known}",
                "resourceType",
                RULE_STRUCTURE,
            )
        ]
    assert isinstance(kind, str)
    issues = [null_issue(path) for path in _null_paths(resource, kind)]
    return model_issues(kind, resource, issues)


def model_issues(kind: str, resource: Mapping[str, Any], issues: list[Issue]) -> list[Issue]:
    """`issues` plus what the R4B model of `kind` (a served type) finds in `resource`."""
    try:
        _MODELS[kind].model_validate(resource)
    except PydanticValidationError as exc:
        for detail in exc.errors(include_url=False, include_context=False, include_input=False):
            issue = _model_issue(kind, detail["type"], detail["loc"], detail["msg"])
            if issue not in issues:
                issues.append(issue)
    return issues


# Elements the builders of `hub.fhir` always write in one valid shape (40-hex ids, non-empty
# identifier values, `Patient/<12 digits>` references, ISO dates): their validity does not depend
# on their values, so `validate_entry_structure` validates the rest once per distinct rest.
_FIXED_SHAPE = {
    "id": "0",
    "patient": {"reference": "Patient/0"},
    "subject": {"reference": "Patient/0"},
    "occurrenceDateTime": "2000-01-01",
    "onsetDateTime": "2000-01-01",
    "abatementDateTime": "2000-01-01",
}
_ENTRY_CACHE_SIZE = 8192


def validate_entry_structure(resource: Mapping[str, Any]) -> list[Issue]:
    """`validate_structure` for resources made by this package's builders, memoised.

    Ingest validates every health entry it writes; most differ only in ids, references, dates
    and identifier values, which the builders write in a fixed valid shape. Those are set to
    constants and the remaining resource is validated once per distinct remainder, which keeps
    the FHIR models (about 0.2 ms a resource) off the ingest hot path. Anything not built by
    the builders must go through `validate_structure`.
    """
    template = {
        name: _FIXED_SHAPE[name] if name in _FIXED_SHAPE and value is not None else value
        for name, value in resource.items()
    }
    if "identifier" in template and isinstance(template["identifier"], list):
        template["identifier"] = [
            {**item, "value": "0"} if isinstance(item, dict) and item.get("value") else item
            for item in template["identifier"]
        ]
    return list(_validate_template(orjson.dumps(template, option=orjson.OPT_SORT_KEYS)))


@functools.lru_cache(maxsize=_ENTRY_CACHE_SIZE)
def _validate_template(template: bytes) -> tuple[Issue, ...]:
    return tuple(validate_structure(orjson.loads(template)))


def _null_paths(value: Any, path: str) -> list[str]:
    if value is None:
        return [path]
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            found.extend(_null_paths(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_null_paths(item, f"{path}[{index}]"))
    return found


def null_issue(path: str) -> Issue:
    return error(
        IssueCode.STRUCTURE,
        "null is not a FHIR value; leave the element out instead",
        path,
        RULE_NULL,
    )


def _model_issue(kind: str, error_type: str, loc: tuple[int | str, ...], message: str) -> Issue:
    path = kind
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    if error_type == "missing":
        return error(IssueCode.REQUIRED, "required element is missing", path, RULE_STRUCTURE)
    if error_type == "extra_forbidden":
        return error(IssueCode.STRUCTURE, "unknown element", path, RULE_STRUCTURE)
    return error(IssueCode.VALUE, message, path, RULE_STRUCTURE)
