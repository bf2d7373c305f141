"""The consolidated record of one child: every linked state's current record, read together.

A consolidated record never overwrites one state's data with another's (DESIGN.md §2): it is the
list of the child's linked state records, each as the state last sent it, plus the identity
summary and assembled lists the identity package derives from them with provenance. Every door
renders from this one view: the XML RecordResponse, the web record page, the FHIR Patient.

All functions here are synchronous and run on the store thread (`store.call` / `store.run`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from hub.model import StudentRecord
from hub.store import Store, StoredRecord


@dataclass(frozen=True)
class LinkedRecord:
    """One state's current record of the child, with where and when it came from."""

    stored: StoredRecord

    @functools.cached_property
    def record(self) -> StudentRecord:
        """The canonical model, built on first use: the stored JSON was validated on ingest, and
        the record page works from it directly (building ten models is most of a read)."""
        return StudentRecord.model_validate(self.stored.record)

    @property
    def state(self) -> str:
        return self.stored.state

    @property
    def state_student_id(self) -> str:
        return self.stored.state_student_id


@dataclass(frozen=True)
class ConsolidatedChild:
    msix_id: str  # the surviving MSIX ID
    requested_id: str  # the ID asked for; differs from msix_id when it was retired by a merge
    records: list[LinkedRecord]  # ordered by state, then state student id
    include_health: bool
    locked_by: str | None = None  # the pending worklist item that locks the child, if any

    @property
    def replaced(self) -> bool:
        return self.requested_id != self.msix_id

    def education_records(self) -> list[StudentRecord]:
        """Each linked state record as the canonical model, health entries only when allowed.

        Health *flags* on enrollments (immunization record on file, medical alert) are always
        kept; the immunization and condition lists need the health scope or role.
        """
        out: list[StudentRecord] = []
        for linked in self.records:
            record = linked.record.model_copy(update={"msix_id": self.msix_id})
            if not self.include_health:
                record = record.model_copy(update={"immunizations": [], "conditions": []})
            out.append(record)
        return out


def load_child(store: Store, msix_id: str, *, include_health: bool) -> ConsolidatedChild:
    """The consolidated record of the child an MSIX ID names, following merge aliases.

    Raises `NotFoundError` for an unknown ID. Store thread.
    """
    child = store.students.resolve(msix_id)
    surviving: str = child["_id"]
    linked = [LinkedRecord(stored) for stored in store.state_records.for_child(surviving)]
    linked.sort(key=lambda item: (item.state, item.state_student_id))
    return ConsolidatedChild(surviving, msix_id, linked, include_health, child.get("locked_by"))


def find_child_by_state_id(store: Store, state: str, state_student_id: str) -> str | None:
    """The MSIX ID of the active child linked to a state record, if any. Store thread."""
    child = store.students.find_by_link(state, state_student_id)
    return None if child is None else str(child["_id"])
