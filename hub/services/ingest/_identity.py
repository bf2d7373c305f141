"""The identity step of the data path (DESIGN.md §2): which child does a state record belong to?

This is the seam identity resolution (block -> compare -> score -> link | review | new ID) plugs
into. Until it lands the rule is the simplest one that never merges two children: a state record
the hub already links keeps its child; any other record gets a new child and a new MSIX ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.store import StudentRepository


@dataclass(frozen=True)
class Candidate:
    """What the identity step sees of one accepted state record."""

    state: str
    state_student_id: str
    identity: Mapping[str, Any]  # hub.model.Identity as JSON, without parents and alternate ids


@dataclass(frozen=True)
class Resolution:
    msix_id: str
    created: bool  # a new child (and MSIX ID) was made for this record


class IdentityStep:
    """Resolves state records to children. Runs on the store thread.

    `prefetch` reads the links of many records in one query; `resolve` then answers from that
    and creates children for records no child links yet.
    """

    def __init__(self, students: StudentRepository, *, now: datetime) -> None:
        self._students = students
        self._now = now
        self._known: dict[tuple[str, str], str] = {}

    def forget(self) -> None:
        """Drop what `prefetch` read (between chunks, so memory stays flat)."""
        self._known.clear()

    def prefetch(self, state: str, state_student_ids: list[str]) -> None:
        missing = [sid for sid in state_student_ids if (state, sid) not in self._known]
        if missing:
            for sid, child in self._students.find_by_links(state, missing).items():
                self._known[(state, sid)] = child["_id"]

    def resolve(self, candidate: Candidate) -> Resolution:
        key = (candidate.state, candidate.state_student_id)
        if key not in self._known:
            self.prefetch(candidate.state, [candidate.state_student_id])
        known = self._known.get(key)
        if known is not None:
            return Resolution(known, created=False)
        child = self._students.create(
            {
                "links": [
                    {"state": candidate.state, "state_student_id": candidate.state_student_id}
                ],
                "identity": dict(candidate.identity),
                "blocking_keys": [],
            },
            now=self._now,
        )
        self._known[key] = child["_id"]
        return Resolution(child["_id"], created=True)
