"""Read-only queries behind the data reports (DOMAIN.md §8), projected to the fields they need.

Each streams one collection with a projection; the service folds the rows in one pass. That is
what the embedded engine does well at demo and state scale; on a national MongoDB these are the
places to move to aggregation pipelines with `$group` (same inputs, same outputs).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hub.store.engine import Document, Engine

_RECORD_FIELDS = {
    "state": 1,
    "state_student_id": 1,
    "version": 1,
    "received_at": 1,
    "events": 1,
    "msix_id": 1,
    "deleted": 1,
    "batch_id": 1,
    "record.enrollments.enrollment_date": 1,
}


class ReportQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _find(self, collection: str, query: Document, fields: Document) -> Iterator[Document]:
        cursor: Any = self.engine.db[collection].find(query, fields)
        yield from cursor

    def record_versions(self) -> Iterator[Document]:
        """Every state record version: key, version, receipt, event dates, enrollment dates."""
        return self._find("state_records", {}, _RECORD_FIELDS)

    def issued_ids(self) -> Iterator[Document]:
        """Every MSIX ID ever issued, with when."""
        return self._find("msix_ids", {}, {"issued_at": 1})

    def batches(self) -> Iterator[Document]:
        return self._find(
            "ingest_batches",
            {},
            {"state": 1, "received_at": 1, "submitted_at": 1, "counts": 1, "status": 1},
        )

    def quarantine(self) -> Iterator[Document]:
        return self._find(
            "quarantine",
            {},
            {"state": 1, "status": 1, "issues.location": 1, "issues.severity": 1},
        )

    def move_notices(self) -> Iterator[Document]:
        return self._find(
            "mailbox",
            {"message_type": "MoveNotification"},
            {"mailbox": 1, "sender": 1, "msix_id": 1, "received_at": 1},
        )

    def open_worklist(self) -> Iterator[Document]:
        return self._find(
            "worklist",
            {"status": "open"},
            {"kind": 1, "level": 1, "created_at": 1, "level_since": 1, "route.state": 1},
        )

    def closed_worklist_count(self) -> int:
        return int(self.engine.db["worklist"].count_documents({"status": "closed"}))

    def move_notice_count(self) -> int:
        return int(self.engine.db["mailbox"].count_documents({"message_type": "MoveNotification"}))
