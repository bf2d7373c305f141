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
        self._audit.insert_one(
            {
                "_id": event["id"],
                "recorded": event["recorded"],
                "entity_msix_ids": msix_ids,
                "event": event,
            }
        )

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

    def count(self) -> int:
        return int(self._audit.count_documents({}))
