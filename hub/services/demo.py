"""Load synthetic children into a fresh store for `msix demo`.

Until identity resolution lands, the demo links each synthetic child's state records by the
generator's ground truth (one consolidated child per true child). Records still go through the
model rules and the real store path: versioned state records, an allocated MSIX ID, links.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hub.errors import has_errors
from hub.model import StudentRecord, check_record
from hub.store import Store


@dataclass
class LoadSummary:
    children: int = 0
    records: int = 0
    rejected: int = 0


def _identity_summary(records: Sequence[StudentRecord]) -> dict[str, object]:
    newest = records[-1].identity
    return newest.model_dump(mode="json", exclude={"parents", "alternate_ids"}, exclude_none=True)


def load_linked_records(store: Store, children: Iterable[Sequence[StudentRecord]]) -> LoadSummary:
    """Store each group of records as one child. Runs on the store thread (`store.call`)."""
    summary = LoadSummary()
    for records in children:
        accepted = [record for record in records if not has_errors(check_record(record))]
        summary.rejected += len(records) - len(accepted)
        if not accepted:
            continue
        links = [
            {"state": record.student_id.state, "state_student_id": record.student_id.value}
            for record in accepted
        ]
        existing = store.students.find_by_link(links[0]["state"], links[0]["state_student_id"])
        child = existing or store.students.create(
            {"links": links, "identity": _identity_summary(accepted)}
        )
        for record in accepted:
            store.state_records.save(
                record.student_id.state,
                record.student_id.value,
                record.model_dump(mode="json", exclude_none=True),
                msix_id=child["_id"],
            )
            summary.records += 1
        summary.children += 1
    return summary
