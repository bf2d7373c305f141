"""Audit events, stored as FHIR AuditEvent JSON (written by `hub.security.audit`)."""

from __future__ import annotations

from typing import Any

from hub.store.engine import Document, Engine, locked


class AuditRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _audit(self) -> Any:
        return self.engine.db["audit"]

    @locked
    def append(self, event: Document, *, msix_ids: list[str]) -> None:
        """Store one AuditEvent; `msix_ids` are indexed so a child's access log is one query."""
        doc = {
            "_id": event["id"],
            "recorded": event["recorded"],
            "entity_msix_ids": msix_ids,
            "event": event,
        }
        self.engine.insert_many("audit", [doc])

    @locked
    def append_once(self, event: Document, *, msix_ids: list[str]) -> bool:
        """Store an event whose id is derived from what it records, unless it is already stored.

        For writers that may be re-run after an interruption (an ingest): the same act is
        recorded once. Returns False when the event was already there.
        """
        if self._audit.find_one({"_id": event["id"]}, {"_id": 1}) is not None:
            return False
        self.append(event, msix_ids=msix_ids)
        return True

    def for_child(self, msix_id: str, limit: int = 100) -> list[Document]:
        cursor = self._audit.find({"entity_msix_ids": msix_id}).sort("recorded", -1).limit(limit)
        return [doc["event"] for doc in cursor]

    def recent(self, limit: int = 100) -> list[Document]:
        cursor = self._audit.find({}).sort("recorded", -1).limit(limit)
        return [doc["event"] for doc in cursor]

    def get(self, event_id: str) -> Document | None:
        doc = self._audit.find_one({"_id": event_id})
        return None if doc is None else dict(doc["event"])

    def search(
        self,
        *,
        msix_ids: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        before: tuple[str, str] | None = None,
        limit: int = 50,
    ) -> list[Document]:
        """Events newest first, optionally about some children and within `[since, until)`.

        Keyset paging on (recorded, id): `before` is the last (recorded, id) of the previous page.
        """
        clauses: list[Document] = []
        if msix_ids is not None:
            clauses.append({"entity_msix_ids": {"$in": msix_ids}})
        if since is not None:
            clauses.append({"recorded": {"$gte": since}})
        if until is not None:
            clauses.append({"recorded": {"$lt": until}})
        if before is not None:
            recorded, event_id = before
            clauses.append(
                {
                    "$or": [
                        {"recorded": {"$lt": recorded}},
                        {"recorded": recorded, "_id": {"$lt": event_id}},
                    ]
                }
            )
        query: Document = {"$and": clauses} if clauses else {}
        cursor = self._audit.find(query).sort([("recorded", -1), ("_id", -1)]).limit(limit)
        return [doc["event"] for doc in cursor]

    def count(self) -> int:
        return int(self._audit.count_documents({}))
