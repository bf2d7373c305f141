"""Incremental consolidation in memory: the hub's identity step without a store.

Records arrive one at a time; each is matched against every child known so far through the
blocking index and linked, sent to review or made a new child, exactly as the ingest identity
step does against `students.find_by_blocking_keys`. Used by the bench, the tests and training
checks. A record sent to review starts a child of its own until a Data Administrator decides,
which is what the hub shows meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.identity.blocking import blocking_keys
from hub.identity.decide import ChildCandidate, Decision, LinkedRecord, decide
from hub.identity.index import CandidateIndex
from hub.identity.normalize import Profile
from hub.identity.scoring import MatchModel, Zone


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where one record went: its child (an index into the linker) and the decision."""

    child: int
    decision: Decision


class InMemoryLinker:
    """Children as lists of linked records, found through a `CandidateIndex`."""

    def __init__(self, model: MatchModel, *, max_block: int = 400) -> None:
        self.model = model
        self.index: CandidateIndex[int] = CandidateIndex(max_block)
        self.children: list[list[LinkedRecord]] = []

    def add(self, profile: Profile) -> Outcome:
        """Decide for one record and apply the decision (review → a child of its own)."""
        keys = blocking_keys(profile)
        candidates = [
            ChildCandidate(str(child), tuple(self.children[child]))
            for child in sorted(self.index.candidates(keys))
        ]
        decision = decide(profile, candidates, self.model)
        record = LinkedRecord(profile.state or "", profile.state_student_id or "", profile)
        if decision.zone is Zone.LINK and decision.msix_id is not None:
            child = int(decision.msix_id)
            self.children[child].append(record)
        else:
            child = len(self.children)
            self.children.append([record])
        self.index.add(child, keys)
        return Outcome(child, decision)
