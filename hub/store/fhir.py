"""Versioned FHIR resources (Patient, Immunization, Condition) stored as validated JSON.

The current version lives in `fhir_resources` with its search projection beside it (so a write is
atomic and a search is an indexed query). Superseded versions are kept in `fhir_history`; the
history of a resource is its current version plus those. A write first copies the version it
supersedes into history (an upsert of content that never changes again, so repeating it is
harmless), then moves the current document forward only if it still holds the version the writer
read — so a stale writer gets a conflict instead of silently overwriting (If-Match, 412). A write
interrupted between the two steps leaves the current version and a copy of it in history: the
store reads the same, and the next write simply goes ahead.

New resources (most of an ingest) therefore cost one write, updates two.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
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
    document: Document = field(default_factory=dict, repr=False, compare=False)  # as stored

    @classmethod
    def from_doc(cls, doc: Document) -> StoredResource:
        return cls(
            resource_type=doc["resourceType"],
            id=doc["id"],
            version_id=doc["versionId"],
            last_updated=doc["lastUpdated"],
            resource=doc["resource"],
            deleted=doc.get("deleted", False),
            document=doc,
        )


@dataclass(frozen=True)
class SearchProjection:
    """The fields searches query, computed by `hub.fhir` on write."""

    identifiers: list[str] = field(default_factory=list)  # "system|value"
    patient: str | None = None  # MSIX ID the resource is about
    date: str | None = None  # ISO date used by date searches
    extra: Document = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedWrite:
    """One version to write (`FhirRepository.plan`), applied with others by `write_many`."""

    key: str  # "Type/id"
    previous: StoredResource | None  # the current version it supersedes
    doc: Document  # the new current document, without `_id`

    @property
    def stored(self) -> StoredResource:
        return StoredResource.from_doc(self.doc)


class FhirRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _current(self) -> Any:
        return self.engine.db["fhir_resources"]

    @property
    def _history(self) -> Any:
        return self.engine.db["fhir_history"]

    def _current_doc(self, key: str) -> Document | None:
        # A keyed read: on the embedded engine straight from the table (Engine.find_by_ids).
        found = self.engine.find_by_ids("fhir_resources", [key])
        return found[0] if found else None

    def read(self, resource_type: str, resource_id: str) -> StoredResource:
        doc = self._current_doc(f"{resource_type}/{resource_id}")
        if doc is None:
            raise NotFoundError(f"{resource_type}/{resource_id} not found", "id")
        return StoredResource.from_doc(doc)

    def vread(self, resource_type: str, resource_id: str, version_id: int) -> StoredResource:
        key = f"{resource_type}/{resource_id}"
        found = self.engine.find_by_ids("fhir_history", [f"{key}/{version_id}"])
        doc = found[0] if found else None
        if doc is None:
            current = self._current_doc(key)
            doc = current if current is not None and current["versionId"] == version_id else None
        if doc is None:
            raise NotFoundError(
                f"{resource_type}/{resource_id}/_history/{version_id} not found", "versionId"
            )
        return StoredResource.from_doc(doc)

    def history(self, resource_type: str, resource_id: str) -> list[StoredResource]:
        """Every version, newest first."""
        versions: dict[int, Document] = {
            doc["versionId"]: doc
            for doc in self._history.find({"resourceType": resource_type, "id": resource_id})
        }
        current = self._current_doc(f"{resource_type}/{resource_id}")
        if current is not None:
            versions[current["versionId"]] = current
        return [StoredResource.from_doc(versions[number]) for number in sorted(versions)[::-1]]

    def read_many(self, resource_type: str, resource_ids: list[str]) -> dict[str, StoredResource]:
        """The current version of each resource that exists (deleted ones included), by id."""
        keys = [f"{resource_type}/{resource_id}" for resource_id in resource_ids]
        return {
            doc["id"]: StoredResource.from_doc(doc)
            for doc in self.engine.find_by_ids("fhir_resources", keys)
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
        mismatch raises PreconditionFailedError, and so does losing a race to another writer.
        """
        key = f"{resource['resourceType']}/{resource['id']}"
        doc = self._current_doc(key)
        previous = StoredResource.from_doc(doc) if doc is not None else None
        at = previous.version_id if previous is not None else 0
        if if_match is not None and if_match != at:
            raise _stale(key, at, if_match)
        planned = self.plan(resource, projection, previous=previous, deleted=deleted, now=now)
        try:
            self.write_many([planned])
        except ConflictError as exc:
            if if_match is None:
                raise
            raise _stale(key, self._version_of(key), if_match) from exc
        return planned.stored

    def plan(
        self,
        resource: Document,
        projection: SearchProjection,
        *,
        previous: StoredResource | None,
        deleted: bool = False,
        now: datetime | None = None,
    ) -> PlannedWrite:
        """The next version of `resource` after `previous` (its current version, or None)."""
        resource_type, resource_id = resource["resourceType"], resource["id"]
        version = previous.version_id + 1 if previous is not None else 1
        stamp = now or datetime.now(UTC)
        stored = {
            **resource,
            "meta": {
                **resource.get("meta", {}),
                "versionId": str(version),
                "lastUpdated": _instant(stamp),
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
        return PlannedWrite(f"{resource_type}/{resource_id}", previous, doc)

    @locked
    def write_many(self, writes: Sequence[PlannedWrite]) -> None:
        """Apply planned writes in bulk: superseded versions into history, then current ones.

        A resource whose current version is no longer the one its write was planned from (another
        writer got there first) raises `ConflictError`; the others are written.
        """
        if writes:
            self._keep_superseded(writes)
            self._move_current(writes)

    def _keep_superseded(self, writes: Sequence[PlannedWrite]) -> None:
        self.engine.replace_many(
            "fhir_history",
            [
                (
                    {"_id": f"{write.key}/{write.previous.version_id}"},
                    {**write.previous.document, "_id": f"{write.key}/{write.previous.version_id}"},
                )
                for write in writes
                if write.previous is not None
            ],
            upsert=True,
        )

    def _move_current(self, writes: Sequence[PlannedWrite]) -> None:
        created = [{**write.doc, "_id": write.key} for write in writes if write.previous is None]
        replaced = [
            (
                {"_id": write.key, "versionId": write.previous.version_id},
                {**write.doc, "_id": write.key},
            )
            for write in writes
            if write.previous is not None
        ]
        try:
            self.engine.insert_many("fhir_resources", created)
        except DuplicateKeyError as exc:
            raise _changed_meanwhile(len(created)) from exc
        # In order: a resource written twice in one bulk (two updates) stays in order.
        matched = self.engine.replace_many("fhir_resources", replaced)
        if matched < len(replaced):
            raise _changed_meanwhile(len(replaced) - matched)

    def _version_of(self, key: str) -> int:
        current = self._current_doc(key)
        return int(current["versionId"]) if current else 0

    def search(
        self, resource_type: str, criteria: Document, *, after: str | None = None, limit: int = 50
    ) -> list[StoredResource]:
        """Indexed search over the projection; keyset paging on `_id` (never skip)."""
        query: Document = {"resourceType": resource_type, "deleted": False, **criteria}
        found = self.engine.find_page("fhir_resources", query, after=after, limit=limit)
        return [StoredResource.from_doc(doc) for doc in found]

    def count(self, resource_type: str, criteria: Document) -> int:
        """How many current resources match (for `_summary=count`; never run by default)."""
        query: Document = {"resourceType": resource_type, "deleted": False, **criteria}
        return self.engine.count_matching("fhir_resources", query)

    def type_history(
        self, resource_type: str, *, since: datetime | None = None, limit: int = 50
    ) -> list[StoredResource]:
        """The newest `limit` versions of any resource of a type (deletions included)."""
        query: Document = {"resourceType": resource_type}
        if since is not None:
            query["lastUpdated"] = {"$gte": since}
        found = [
            StoredResource.from_doc(doc)
            for collection in (self._current, self._history)
            for doc in collection.find(query).sort("lastUpdated", -1).limit(limit)
        ]
        found.sort(key=lambda stored: (stored.last_updated, stored.version_id), reverse=True)
        return found[:limit]


@functools.lru_cache(maxsize=16)
def _instant(stamp: datetime) -> str:
    """`meta.lastUpdated` of a write at `stamp` (a bulk write stamps thousands alike)."""
    return stamp.isoformat().replace("+00:00", "Z")


def _stale(key: str, at: int, if_match: int) -> PreconditionFailedError:
    return PreconditionFailedError(
        [error(IssueCode.CONFLICT, f"{key} is at version {at}, not {if_match}", "If-Match")]
    )


def _changed_meanwhile(count: int) -> ConflictError:
    what = "a resource was" if count == 1 else f"{count} resources were"
    return ConflictError([error(IssueCode.CONFLICT, f"{what} changed concurrently; retry", "id")])
