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
from hub.identity.screen import CandidateScreen


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where one record went: its child (an index into the linker) and the decision."""

    child: int
    decision: Decision


class InMemoryLinker:
    """Children as lists of linked records, found through a `CandidateIndex`.

    The candidate children's records are scored at once by a `CandidateScreen` (the scores
    `decide` would compute pair by pair); children none of whose records reaches the review
    threshold are left out, as `decide` would leave them.
    """

    def __init__(self, model: MatchModel, *, max_block: int = 400) -> None:
        self.model = model
        self.index: CandidateIndex[int] = CandidateIndex(max_block)
        self.screen = CandidateScreen(model)
        self.profiles: list[Profile] = []  # by screen row
        self.child_of: list[int] = []  # by screen row
        self.children: list[list[int]] = []  # a child's records, as rows

    def add(self, profile: Profile) -> Outcome:
        """Decide for one record and apply the decision (review → a child of its own)."""
        keys = blocking_keys(profile)
        codes = self.screen.encode(profile)
        children = self.children
        rows = [row for child in self.index.candidates(keys) for row in children[child]]
        scores = self.screen.scores(profile, codes, rows, self._profile_at, self.model.zones.review)
        candidates = []
        for child in sorted({self.child_of[row] for row in scores}):
            held = children[child]
            candidates.append(
                ChildCandidate(
                    str(child),
                    tuple(_linked(self.profiles[row]) for row in held),
                    tuple(scores.get(row) for row in held),
                )
            )
        decision = decide(profile, candidates, self.model)
        row = self.screen.add(profile, codes)
        self.profiles.append(profile)
        if decision.zone is Zone.LINK and decision.msix_id is not None:
            child = int(decision.msix_id)
            children[child].append(row)
        else:
            child = len(children)
            children.append([row])
        self.child_of.append(child)
        self.index.add(child, keys)
        return Outcome(child, decision)

    def _profile_at(self, row: int) -> Profile:
        return self.profiles[row]


def _linked(profile: Profile) -> LinkedRecord:
    return LinkedRecord(profile.state or "", profile.state_student_id or "", profile)
