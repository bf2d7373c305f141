"""State records as received: keyed by state + state student id, every version kept.

A version is one document whose `_id` is `STATE:state student id:version`, and adding a version is
one insert of that `_id`, so two writers can never both create version n. The current
record is simply the newest version: there is no "current" flag to get out of step. Re-sending
identical content creates no version (content hash), so a retried or re-run ingest never
duplicates.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from hub.store._raw_bson import plain_field
from hub.store.engine import Document, Engine, locked
from hub.store.errors import translate_errors


def content_hash(record: Document) -> str:
    """SHA-256 of the canonical JSON (sorted keys) of a record, without its provenance."""
    body = {key: value for key, value in record.items() if key != "source"}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class StoredRecord:
    state: str
    state_student_id: str
    version: int
    record: Document
    content_hash: str
    received_at: datetime
    deleted: bool
    msix_id: str | None
    batch_id: str | None

    @classmethod
    def from_doc(cls, doc: Document) -> StoredRecord:
        return cls(
            state=doc["state"],
            state_student_id=doc["state_student_id"],
            version=doc["version"],
            record=doc["record"],
            content_hash=doc["content_hash"],
            received_at=doc["received_at"],
            deleted=doc.get("deleted", False),
            msix_id=doc.get("msix_id"),
            batch_id=doc.get("batch_id"),
        )


_FIELDS = ("state", "state_student_id", "version", "content_hash", "received_at")


class _Lookup:
    """Marks `save` arguments left to the repository to look up."""


LOOKUP: Any = _Lookup()


@dataclass(frozen=True)
class SaveResult:
    stored: StoredRecord
    created: bool  # False when the same content was already the current version
    document: Document | None = None  # the new version's document, when `created`


class StateRecordRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _records(self) -> Any:
        return self.engine.db["state_records"]

    def _versions(self, state: str, state_student_ids: list[str]) -> list[StoredRecord]:
        # Queried by id alone and filtered on the state here: the embedded engine plans each
        # field of a filter separately, and `state` would make every lookup O(records of the
        # state). On MongoDB the (state_student_id, state, version) index serves this query.
        query = (
            {"state_student_id": state_student_ids[0]}
            if len(state_student_ids) == 1
            else {"state_student_id": {"$in": state_student_ids}}
        )
        return [
            StoredRecord.from_doc(doc) for doc in self._records.find(query) if doc["state"] == state
        ]

    def current(self, state: str, state_student_id: str) -> StoredRecord | None:
        return self.current_many(state, [state_student_id]).get(state_student_id)

    def current_many(self, state: str, state_student_ids: list[str]) -> dict[str, StoredRecord]:
        """The current version of each of one state's records (absent ones are left out)."""
        latest: dict[str, StoredRecord] = {}
        if not state_student_ids:
            return latest
        for stored in self._versions(state, state_student_ids):
            known = latest.get(stored.state_student_id)
            if known is None or known.version < stored.version:
                latest[stored.state_student_id] = stored
        return latest

    def history(self, state: str, state_student_id: str) -> list[StoredRecord]:
        versions = self._versions(state, [state_student_id])
        return sorted(versions, key=lambda stored: stored.version)

    def for_child(self, msix_id: str) -> list[StoredRecord]:
        """The current version of every record linked to a child (see `for_children`)."""
        return self.for_children([msix_id]).get(msix_id, [])

    def for_children(self, msix_ids: list[str]) -> dict[str, list[StoredRecord]]:
        """The current version of every record linked to each child, by MSIX ID (children
        without records are left out), in one indexed read.

        The versions are found through the `msix_id` index and read straight from the table
        (`Engine.find_in`): on the embedded engine a query copies every field of every document
        it returns, which for records with long course lists cost more than everything else on a
        record page.
        """
        return self._for_children(msix_ids, identity_only=False)

    def identities_for_children(self, msix_ids: list[str]) -> dict[str, list[StoredRecord]]:
        """`for_children`, each record holding only its identity (`{"identity": {...}}`): what
        the Patient refresh reads. On the embedded engine the rest of each record (courses,
        immunizations, ...) is then never decoded."""
        return self._for_children(msix_ids, identity_only=True)

    def _for_children(
        self, msix_ids: list[str], *, identity_only: bool
    ) -> dict[str, list[StoredRecord]]:
        latest: dict[tuple[str, str, str], Document] = {}
        wanted = sorted(set(msix_ids))
        for doc in self.engine.find_in("state_records", "msix_id", wanted, lazy=identity_only):
            key = (doc["msix_id"], doc["state"], doc["state_student_id"])
            if key not in latest or latest[key]["version"] < doc["version"]:
                latest[key] = doc
        found: dict[str, list[StoredRecord]] = {}
        for (msix_id, _, _), doc in latest.items():
            if doc.get("deleted", False):
                continue
            if identity_only:
                identity = plain_field(doc["record"], "identity")
                doc = {
                    name: doc.get(name)
                    for name in (*_FIELDS, "deleted", "msix_id", "batch_id")
                    if name in doc
                }
                doc["record"] = {} if identity is None else {"identity": identity}
            found.setdefault(msix_id, []).append(StoredRecord.from_doc(doc))
        return found

    @locked
    def save(
        self,
        state: str,
        state_student_id: str,
        record: Document,
        *,
        batch_id: str | None = None,
        msix_id: str | None = None,
        deleted: bool = False,
        now: datetime | None = None,
        current: StoredRecord | None = LOOKUP,
        extra: Document | None = None,
    ) -> SaveResult:
        """Add a version unless the content equals the current one. Idempotent under retry.

        `current` is the current version when the caller already read it (e.g. with
        `current_many`); a stale one cannot win, because the version's `_id` is unique. `extra`
        adds fields to the version document (event dates, provenance) outside the content hash.
        """
        if current is LOOKUP:
            current = self.current(state, state_student_id)
        result = self.next_version(
            state,
            state_student_id,
            record,
            batch_id=batch_id,
            msix_id=msix_id,
            deleted=deleted,
            now=now,
            current=current,
            extra=extra,
        )
        if result.document is not None:
            self.insert_versions([result])
        return result

    def next_version(
        self,
        state: str,
        state_student_id: str,
        record: Document,
        *,
        current: StoredRecord | None,
        batch_id: str | None = None,
        msix_id: str | None = None,
        deleted: bool = False,
        now: datetime | None = None,
        extra: Document | None = None,
    ) -> SaveResult:
        """What `save` would do, without writing: the version to add (`document`), if any.

        For bulk writers: plan the versions of many records, then `insert_versions` them.
        """
        digest = content_hash(record)
        if current is not None and current.content_hash == digest and current.deleted == deleted:
            return SaveResult(current, created=False)
        version = 1 if current is None else current.version + 1
        doc: Document = {
            **(extra or {}),
            "_id": f"{state}:{state_student_id}:{version}",
            "state": state,
            "state_student_id": state_student_id,
            "version": version,
            "record": record,
            "content_hash": digest,
            "received_at": now or datetime.now(UTC),
            "deleted": deleted,
            "msix_id": msix_id if msix_id is not None else (current and current.msix_id),
            "batch_id": batch_id,
        }
        return SaveResult(StoredRecord.from_doc(doc), created=True, document=doc)

    @locked
    def insert_versions(self, planned: list[SaveResult]) -> None:
        """Insert the versions `next_version` planned, in one bulk write.

        A version someone else added meanwhile (its `_id` is taken) is a `ConflictError`.
        """
        docs = [result.document for result in planned if result.document is not None]
        if not docs:
            return
        what = "a planned version" if len(docs) > 1 else f"version {docs[0]['_id']}"
        with translate_errors(f"{what} of a state record"):
            self.engine.insert_many("state_records", docs)

    @locked
    def link(self, state: str, state_student_id: str, msix_id: str | None) -> int:
        """Point every version of a state record at a child (or none, on a split)."""
        result = self._records.update_many(
            {"state": state, "state_student_id": state_student_id}, {"$set": {"msix_id": msix_id}}
        )
        return int(result.modified_count)
