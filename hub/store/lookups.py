"""Read-only lookups across state records that the record-request door needs.

Kept apart from `hub.store.records` (the versioned writes): demographic requests and the web
search reach children by their records' birth date (indexed), besides the blocking keys.
"""

from __future__ import annotations

from typing import Any

from hub.store.engine import Document, Engine

_FIELDS = {"record.identity": 1, "msix_id": 1, "deleted": 1, "state": 1, "state_student_id": 1}


class RecordLookup:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _records(self) -> Any:
        return self.engine.db["state_records"]

    def born_on(self, birth_date: str, limit: int = 500) -> list[Document]:
        """State record versions (identity, MSIX ID, key) with this ISO birth date."""
        cursor = self._records.find({"record.identity.birth_date": birth_date}, _FIELDS)
        return list(cursor.limit(limit))
