"""Versioned FHIR resources (Patient, Immunization, Condition) stored as validated JSON.

The current version lives in `fhir_resources` with its search projection beside it (so a write is
atomic and a search is an indexed query); every version, including the current one, is also kept
in `fhir_history`. A write first claims the next version in history (unique `_id`), then moves
the current document forward only if it still holds the version the writer read — so a stale
writer gets a conflict instead of silently overwriting (If-Match, 412).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from hub.errors import ConflictError, IssueCode, NotFoundError, PreconditionFailedError, error
from hub.store.engine import Document, Engine, locked


@dataclass(frozen=True)
class StoredResource:
    resource_type: str
    id: str
    version_id: int
    last_updated: datetime
    resource: Document
    deleted: bool = False

    @classmethod
    def from_doc(cls, doc: Document) -> StoredResource:
        return cls(
            resource_type=doc["resourceType"],
            id=doc["id"],
            version_id=doc["versionId"],
            last_updated=doc["lastUpdated"],
            resource=doc["resource"],
            deleted=doc.get("deleted", False),
        )


@dataclass(frozen=True)
class SearchProjection:
    """The fields searches query, computed by `hub.fhir` on write."""

    identifiers: list[str] = field(default_factory=list)  # "system|value"
    patient: str | None = None  # MSIX ID the resource is about
    date: str | None = None  # ISO date used by date searches
    extra: Document = field(default_factory=dict)


class FhirRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _current(self) -> Any:
        return self.engine.db["fhir_resources"]

    @property
    def _history(self) -> Any:
        return self.engine.db["fhir_history"]

    def read(self, resource_type: str, resource_id: str) -> StoredResource:
        doc = self._current.find_one({"_id": f"{resource_type}/{resource_id}"})
        if doc is None:
            raise NotFoundError(f"{resource_type}/{resource_id} not found", "id")
        return StoredResource.from_doc(doc)

    def vread(self, resource_type: str, resource_id: str, version_id: int) -> StoredResource:
        doc = self._history.find_one({"_id": f"{resource_type}/{resource_id}/{version_id}"})
        if doc is None:
            raise NotFoundError(
                f"{resource_type}/{resource_id}/_history/{version_id} not found", "versionId"
            )
        return StoredResource.from_doc(doc)

    def history(self, resource_type: str, resource_id: str) -> list[StoredResource]:
        cursor = self._history.find({"resourceType": resource_type, "id": resource_id})
        return [StoredResource.from_doc(doc) for doc in cursor.sort("versionId", -1)]

    @locked
    def write(
        self,
        resource: Document,
        projection: SearchProjection,
        *,
        if_match: int | None = None,
        deleted: bool = False,
        now: datetime | None = None,
    ) -> StoredResource:
        """Create or update `resource` (its `id` is required) as the next version.

        `if_match` is the version the caller last saw; a mismatch raises PreconditionFailedError.
        """
        resource_type, resource_id = resource["resourceType"], resource["id"]
        key = f"{resource_type}/{resource_id}"
        existing = self._current.find_one({"_id": key}, {"versionId": 1})
        previous = existing["versionId"] if existing else 0
        if if_match is not None and if_match != previous:
            raise PreconditionFailedError(
                [
                    error(
                        IssueCode.CONFLICT,
                        f"{key} is at version {previous}, not {if_match}",
                        "If-Match",
                    )
                ]
            )
        version = previous + 1
        stamp = now or datetime.now(UTC)
        stored = {
            **resource,
            "meta": {
                **resource.get("meta", {}),
                "versionId": str(version),
                "lastUpdated": stamp.isoformat().replace("+00:00", "Z"),
            },
        }
        doc: Document = {
            "resourceType": resource_type,
            "id": resource_id,
            "versionId": version,
            "lastUpdated": stamp,
            "resource": stored,
            "deleted": deleted,
            "identifiers": projection.identifiers,
            "patient": projection.patient,
            "date": projection.date,
            **{f"x_{name}": value for name, value in projection.extra.items()},
        }
        try:
            self._history.insert_one({**doc, "_id": f"{key}/{version}"})
        except DuplicateKeyError as exc:
            raise ConflictError(
                [error(IssueCode.CONFLICT, f"{key} was changed concurrently; retry", "id")]
            ) from exc
        result = self._current.replace_one(
            {"_id": key, "versionId": previous} if previous else {"_id": key},
            {**doc, "_id": key},
            upsert=not previous,
        )
        if previous and result.matched_count == 0:
            raise ConflictError(
                [error(IssueCode.CONFLICT, f"{key} was changed concurrently; retry", "id")]
            )
        return StoredResource.from_doc(doc)

    def search(
        self, resource_type: str, criteria: Document, *, after: str | None = None, limit: int = 50
    ) -> list[StoredResource]:
        """Indexed search over the projection; keyset paging on `_id` (never skip)."""
        query: Document = {"resourceType": resource_type, "deleted": False, **criteria}
        if after is not None:
            query["_id"] = {"$gt": after}
        cursor = self._current.find(query).sort("_id", 1).limit(limit)
        return [StoredResource.from_doc(doc) for doc in cursor]
