"""The decision for one incoming state record: link to a child, open a near match, or a new child.

The record is scored against every linked record of each candidate child and the child keeps its
best pair: a state record is one independent sighting of the child, and a new sighting needs to
agree with one of them, not with their blend (two states may both be right about different
fields). Guards then cap the zone at review, never raise it:

- `twin_or_sibling`: given names differ (or share only a token, María vs María Guadalupe, or
  the middle names disagree: twins María Daniela and Daniela Guadalupe both answer to Daniela,
  or each side holds a given name the other lacks: Juan Francisco and Luis Francisco)
  while the record or the child is flagged as a multiple birth, or another candidate child
  shares the birth date and a surname with a differing given name (a known brother or sister);
  or given names differ outright while birth date and a surname agree (the sibling signature,
  DOMAIN §6);
- `same_state_conflict`: the child already holds an active record of the same state under
  another state student id (one-to-one per source);
- `placeholder`: either side's given name is a placeholder (BABY BOY, TWIN A...);
- `ambiguous`: more than one child reaches the link zone.

Only candidates that reach the review band are scored to the end and shown: a pair is dropped as
soon as its best reachable total falls below the review threshold (`MatchModel.score_at_least`),
since at a million children most candidates of a record are strangers who share a name or a
birth date. A record none of whose candidates reaches the band is a new child with no candidates.

Every decision carries its explanation: per comparison the level and weight, the total and the
guards that fired, as plain JSON for the worklist screen and the audit trail.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from rapidfuzz.distance import JaroWinkler

from hub.errors import ConfigurationError, IssueCode, error
from hub.identity.normalize import Profile, canonical_names
from hub.identity.scoring import MatchModel, PairScore, Zone

# Level names of comparisons.yaml the guards read; checked against the model at first use.
GIVEN_AGREE: Final = frozenset({"exact", "nickname", "jaro_winkler_92"})
# Only a shared given token (María vs María Guadalupe: the same child, or her twin María
# Fernanda) or a likely typo (Dsvid, Aan): not a sibling's name unless something else says twin.
GIVEN_PARTIAL: Final = frozenset({"given_name_shared", "metaphone", "jaro_winkler_80"})
# Names only alike (María and Mariana, Jean and Jena-Robert) agree for a stranger's typo, but
# twins are often given such names: in a twin context they count as a partial agreement.
GIVEN_ALIKE: Final = frozenset({"jaro_winkler_92"})
# Twins are often told apart only by the middle name: in a twin context it counts as a given name.
MIDDLE_DISAGREE: Final = frozenset({"different"})
BIRTH_DATE_AGREE: Final = frozenset({"exact", "day_month_swapped"})
SURNAME_DISAGREE: Final = frozenset({"missing", "different"})
SHOWN_CANDIDATES: Final = 5
# Two given names at least this similar (Jaro-Winkler) are one name misspelt, not two names.
TYPO_SIMILARITY: Final = 0.85


class Guard:
    TWIN_OR_SIBLING: Final = "twin_or_sibling"
    SAME_STATE_CONFLICT: Final = "same_state_conflict"
    PLACEHOLDER: Final = "placeholder"
    AMBIGUOUS: Final = "ambiguous"


@dataclass(frozen=True, slots=True)
class LinkedRecord:
    """One state record a child already links, as the decision sees it."""

    state: str
    state_student_id: str
    profile: Profile
    active: bool = True


@dataclass(frozen=True, slots=True)
class ChildCandidate:
    """A child found through the blocking keys, with its linked records.

    `scores`, when the caller already has them (the in-memory linker's `CandidateScreen`), is the
    incoming record's score against each linked record, None where it is below the review
    threshold, exactly as `MatchModel.score_at_least` gives them; otherwise `decide` scores.
    """

    msix_id: str
    records: tuple[LinkedRecord, ...]
    scores: tuple[PairScore | None, ...] | None = None


@dataclass(frozen=True, slots=True)
class CandidateScore:
    """How the record scored against one child (its best linked record) and which guards fired."""

    msix_id: str
    total: float
    zone: Zone  # after guards
    score: PairScore
    record: tuple[str, str]  # (state, state student id) of the best linked record
    guards: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    """Link, review or new; the target child; the ranked candidates with explanations."""

    zone: Zone
    msix_id: str | None  # the child to link to (link) or proposed (review); None for new
    total: float | None
    guards: tuple[str, ...]
    candidates: tuple[CandidateScore, ...] = field(default=())
    model: MatchModel | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: zone, target, total, guards and each shown candidate's comparisons."""
        return {
            "zone": self.zone.value,
            "msix_id": self.msix_id,
            "total": None if self.total is None else round(self.total, 3),
            "guards": list(self.guards),
            "thresholds": None
            if self.model is None
            else {"link": self.model.zones.link, "review": self.model.zones.review},
            "candidates": [
                {
                    "msix_id": c.msix_id,
                    "total": round(c.total, 3),
                    "probability": round(c.score.probability, 6),
                    "zone": c.zone.value,
                    "guards": list(c.guards),
                    "matched_record": {"state": c.record[0], "state_student_id": c.record[1]},
                    "comparisons": [] if self.model is None else self.model.explain(c.score),
                }
                for c in self.candidates
            ],
        }


class _Levels:
    """Indices of the levels the guards read, resolved once per model."""

    def __init__(self, model: MatchModel) -> None:
        by_name = {c.name: c for c in model.comparisons.comparisons}
        problems = []
        for name in ("first_name", "birth_date", "surname"):
            if name not in by_name:
                problems.append(error(IssueCode.REQUIRED, f"guards need comparison {name}"))
        if problems:
            raise ConfigurationError(problems)
        order = [c.name for c in model.comparisons.comparisons]
        self.first = order.index("first_name")
        self.birth = order.index("birth_date")
        self.surname = order.index("surname")
        names = {n: by_name[n].level_names for n in ("first_name", "birth_date", "surname")}
        self.given_agree = frozenset(
            i for i, n in enumerate(names["first_name"]) if n in GIVEN_AGREE
        )
        self.given_partial = frozenset(
            i for i, n in enumerate(names["first_name"]) if n in GIVEN_PARTIAL | GIVEN_ALIKE
        )
        self.given_missing = 0
        self.birth_agree = frozenset(
            i for i, n in enumerate(names["birth_date"]) if n in BIRTH_DATE_AGREE
        )
        self.surname_disagree = frozenset(
            i for i, n in enumerate(names["surname"]) if n in SURNAME_DISAGREE
        )
        middle = by_name.get("middle_name")  # optional: without it the middle-name rule is off
        self.middle = order.index("middle_name") if middle is not None else -1
        self.middle_disagree = frozenset(
            i for i, n in enumerate(middle.level_names if middle else ()) if n in MIDDLE_DISAGREE
        )


_LEVELS: weakref.WeakKeyDictionary[MatchModel, _Levels] = weakref.WeakKeyDictionary()


def _levels(model: MatchModel) -> _Levels:
    found = _LEVELS.get(model)
    if found is None:
        found = _LEVELS[model] = _Levels(model)
    return found


def _best(
    model: MatchModel, profile: Profile, child: ChildCandidate, floor: float
) -> tuple[PairScore | None, int]:
    best: PairScore | None = None
    at = -1
    for index, linked in enumerate(child.records):
        if not linked.active:
            continue
        if child.scores is not None:
            score = child.scores[index]
        else:
            bar = floor if best is None else max(floor, best.total)
            score = model.score_at_least(profile, linked.profile, bar)
        if score is not None and (best is None or score.total > best.total):
            best, at = score, index
    return best, at


def _sibling_signature(levels: _Levels, score: PairScore) -> bool:
    return (
        score.levels[levels.birth] in levels.birth_agree
        and score.levels[levels.surname] not in levels.surname_disagree
    )


def _given_differ(levels: _Levels, score: PairScore) -> bool:
    given = score.levels[levels.first]
    return (
        given not in levels.given_agree
        and given not in levels.given_partial
        and given != levels.given_missing
    )


def _middle_conflict(levels: _Levels, score: PairScore) -> bool:
    return levels.middle >= 0 and score.levels[levels.middle] in levels.middle_disagree


def _unknown_given(a: Profile, b: Profile) -> bool:
    # A given name of `a` (first or middle) that `b` holds in no form (nickname or formal) and
    # not as a likely misspelling either (Jaun, Juan).
    return any(
        canonical_names(name).isdisjoint(b.given_canon)
        and all(JaroWinkler.similarity(name, other) < TYPO_SIMILARITY for other in b.given_canon)
        for name in a.given_canon
    )


def _given_names_conflict(a: Profile, b: Profile) -> bool:
    """Each side holds a given name the other does not know: Juan Francisco and Luis Francisco,
    twins whom both records call Francisco. One side's extra name is no conflict (Juan Francisco
    and Francisco; Lupe and María Guadalupe)."""
    return _unknown_given(a, b) and _unknown_given(b, a)


def _guards(
    levels: _Levels,
    profile: Profile,
    child: ChildCandidate,
    score: PairScore,
    sibling_elsewhere: bool,
) -> tuple[str, ...]:
    fired: list[str] = []
    active = [linked for linked in child.records if linked.active]
    partial = (
        score.levels[levels.first] in levels.given_partial
        or _middle_conflict(levels, score)
        or any(_given_names_conflict(profile, linked.profile) for linked in active)
    )
    differ = _given_differ(levels, score)
    flagged = profile.multiple_birth is True or any(
        linked.profile.multiple_birth is True for linked in active
    )
    if ((partial or differ) and (flagged or sibling_elsewhere)) or (
        differ and _sibling_signature(levels, score)
    ):
        fired.append(Guard.TWIN_OR_SIBLING)
    if profile.state is not None and any(
        linked.state == profile.state
        and linked.state_student_id != profile.state_student_id
        and set(profile.ids).isdisjoint(linked.profile.ids)
        for linked in active
    ):
        fired.append(Guard.SAME_STATE_CONFLICT)
    if profile.placeholder_name or any(linked.profile.placeholder_name for linked in active):
        fired.append(Guard.PLACEHOLDER)
    return tuple(fired)


def decide(profile: Profile, candidates: Iterable[ChildCandidate], model: MatchModel) -> Decision:
    """Score `profile` against each candidate child, apply the guards, pick the zone."""
    levels = _levels(model)
    scored: list[tuple[PairScore, int, ChildCandidate]] = []
    for child in candidates:
        score, at = _best(model, profile, child, model.zones.review)
        if score is not None:
            scored.append((score, at, child))
    if not scored:
        return Decision(Zone.NEW, None, None, (), (), model)
    scored.sort(key=lambda item: (-item[0].total, item[2].msix_id))
    sibling_children = {
        child.msix_id
        for score, _, child in scored
        if _sibling_signature(levels, score)
        and _given_differ(levels, score)
        and score.total >= model.zones.review  # a plausible relative, not a stranger
    }
    results: list[CandidateScore] = []
    for score, at, child in scored:
        zone = model.zone(score.total)
        guards: tuple[str, ...] = ()
        if zone is not Zone.NEW:
            elsewhere = bool(sibling_children - {child.msix_id})
            guards = _guards(levels, profile, child, score, elsewhere)
            if guards and zone is Zone.LINK:
                zone = Zone.REVIEW
        linked = child.records[at]
        results.append(
            CandidateScore(
                child.msix_id,
                score.total,
                zone,
                score,
                (linked.state, linked.state_student_id),
                guards,
            )
        )
    top = results[0]
    linkable = [result for result in results if result.zone is Zone.LINK]
    if len(linkable) > 1:
        top = CandidateScore(
            top.msix_id, top.total, Zone.REVIEW, top.score, top.record, (*top.guards, "ambiguous")
        )
        results[0] = top
    zone = top.zone
    target = top.msix_id if zone is not Zone.NEW else None
    return Decision(zone, target, top.total, top.guards, tuple(results[:SHOWN_CANDIDATES]), model)
