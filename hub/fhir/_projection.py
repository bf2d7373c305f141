"""The fields FHIR searches query, computed from a resource on write (STANDARDS.md §9).

`hub.store.SearchProjection` takes these fields; `hub.fhir` stays independent of the store (both
sit on the same row of DESIGN.md §3), so the projection is returned as its own small value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_PATIENT_PREFIX = "Patient/"
# The element that dates each resource type for `date` / `onset-date` searches.
_DATE_ELEMENTS = {
    "Immunization": ("occurrenceDateTime",),
    "Condition": ("onsetDateTime", "recordedDate"),
}
_PATIENT_ELEMENTS = ("patient", "subject")


@dataclass(frozen=True)
class Projection:
    identifiers: list[str] = field(default_factory=list)  # "system|value"
    patient: str | None = None  # the MSIX ID the resource is about
    date: str | None = None  # ISO date (YYYY-MM-DD)
    extra: dict[str, Any] = field(default_factory=dict)


def search_projection(resource: Mapping[str, Any]) -> Projection:
    """Identifiers, patient, date and per-type token fields of a (valid) resource."""
    kind = resource.get("resourceType", "")
    identifiers = [
        f"{item.get('system', '')}|{item.get('value', '')}"
        for item in resource.get("identifier", [])
    ]
    patient = None
    if kind == "Patient":
        patient = resource.get("id")
    for name in _PATIENT_ELEMENTS:
        reference = resource.get(name, {}).get("reference", "")
        if reference.startswith(_PATIENT_PREFIX):
            patient = reference.removeprefix(_PATIENT_PREFIX)
    date = next(
        (resource[name][:10] for name in _DATE_ELEMENTS.get(kind, ()) if name in resource), None
    )
    return Projection(identifiers, patient, date, _tokens(kind, resource))


def _tokens(kind: str, resource: Mapping[str, Any]) -> dict[str, Any]:
    if kind == "Immunization":
        return {
            "status": resource.get("status"),
            "vaccine_code": _codes(resource.get("vaccineCode", {})),
        }
    if kind == "Condition":
        return {
            "category": [
                code for concept in resource.get("category", []) for code in _codes(concept)
            ],
            "clinical_status": next(iter(_codes(resource.get("clinicalStatus", {}))), None),
            "code": _codes(resource.get("code", {})),
        }
    return {}


def _codes(concept: Mapping[str, Any]) -> list[str]:
    return [coding["code"] for coding in concept.get("coding", []) if "code" in coding]
