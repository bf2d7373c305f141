"""Pass 2: store the spooled records, a chunk at a time, on the store thread.

Each record is quarantined (rejected) or goes through identity, a versioned state-record save and
the FHIR writes of its health entries. Every step is idempotent, and a record already stored by
an interrupted run of the same batch is recognised by its version's batch id and record number,
so running a batch again after a kill ends exactly where one clean run ends, acknowledgement
included.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from hub.errors import Issue, IssueCode, Severity, warning
from hub.fhir import entry_id, search_projection, with_patient
from hub.services.ingest._ack import AckBuilder, RecordOutcome, ReportedIssue
from hub.services.ingest._identity import Candidate, IdentityStep
from hub.services.ingest._types import IngestSource, Progress, Timings
from hub.store import SearchProjection, Store, StoredRecord, StoredResource, link_key

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
        self.identity = IdentityStep(store.students, now=now)
        self.retractions: list[Retraction] = []
        self._currents: dict[str, StoredRecord] = {}
        self._fhir: _FhirCache = _FhirCache(store, [])
        self._to_resolve: list[str] = []

    def apply(self, spool: Path, progress: Progress | None = None) -> None:
        done = 0
        with spool.open("rb") as lines:
            while chunk := list(itertools.islice(lines, CHUNK)):
                with self.timings.timing("spool"):
                    entries = [orjson.loads(line) for line in chunk]
                self._chunk(entries)
                done += len(chunk)
                if progress is not None:
                    progress("storing", done)

    # -- one chunk ---------------------------------------------------------------------------

    def _chunk(self, entries: list[Entry]) -> None:
        accepted = [entry for entry in entries if entry["ok"]]
        sids = list(dict.fromkeys(entry["sid"] for entry in accepted))
        with self.timings.timing("store"):
            self._currents = self.store.state_records.current_many(self.state, sids)
        with self.timings.timing("identity"):
            self.identity.forget()
            self.identity.prefetch(
                self.state, [entry["sid"] for entry in accepted if entry["action"] != "D"]
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
                self._reject(entry, issues)
                outcome = RecordOutcome.REJECTED
            values = entry["values"]
            self.builder.add(
                entry["n"],
                entry["line"],
                entry["sid"],
                outcome,
                [ReportedIssue.of(issue, values) for issue in issues],
            )
        self._resolve()

    def _reject(self, entry: Entry, issues: list[Issue]) -> None:
        sid = entry["sid"]
        if sid in self._to_resolve:
            self._resolve()  # an earlier record of this file was accepted: keep the file order
        key = link_key(self.state, sid) if sid else f"{self.state}#{self.batch_id}#{entry['n']}"
        with self.timings.timing("store"):
            self.store.ingest.quarantine(
                key,
                {
                    "state": self.state,
                    "state_student_id": sid,
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
                },
            )

    def _resolve(self) -> None:
        if self._to_resolve:
            with self.timings.timing("store"):
                self.store.ingest.resolve(
                    self.state, self._to_resolve, batch_id=self.batch_id, now=self.now
                )
            self._to_resolve = []

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
            msix_id = self.identity.resolve(Candidate(self.state, sid, entry["identity"])).msix_id
        with self.timings.timing("store"):
            result = self.store.state_records.save(
                self.state,
                sid,
                entry["record"],
                batch_id=self.batch_id,
                msix_id=msix_id,
                now=self.now,
                current=current,
                extra={"events": entry["events"], "event_date": entry["events"].get("latest")},
            )
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
                result = self.store.state_records.save(
                    self.state,
                    sid,
                    {**current.record, "source": entry["record"]["source"]},
                    batch_id=self.batch_id,
                    msix_id=current.msix_id,
                    deleted=True,
                    now=self.now,
                    current=current,
                )
                self._currents[sid] = result.stored
        with self.timings.timing("fhir"):
            self._write_resources(current.msix_id, [], self._entry_keys(sid, current.record))
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
        fhir = self.store.fhir
        for built in resources:
            assert msix_id is not None
            resource = with_patient(built, msix_id)
            key = (resource["resourceType"], resource["id"])
            stored = self._fhir.get(key)
            if stored is not None and not stored.deleted and _body(stored.resource) == resource:
                continue
            written = fhir.write(
                resource,
                _projection(resource),
                if_match=stored.version_id if stored is not None else 0,
                now=self.now,
            )
            self._fhir.put(key, written)
        for key in retract:
            stored = self._fhir.get(key)
            if stored is None or stored.deleted:
                continue
            body = _body(stored.resource)
            written = fhir.write(
                body, _projection(body), if_match=stored.version_id, deleted=True, now=self.now
            )
            self._fhir.put(key, written)


class _FhirCache:
    """Current versions of the resources one chunk touches, read in one query per type."""

    def __init__(self, store: Store, keys: Iterable[ResourceKey]) -> None:
        self._store = store
        self._known: dict[ResourceKey, StoredResource | None] = {}
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
        return self._known[key]

    def put(self, key: ResourceKey, stored: StoredResource) -> None:
        self._known[key] = stored


def _record_number(stored: StoredRecord) -> int | None:
    number = stored.record.get("source", {}).get("record_number")
    return number if isinstance(number, int) else None


def _body(resource: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in resource.items() if name != "meta"}


def _projection(resource: dict[str, Any]) -> SearchProjection:
    projection = search_projection(resource)
    return SearchProjection(
        identifiers=projection.identifiers,
        patient=projection.patient,
        date=projection.date,
        extra=projection.extra,
    )


def _nothing_to_delete(entry: Entry) -> Issue:
    return warning(
        IssueCode.NOT_FOUND,
        "a delete for a record the hub does not hold: nothing was deleted",
        f"record[{entry['n']}]",
        "ingest.delete-unknown",
    )
