"""All MongoDB access. Nothing outside this package imports pymongo, litemongo or bson.

Repositories are synchronous and must run on the store thread: a use case calls
`await store.run(fn, ...)` (or `store.call(fn, ...)` from the CLI) where `fn` uses the repositories.
Running a whole use case on the store thread keeps the embedded engine safe and makes one unit of
work cheap (no thread hop per query).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from hub.config import Settings
from hub.store.accounts import ClientRepository, UserRepository
from hub.store.assertions import AssertionReplayRepository
from hub.store.audit import AuditRepository
from hub.store.engine import Document, Engine
from hub.store.errors import translate_errors
from hub.store.fhir import FhirRepository, PlannedWrite, SearchProjection, StoredResource
from hub.store.fhir_query import filter_of
from hub.store.ingest import IngestRepository
from hub.store.lookups import RecordLookup
from hub.store.mail import MailRepository
from hub.store.messages import MessageRepository
from hub.store.records import SaveResult, StateRecordRepository, StoredRecord
from hub.store.regions import RegionRepository
from hub.store.reports import ReportQueries
from hub.store.schema import ensure_schema
from hub.store.students import StudentRepository, is_valid_msix_id, link_key
from hub.store.worklist import WorklistRepository, pair_key

P = ParamSpec("P")
T = TypeVar("T")


class Store:
    """The open store of one process: engine plus repositories."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = Engine(settings)
        self.state_records = StateRecordRepository(self.engine)
        self.students = StudentRepository(self.engine)
        self.fhir = FhirRepository(self.engine)
        self.audit = AuditRepository(self.engine)
        self.ingest = IngestRepository(self.engine)
        self.users = UserRepository(self.engine)
        self.clients = ClientRepository(self.engine)
        self.assertions = AssertionReplayRepository(self.engine)
        self.messages = MessageRepository(self.engine)
        self.lookups = RecordLookup(self.engine)
        self.worklist = WorklistRepository(self.engine)
        self.reports = ReportQueries(self.engine)
        self.regions = RegionRepository(self.engine)
        self.mail = MailRepository(self.engine)
        self.call(self._ensure_schema)

    def _ensure_schema(self) -> None:
        with self.engine.write_lock():
            ensure_schema(self.engine.db)

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` on the store thread and wait (CLI, start-up)."""
        return self.engine.call(fn, *args, **kwargs)

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` on the store thread from async code (API routes, services)."""
        return await self.engine.run(fn, *args, **kwargs)

    def ping(self) -> bool:
        """True when the database answers (for /healthz). Runs on the store thread."""
        if self.engine.embedded:
            self.engine.db.list_collection_names()
        else:
            self.engine.db.command("ping")
        return True

    def close(self) -> None:
        self.engine.close()


def open_store(settings: Settings) -> Store:
    return Store(settings)


__all__ = [
    "AssertionReplayRepository",
    "AuditRepository",
    "ClientRepository",
    "Document",
    "Engine",
    "FhirRepository",
    "IngestRepository",
    "MailRepository",
    "MessageRepository",
    "PlannedWrite",
    "RecordLookup",
    "RegionRepository",
    "ReportQueries",
    "SaveResult",
    "SearchProjection",
    "StateRecordRepository",
    "Store",
    "StoredRecord",
    "StoredResource",
    "StudentRepository",
    "UserRepository",
    "WorklistRepository",
    "filter_of",
    "is_valid_msix_id",
    "link_key",
    "open_store",
    "pair_key",
    "translate_errors",
]
