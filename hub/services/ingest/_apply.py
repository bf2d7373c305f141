"""Pass 2: store the spooled records, a chunk at a time, on the store thread.

Each record is quarantined (rejected) or goes through identity, a versioned state-record save and
the FHIR writes of its health entries. A chunk is one unit of work (`Engine.batch`): its reads
come first (current versions, links, FHIR resources), then the identity step (which may create
or update children), then every decision is made in memory, and the chunk's writes go out in
bulk, in dependency order — children, state records, FHIR history, current FHIR resources,
quarantine. On the embedded engine that is one write lock and one SQLite commit per collection
per chunk, in that order; on MongoDB, one bulk write per collection, in that order.

Crash safety. A kill leaves a prefix of that order written (per collection on the embedded
engine, per document on MongoDB). A chunk never holds two records of the same state record
(the chunk is cut before a repeated state student id), so the records of a chunk touch disjoint
state records and FHIR resources, and each record sees the same prefix a record written on its
own would: a child without its state record (found again by its link), a state record without
its FHIR resources (recognised by its version's batch id and record number, whose resources are
then written), superseded FHIR versions copied to history without the current moving (the copy
is rewritten, identical). Every write is idempotent given what was committed before it, so
running a batch again after a kill ends exactly where one clean run ends, acknowledgement
included.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson

from hub.errors import Issue, IssueCode, Severity, warning
from hub.fhir import entry_id, with_patient
from hub.services.fhir_writes import body_of, projection_of
from hub.services.identity import Candidate, IdentityResolver
from hub.services.ingest import _collector as collector
from hub.services.ingest._ack import AckBuilder, RecordOutcome, ReportedIssue
from hub.services.ingest._types import IngestSource, Progress, Timings
from hub.services.patients import refresh_patients
from hub.store import (
    PlannedWrite,
    SaveResult,
    Store,
    StoredRecord,
    StoredResource,
    link_key,
)

CHUNK = 200
_KINDS = (
    ("immunizations", "Immunization", "immunization"),
    ("conditions", "Condition", "condition"),
)

Entry = dict[str, Any]
ResourceKey = tuple[str, str]


@dataclass(frozen=True)
class Retraction:
    record_number: int
    state_student_id: str
    msix_id: str | None


class Applier:
    def __init__(
        self,
        store: Store,
        source: IngestSource,
        builder: AckBuilder,
        *,
        now: datetime,
        timings: Timings,
    ) -> None:
        self.store = store
        self.state = source.state
        self.batch_id = source.batch_id
        self.builder = builder
        self.now = now
        self.timings = timings
        self.identity = IdentityResolver(store, now=now)
        self._touched: set[str] = set()  # children whose Patient must be refreshed
        self.retractions: list[Retraction] = []
        self._currents: dict[str, StoredRecord] = {}
        self._fhir: _FhirCache = _FhirCache(store, [])
        self._versions: list[SaveResult] = []
        self._writes: list[PlannedWrite] = []
        self._rejects: list[tuple[str, Entry]] = []
        self._to_resolve: list[str] = []

    def apply(self, spool: Path, progress: Progress | None = None) -> None:
        done = 0
        clock = time.perf_counter
        with spool.open("rb") as lines:
            for entries in _chunks(lines, self.timings):
                with self.store.engine.batch():
                    self._chunk(entries)
                    written = clock()
                self.timings.store += clock() - written  # the commits
                done += len(entries)
                if progress is not None:
                    progress("storing", done)
                # Release the chunk before collecting: the collector then walks only what
                # outlives it (a chunk's records and resources, alive, took 6 % of a 10,000-child
                # ingest to walk).
                entries.clear()
                self._release()
                collector.collect_young()

    def _release(self) -> None:
        """Drop what the last chunk read (its records, resources and candidate children)."""
        self._currents = {}
        self._fhir = _FhirCache(self.store, [])
        self.identity.forget()

    # -- one chunk ---------------------------------------------------------------------------

    def _chunk(self, entries: list[Entry]) -> None:
        accepted = [entry for entry in entries if entry["ok"]]
        sids = [entry["sid"] for entry in accepted]
        with self.timings.timing("store"):
            self._currents = self.store.state_records.current_many(self.state, sids)
        with self.timings.timing("identity"):
            self.identity.forget()
            self.identity.prepare(
                [self._candidate(entry) for entry in accepted if entry["action"] != "D"]
            )
        wanted: list[ResourceKey] = []
        for entry in accepted:
            wanted.extend((item["resourceType"], item["id"]) for item in entry["resources"])
            current = self._currents.get(entry["sid"])
            if current is not None:
                wanted.extend(self._entry_keys(entry["sid"], current.record))
        with self.timings.timing("fhir"):
            self._fhir = _FhirCache(self.store, wanted)
        for entry in entries:
            issues = [
                Issue(Severity(s), IssueCode(c), m, loc, r) for s, c, m, loc, r in entry["issues"]
            ]
            if entry["ok"]:
                outcome, more = self._accept(entry)
                issues.extend(more)
            else:
                self._reject(entry)
                outcome = RecordOutcome.REJECTED
            values = entry["values"]
            self.builder.add(
                entry["n"],
                entry["line"],
                entry["sid"],
                outcome,
                [ReportedIssue.of(issue, values) for issue in issues],
            )
        self._flush()

    def _flush(self) -> None:
        """The chunk's writes, in dependency order (children were written by the identity step)."""
        with self.timings.timing("store"):
            self.store.state_records.insert_versions(self._versions)
        with self.timings.timing("fhir"):
            self.store.fhir.write_many(self._writes)
        with self.timings.timing("store"):
            self.store.ingest.quarantine_many(
                [(key, self._quarantined(entry)) for key, entry in self._rejects]
            )
            if self._to_resolve:
                self.store.ingest.resolve(
                    self.state, self._to_resolve, batch_id=self.batch_id, now=self.now
                )
        with self.timings.timing("fhir"):
            refresh_patients(self.store, self._touched, now=self.now)
        self._versions, self._writes, self._rejects, self._to_resolve = [], [], [], []
        self._touched = set()

    def _reject(self, entry: Entry) -> None:
        sid = entry["sid"]
        key = link_key(self.state, sid) if sid else f"{self.state}#{self.batch_id}#{entry['n']}"
        self._rejects.append((key, entry))

    def _quarantined(self, entry: Entry) -> dict[str, Any]:
        return {
            "state": self.state,
            "state_student_id": entry["sid"],
            "batch_id": self.batch_id,
            "record_number": entry["n"],
            "line": entry["line"],
            "issues": [
                {"severity": s, "code": c, "message": m, "location": loc, "rule": r}
                for s, c, m, loc, r in entry["issues"]
            ],
            # A list, not a dict: locations hold dots, which MongoDB field names avoid.
            "values": [
                {"location": location, "value": value}
                for location, value in entry["values"].items()
            ],
            "quarantined_at": self.now,
        }

    # -- one accepted record -----------------------------------------------------------------

    def _accept(self, entry: Entry) -> tuple[RecordOutcome, list[Issue]]:
        sid, number = entry["sid"], entry["n"]
        self._to_resolve.append(sid)
        current = self._currents.get(sid)
        if current is not None and current.batch_id == self.batch_id:
            stored_by = _record_number(current)
            if stored_by is not None and stored_by > number:
                return self._superseded(entry)
        if entry["action"] == "D":
            return self._retract(entry, current)
        return self._store(entry, current), []

    def _store(self, entry: Entry, current: StoredRecord | None) -> RecordOutcome:
        sid = entry["sid"]
        resumed = self._stored_by_this(current, entry)
        with self.timings.timing("identity"):
            resolution = self.identity.resolve(self._candidate(entry))
            msix_id = resolution.msix_id
            self._touched.add(msix_id)
        with self.timings.timing("store"):
            result = self.store.state_records.next_version(
                self.state,
                sid,
                entry["record"],
                batch_id=self.batch_id,
                msix_id=msix_id,
                now=self.now,
                current=current,
                extra={"events": entry["events"], "event_date": entry["events"].get("latest")},
            )
            self._versions.append(result)
            self._currents[sid] = result.stored
            previous = self._version_before(current) if resumed else current
        removed = set()
        if previous is not None and not previous.deleted:
            keep = {(item["resourceType"], item["id"]) for item in entry["resources"]}
            removed = set(self._entry_keys(sid, previous.record)) - keep
        with self.timings.timing("fhir"):
            self._write_resources(msix_id, entry["resources"], sorted(removed))
        return RecordOutcome.STORED if result.created or resumed else RecordOutcome.UNCHANGED

    def _retract(
        self, entry: Entry, current: StoredRecord | None
    ) -> tuple[RecordOutcome, list[Issue]]:
        sid = entry["sid"]
        if current is None:
            return RecordOutcome.UNCHANGED, [_nothing_to_delete(entry)]
        resumed = current.deleted and self._stored_by_this(current, entry)
        if current.deleted and not resumed:
            return RecordOutcome.UNCHANGED, []
        if not resumed:
            with self.timings.timing("store"):
                result = self.store.state_records.next_version(
                    self.state,
                    sid,
                    {**current.record, "source": entry["record"]["source"]},
                    batch_id=self.batch_id,
                    msix_id=current.msix_id,
                    deleted=True,
                    now=self.now,
                    current=current,
                )
                self._versions.append(result)
                self._currents[sid] = result.stored
        with self.timings.timing("fhir"):
            self._write_resources(current.msix_id, [], self._entry_keys(sid, current.record))
        if current.msix_id is not None:
            self._touched.add(current.msix_id)  # its Patient loses this record's identifier
        self.retractions.append(Retraction(entry["n"], sid, current.msix_id))
        return RecordOutcome.DELETED, []

    def _superseded(self, entry: Entry) -> tuple[RecordOutcome, list[Issue]]:
        """A later record of this batch already stored this child (an interrupted run): say what
        this record did then, from the versions it left, and change nothing."""
        number = entry["n"]
        with self.timings.timing("store"):
            history = self.store.state_records.history(self.state, entry["sid"])
        mine = [
            version
            for version in history
            if version.batch_id == self.batch_id and _record_number(version) == number
        ]
        if mine and mine[-1].deleted:
            self.retractions.append(Retraction(number, entry["sid"], mine[-1].msix_id))
            return RecordOutcome.DELETED, []
        if mine:
            return RecordOutcome.STORED, []
        before = [
            version
            for version in history
            if version.batch_id != self.batch_id or (_record_number(version) or 0) < number
        ]
        if entry["action"] == "D" and not before:
            return RecordOutcome.UNCHANGED, [_nothing_to_delete(entry)]
        return RecordOutcome.UNCHANGED, []

    # -- helpers -----------------------------------------------------------------------------

    def _candidate(self, entry: Entry) -> Candidate:
        return Candidate(
            self.state,
            entry["sid"],
            entry["record"]["identity"],
            entry["record"].get("enrollments", []),
        )

    def _stored_by_this(self, current: StoredRecord | None, entry: Entry) -> bool:
        return (
            current is not None
            and current.batch_id == self.batch_id
            and _record_number(current) == entry["n"]
        )

    def _version_before(self, current: StoredRecord | None) -> StoredRecord | None:
        if current is None:
            return None
        history = self.store.state_records.history(self.state, current.state_student_id)
        older = [version for version in history if version.version < current.version]
        return older[-1] if older else None

    def _entry_keys(self, sid: str, record: dict[str, Any]) -> list[ResourceKey]:
        return [
            (resource_type, entry_id(self.state, sid, kind, item["record_id"]))
            for group, resource_type, kind in _KINDS
            for item in record.get(group, [])
        ]

    def _write_resources(
        self, msix_id: str | None, resources: list[dict[str, Any]], retract: Iterable[ResourceKey]
    ) -> None:
        """Plan the FHIR writes of one record (written with the chunk's others by `_flush`)."""
        fhir = self.store.fhir
        for built in resources:
            assert msix_id is not None
            resource = with_patient(built, msix_id)
            key = (resource["resourceType"], resource["id"])
            stored = self._fhir.get(key)
            if stored is not None and not stored.deleted and body_of(stored.resource) == resource:
                continue
            planned = fhir.plan(resource, projection_of(resource), previous=stored, now=self.now)
            self._writes.append(planned)
            self._fhir.put(key, planned)
        for key in retract:
            stored = self._fhir.get(key)
            if stored is None or stored.deleted:
                continue
            body = body_of(stored.resource)
            planned = fhir.plan(
                body, projection_of(body), previous=stored, deleted=True, now=self.now
            )
            self._writes.append(planned)
            self._fhir.put(key, planned)


