"""A minimal consolidated education record, until `hub.services.consolidation` replaces it.

The consolidated record of a child is the current version of every state record linked to it,
each as its state sent it (DESIGN.md §2): nothing is merged or overwritten here. Three lookups
feed the XML door: by MSIX ID (retired IDs follow their alias), by state + state student id, and
by demographics (exact normalised names and birth date; the identity engine will replace this
with blocking and scoring). Every function runs on the store thread.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from hub.model import StudentRecord
from hub.store import Store


@dataclass(frozen=True)
class ConsolidatedRecord:
    msix_id: str
    records: tuple[StudentRecord, ...]  # one per linked state record, by state then id


@dataclass(frozen=True)
class DemographicQuery:
    first_name: str
    last_name_1: str
    birth_date: date
    last_name_2: str | None = None


def consolidated_education_record(
    store: Store, msix_id: str, *, include_health: bool
) -> ConsolidatedRecord:
    """The child's linked state records; `NotFoundError` for an unknown MSIX ID.

    Without `include_health` the immunizations and conditions are left out (the health flags in
    enrollments stay: they are education data).
    """
    child = store.students.resolve(msix_id)
    stored = sorted(
        store.state_records.for_child(child["_id"]),
        key=lambda item: (item.state, item.state_student_id),
    )
    records = []
    for item in stored:
        record = StudentRecord.model_validate(item.record)
        if not include_health and (record.immunizations or record.conditions):
            record = record.model_copy(update={"immunizations": [], "conditions": []})
        records.append(record)
    return ConsolidatedRecord(child["_id"], tuple(records))


def msix_id_for_state_record(store: Store, state: str, state_student_id: str) -> str | None:
    """The MSIX ID of the active child linked to one state record, if any."""
    child = store.students.find_by_link(state, state_student_id)
    return None if child is None else str(child["_id"])


def children_matching(store: Store, query: DemographicQuery) -> list[str]:
    """MSIX IDs of the children with a linked state record matching `query` exactly (names
    compared without case, accents, spaces or punctuation), in order of MSIX ID."""
    first, last = normalise_name(query.first_name), normalise_name(query.last_name_1)
    second = normalise_name(query.last_name_2) if query.last_name_2 else None
    found: set[str] = set()
    for doc in store.lookups.born_on(query.birth_date.isoformat()):
        identity = doc["record"].get("identity", {})
        if doc.get("msix_id") is None or doc.get("deleted"):
            continue
        if normalise_name(identity.get("first_name")) != first:
            continue
        if normalise_name(identity.get("last_name_1")) != last:
            continue
        their_second = identity.get("last_name_2")
        if second and their_second and normalise_name(their_second) != second:
            continue
        found.add(doc["msix_id"])
    active = {msix_id for msix_id in found if _active(store, msix_id)}
    return sorted(active)


def normalise_name(name: str | None) -> str:
    """Casefolded letters only, accents removed: `Pérez-Ochoa` -> `perezochoa`."""
    if not name:
        return ""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def _active(store: Store, msix_id: str) -> bool:
    child = store.students.get(msix_id)
    return child is not None and child.get("status") == "active"
