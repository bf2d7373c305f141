"""Writing FHIR resources the hub builds: the search projection computed by `hub.fhir` on write."""

from __future__ import annotations

from typing import Any

from hub.fhir import search_projection
from hub.store import SearchProjection


def projection_of(resource: dict[str, Any]) -> SearchProjection:
    """The store's search fields of a resource, as `hub.fhir` computes them."""
    projection = search_projection(resource)
    return SearchProjection(
        identifiers=projection.identifiers,
        patient=projection.patient,
        date=projection.date,
        extra=projection.extra,
    )


def body_of(resource: dict[str, Any]) -> dict[str, Any]:
    """A stored resource without its `meta` (the store sets versionId and lastUpdated)."""
    return {name: value for name, value in resource.items() if name != "meta"}
