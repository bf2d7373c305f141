"""Identity resolution and consolidation: which child a state record belongs to (pure, no I/O).

The flow for one incoming state record (DOMAIN.md §6, DESIGN.md §2 identity step):

1. `build_profile(identity, state=..., state_student_id=...)` normalises it once: folded names,
   surname tokens without particles, nickname canonical forms, Double Metaphone codes,
   placeholders flagged (normalize.py).
2. `blocking_keys(profile)` gives the typo-tolerant keys; the store finds candidate children
   holding any of them (`students.find_by_blocking_keys`), a child holding the union of its
   records' keys (`child_keys`). `CandidateIndex` does the same in memory.
3. `decide(profile, candidates, model)` scores the record against each candidate child's linked
   records with the Fellegi-Sunter model (`load_model()`: comparisons.yaml + weights.json),
   applies the guards (twins and siblings, one record per state, placeholders, ambiguity) and
   returns a `Decision`: link, review (near match) or new, with a JSON explanation.
4. After linking, `summarise_identity` / `consolidate` rebuild the child's identity summary (with
   provenance per field) and consolidated lists from its linked records (survivorship.py).

`train(profiles)` re-estimates m, u and the prior from unlabelled records (`msix identity
train`); `InMemoryLinker` runs the whole loop in memory for the bench and tests, scoring each
record against all its candidate records at once with a `CandidateScreen` (screen.py: interned
value codes, memoized levels; the same scores `decide` would compute pair by pair).
docs/identity.md describes the rules and the measured figures.
"""

from hub.identity.blocking import blocking_keys, child_keys, name_year_keys
from hub.identity.comparisons import (
    LEVEL_KINDS,
    Comparison,
    ComparisonSet,
    Zones,
    load_comparisons,
    parse_comparisons,
)
from hub.identity.decide import (
    CandidateScore,
    ChildCandidate,
    Decision,
    Guard,
    LinkedRecord,
    decide,
)
from hub.identity.index import CandidateIndex
from hub.identity.linker import InMemoryLinker, Outcome
from hub.identity.normalize import (
    Profile,
    build_profile,
    fold,
    is_placeholder_date,
    is_placeholder_name,
)
from hub.identity.scoring import (
    MatchModel,
    PairScore,
    Weights,
    Zone,
    load_model,
    load_weights,
    parse_weights,
    write_weights,
)
from hub.identity.survivorship import (
    IdentitySummary,
    Provenance,
    SourceRecord,
    consolidate,
    summarise_identity,
)
from hub.identity.train import TrainingOptions, train

__all__ = [
    "LEVEL_KINDS",
    "CandidateIndex",
    "CandidateScore",
    "ChildCandidate",
    "Comparison",
    "ComparisonSet",
    "Decision",
    "Guard",
    "IdentitySummary",
    "InMemoryLinker",
    "LinkedRecord",
    "MatchModel",
    "Outcome",
    "PairScore",
    "Profile",
    "Provenance",
    "SourceRecord",
    "TrainingOptions",
    "Weights",
    "Zone",
    "Zones",
    "blocking_keys",
    "build_profile",
    "child_keys",
    "consolidate",
    "decide",
    "fold",
    "is_placeholder_date",
    "is_placeholder_name",
    "load_comparisons",
    "load_model",
    "load_weights",
    "name_year_keys",
    "parse_comparisons",
    "parse_weights",
    "summarise_identity",
    "train",
    "write_weights",
]
