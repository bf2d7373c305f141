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


def _same_content(stored: Document, doc: Document) -> bool:
    """Same resource (meta aside), same version and deletion flag."""

    def body(resource: Document) -> Document:
        return {name: value for name, value in resource.items() if name != "meta"}

    return (
        stored.get("versionId") == doc["versionId"]
        and stored.get("deleted", False) == doc["deleted"]
        and body(stored.get("resource", {})) == body(doc["resource"])
    )


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

    def read_many(self, resource_type: str, resource_ids: list[str]) -> dict[str, StoredResource]:
        """The current version of each resource that exists (deleted ones included), by id."""
        keys = [f"{resource_type}/{resource_id}" for resource_id in resource_ids]
        return {
            doc["id"]: StoredResource.from_doc(doc)
            for doc in self._current.find({"_id": {"$in": keys}})
        }

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

        `if_match` is the version the caller last saw (0: the resource must not exist yet); a
        mismatch raises PreconditionFailedError. A write interrupted between its two steps (the
        process was killed) is finished by the next write of the same content, and on the
        embedded engine replaced by the next write of other content.
        """
        resource_type, resource_id = resource["resourceType"], resource["id"]
        key = f"{resource_type}/{resource_id}"
        if if_match is None:
            existing = self._current.find_one({"_id": key}, {"versionId": 1})
            previous = existing["versionId"] if existing else 0
        else:
            # Trust the caller's version and let the unique history id and the conditional
            # replace catch a stale one: one read less per write on the ingest path.
            previous = if_match
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
        history_id = f"{key}/{version}"
        try:
            self._history.insert_one({**doc, "_id": history_id})
            claimed_here = True
        except DuplicateKeyError as exc:
            claimed = self._history.find_one({"_id": history_id})
            if claimed is not None and _same_content(claimed, doc):
                # The same content was claimed by a write that never moved `current`: finish it.
                doc = {name: value for name, value in claimed.items() if name != "_id"}
                claimed_here = False
            elif claimed is not None and self._abandoned(key, previous):
                self._history.replace_one({"_id": history_id}, {**doc, "_id": history_id})
                claimed_here = True
            else:
                raise self._refused(key, if_match) from exc
        if not self._move_current(key, previous, doc):
            if claimed_here:
                self._history.delete_one({"_id": history_id})
            raise self._refused(key, if_match)
        return StoredResource.from_doc(doc)

    def _abandoned(self, key: str, previous: int) -> bool:
        """Whether a claimed version that never became current was left by a dead writer.

        On the embedded engine a write holds the data dir's lock from claim to move, so a claim
        still unmoved when the next writer gets the lock was left by a killed process. On MongoDB
        a live writer may sit between its two steps, so the claim stands (the interrupted ingest
        is re-run, which finishes it).
        """
        if not self.engine.embedded:
            return False
        current = self._current.find_one({"_id": key}, {"versionId": 1})
        return (current["versionId"] if current else 0) == previous

    def _move_current(self, key: str, previous: int, doc: Document) -> bool:
        """Point `current` at `doc` if it still holds `previous` (or already holds `doc`)."""
        if previous:
            result = self._current.replace_one(
                {"_id": key, "versionId": previous}, {**doc, "_id": key}
            )
            if result.matched_count == 1:
                return True
        else:
            try:
                self._current.insert_one({**doc, "_id": key})
                return True
            except DuplicateKeyError:
                pass
        return _same_content(self._current.find_one({"_id": key}) or {}, doc)

    def _refused(self, key: str, if_match: int | None) -> ConflictError:
        current = self._current.find_one({"_id": key}, {"versionId": 1})
        at = current["versionId"] if current else 0
        if if_match is not None and if_match != at:
            return PreconditionFailedError(
                [error(IssueCode.CONFLICT, f"{key} is at version {at}, not {if_match}", "If-Match")]
            )
        return ConflictError(
            [error(IssueCode.CONFLICT, f"{key} was changed concurrently; retry", "id")]
        )

    def search(
        self, resource_type: str, criteria: Document, *, after: str | None = None, limit: int = 50
    ) -> list[StoredResource]:
        """Indexed search over the projection; keyset paging on `_id` (never skip)."""
        query: Document = {"resourceType": resource_type, "deleted": False, **criteria}
        if after is not None:
            query["_id"] = {"$gt": after}
        cursor = self._current.find(query).sort("_id", 1).limit(limit)
        return [StoredResource.from_doc(doc) for doc in cursor]