class _FhirCache:
    """Current versions of the resources one chunk touches, read in one query per type."""

    def __init__(self, store: Store, keys: Iterable[ResourceKey]) -> None:
        self._store = store
        self._known: dict[ResourceKey, StoredResource | PlannedWrite | None] = {}
        self._load(keys)

    def _load(self, keys: Iterable[ResourceKey]) -> None:
        missing: dict[str, list[str]] = {}
        for resource_type, resource_id in keys:
            if (resource_type, resource_id) not in self._known:
                missing.setdefault(resource_type, []).append(resource_id)
        for resource_type, ids in missing.items():
            found = self._store.fhir.read_many(resource_type, ids)
            for resource_id in ids:
                self._known[(resource_type, resource_id)] = found.get(resource_id)

    def get(self, key: ResourceKey) -> StoredResource | None:
        if key not in self._known:
            self._load([key])
        known = self._known[key]
        if isinstance(known, PlannedWrite):  # asked again within the chunk (rare)
            known = self._known[key] = known.stored
        return known

    def put(self, key: ResourceKey, planned: PlannedWrite) -> None:
        """The version `planned` writes is now the current one."""
        self._known[key] = planned


def _chunks(lines: IO[bytes], timings: Timings) -> Iterator[list[Entry]]:
    """The spool's entries, at most `CHUNK` at a time, never two of one state record together."""
    chunk: list[Entry] = []
    sids: set[str] = set()
    clock = time.perf_counter
    for line in lines:
        started = clock()
        entry: Entry = orjson.loads(line)
        timings.spool += clock() - started
        sid = entry["sid"]
        if len(chunk) == CHUNK or (sid is not None and sid in sids):
            yield chunk
            chunk, sids = [], set()
        chunk.append(entry)
        if sid is not None:
            sids.add(sid)
    if chunk:
        yield chunk


def _record_number(stored: StoredRecord) -> int | None:
    number = stored.record.get("source", {}).get("record_number")
    return number if isinstance(number, int) else None


def _nothing_to_delete(entry: Entry) -> Issue:
    return warning(
        IssueCode.NOT_FOUND,
        "a delete for a record the hub does not hold: nothing was deleted",
        f"record[{entry['n']}]",
        "ingest.delete-unknown",
    )
