"""Ingest batches and the quarantine of rejected records.

A batch is keyed by what was sent (state + SHA-256 of the file), so the same file sent again finds
its batch. The quarantine holds one document per rejected state record, keyed
`STATE:state student id`: a later rejection of the same record replaces it, an acceptance marks
it resolved. Every write here is an idempotent upsert or a conditional update, so an interrupted
ingest can simply be run again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ReplaceOne, ReturnDocument

from hub.store.engine import Document, Engine, locked
from hub.store.students import link_key


class IngestRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _batches(self) -> Any:
        return self.engine.db["ingest_batches"]

    @property
    def _quarantine(self) -> Any:
        return self.engine.db["quarantine"]

    # -- batches -----------------------------------------------------------------------------

    def batch(self, batch_id: str) -> Document | None:
        doc: Document | None = self._batches.find_one({"_id": batch_id})
        return doc

    @locked
    def start_batch(self, batch_id: str, fields: Document, *, now: datetime) -> Document:
        """Create the batch as `running`, or mark a known one running again (a re-run).

        `fields` are set on creation only, so a re-run keeps the first receipt's time.
        """
        doc: Document = self._batches.find_one_and_update(
            {"_id": batch_id},
            {
                "$setOnInsert": {**fields, "received_at": now},
                "$set": {"status": "running", "started_at": now},
                # A re-run's answer replaces the last attempt's (a rejection, say).
                "$unset": {"acknowledgement": "", "outcome": "", "counts": ""},
                "$inc": {"attempts": 1},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return doc

    @locked
    def finish_batch(self, batch_id: str, changes: Document) -> None:
        self._batches.update_one({"_id": batch_id}, {"$set": changes})

    def recent_batches(self, state: str, limit: int = 50) -> list[Document]:
        cursor = self._batches.find({"state": state}, {"acknowledgement": 0})
        return list(cursor.sort("received_at", -1).limit(limit))

    # -- quarantine --------------------------------------------------------------------------

    @locked
    def quarantine(self, key: str, doc: Document) -> None:
        """Keep (or replace) the quarantined copy of one rejected record, open again."""
        self.quarantine_many([(key, doc)])

    @locked
    def quarantine_many(self, entries: list[tuple[str, Document]]) -> None:
        """`quarantine` for many records in one bulk write (keys must differ)."""
        if entries:
            self._quarantine.bulk_write(
                [
                    ReplaceOne({"_id": key}, {**doc, "_id": key, "status": "open"}, upsert=True)
                    for key, doc in entries
                ],
                ordered=True,
            )

    @locked
    def resolve(
        self, state: str, state_student_ids: list[str], *, batch_id: str, now: datetime
    ) -> int:
        """Mark the open quarantine entries of these records resolved by an accepted resend."""
        keys = [link_key(state, sid) for sid in state_student_ids]
        result = self._quarantine.update_many(
            {"_id": {"$in": keys}, "status": "open"},
            {"$set": {"status": "resolved", "resolved_by": batch_id, "resolved_at": now}},
        )
        return int(result.modified_count)

    def quarantined(self, state: str, state_student_id: str) -> Document | None:
        doc: Document | None = self._quarantine.find_one({"_id": link_key(state, state_student_id)})
        return doc

    def open_quarantine(self, state: str, limit: int = 100) -> list[Document]:
        cursor = self._quarantine.find({"state": state, "status": "open"}).sort("_id", 1)
        return list(cursor.limit(limit))

    def count_open(self, state: str) -> int:
        return int(self._quarantine.count_documents({"state": state, "status": "open"}))
