"""Estimating m and u from unlabelled records (what `msix identity train` runs).

u, the chance of each level among non-matching pairs, comes from random pairs: almost every
random pair of records is two different children. m and the prior come from expectation
maximisation over the candidate pairs blocking produces (u held fixed, as Splink does), counted
by distinct comparison vector so a million pairs cost a few thousand vector updates.
Levels with `fixed` m and u in comparisons.yaml are left as they are.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hub.identity.comparisons import ComparisonSet, load_comparisons
from hub.identity.normalize import Profile, metaphone
from hub.identity.scoring import LevelWeight, Weights

_FLOOR = 1e-6


@dataclass(frozen=True, slots=True)
class TrainingOptions:
    seed: int = 0
    random_pairs: int = 200_000
    max_block: int = 40  # larger blocks add pairs that are mostly non-matches, and time
    max_pairs: int = 2_000_000
    iterations: int = 60
    tolerance: float = 1e-6
    prior_start: float = 0.3


def _codes(names: Iterable[str]) -> set[str]:
    return {metaphone(name)[0] for name in names if name and " " not in name}


def _birth_date_keys(profile: Profile) -> set[str]:
    return {f"dob:{profile.birth_date.isoformat()}"} if profile.birth_date else set()


def _name_keys(profile: Profile) -> set[str]:
    return {
        f"nm:{g}:{s}" for g in _codes(profile.first_canon) for s in _codes(profile.surname_keys)
    }


@dataclass(frozen=True, slots=True)
class Session:
    """One EM session: pairs blocked on some fields, which it therefore cannot learn about."""

    name: str
    keys: Callable[[Profile], set[str]]
    excluded: frozenset[str]  # comparisons the blocking makes agree by construction


# As Splink trains: pairs sharing a birth date teach the name comparisons; pairs sharing a
# name teach the date. Each comparison's m is the mean over the sessions that can learn it.
SESSIONS: tuple[Session, ...] = (
    Session("birth_date", _birth_date_keys, frozenset({"birth_date"})),
    Session("names", _name_keys, frozenset({"first_name", "surname"})),
)


def blocked_pairs(
    profiles: Sequence[Profile],
    keys: Callable[[Profile], set[str]],
    options: TrainingOptions,
    rng: random.Random,
) -> set[tuple[int, int]]:
    """Distinct record pairs sharing a key; a block larger than `max_block` gives a sample."""
    blocks: dict[str, list[int]] = {}
    for index, profile in enumerate(profiles):
        for key in keys(profile):
            blocks.setdefault(key, []).append(index)
    seen: set[tuple[int, int]] = set()
    budget = options.max_block * (options.max_block - 1) // 2
    for members in blocks.values():
        if len(members) < 2:
            continue
        if len(members) <= options.max_block:
            pairs = [(a, b) for i, a in enumerate(members) for b in members[i + 1 :]]
        else:
            pairs = [_ordered(rng.sample(members, 2)) for _ in range(budget)]
        for pair in pairs:
            seen.add(pair)
            if len(seen) >= options.max_pairs:
                return seen
    return seen


def _ordered(pair: list[int]) -> tuple[int, int]:
    return (pair[0], pair[1]) if pair[0] < pair[1] else (pair[1], pair[0])


def _vectors(
    comparisons: ComparisonSet, profiles: Sequence[Profile], pairs: Iterable[tuple[int, int]]
) -> Counter[tuple[int, ...]]:
    return Counter(comparisons.levels(profiles[a], profiles[b]) for a, b in pairs)


def estimate_u(
    comparisons: ComparisonSet, profiles: Sequence[Profile], pairs: int, rng: random.Random
) -> list[list[float]]:
    """Per comparison and level, the share of random pairs at that level (null excluded)."""
    counts = [[0] * len(c.levels) for c in comparisons.comparisons]
    size = len(profiles)
    for _ in range(pairs if size > 1 else 0):
        a, b = rng.randrange(size), rng.randrange(size)
        if a == b:
            continue
        for c, level in enumerate(comparisons.levels(profiles[a], profiles[b])):
            counts[c][level] += 1
    return [_shares(row) for row in counts]


def _shares(row: Sequence[float]) -> list[float]:
    # Laplace smoothing keeps a level never seen among random pairs from an infinite weight.
    informative = [count + 1.0 for count in row[1:]]
    total = sum(informative)
    return [0.0, *(count / total for count in informative)]


def _initial_m(comparisons: ComparisonSet) -> list[list[float]]:
    rows = []
    for comparison in comparisons.comparisons:
        # Agreement levels come first: start with most of the mass on them.
        informative = len(comparison.levels) - 1
        raw = [0.0, *(0.5**i for i in range(informative))]
        raw[-1] = 0.02
        total = sum(raw)
        rows.append([value / total for value in raw])
    return rows


def expectation_maximisation(
    vectors: Counter[tuple[int, ...]],
    u: Sequence[Sequence[float]],
    m: list[list[float]],
    options: TrainingOptions,
    learnable: Sequence[bool],
) -> tuple[list[list[float]], float]:
    """m per level and the prior among candidate pairs, u held fixed."""
    prior = options.prior_start
    patterns = list(vectors.items())
    for _ in range(options.iterations):
        matched = [[0.0] * len(row) for row in m]
        total_match = total = 0.0
        for vector, count in patterns:
            log_m = log_u = 0.0
            for c, level in enumerate(vector):
                if level:
                    log_m += math.log(max(m[c][level], _FLOOR))
                    log_u += math.log(max(u[c][level], _FLOOR))
            odds = math.exp(min(log_m - log_u, 700.0)) * prior / (1.0 - prior)
            p = odds / (1.0 + odds)
            total_match += p * count
            total += count
            for c, level in enumerate(vector):
                matched[c][level] += p * count
        new_prior = min(max(total_match / total, 1e-6), 1 - 1e-6) if total else prior
        change = abs(new_prior - prior)
        for c, row in enumerate(matched):
            if not learnable[c]:
                continue
            shares = _shares(row)
            change = max(change, *(abs(a - b) for a, b in zip(shares, m[c], strict=True)))
            m[c] = shares
        prior = new_prior
        if change < options.tolerance:
            break
    return m, prior


def train(
    profiles: Sequence[Profile],
    comparisons: ComparisonSet | None = None,
    options: TrainingOptions | None = None,
) -> Weights:
    """Estimate m, u and the candidate-pair prior from unlabelled record profiles."""
    comparisons = comparisons or load_comparisons()
    options = options or TrainingOptions()
    rng = random.Random(options.seed)  # noqa: S311 - reproducible sampling, not secrets
    u = estimate_u(comparisons, profiles, options.random_pairs, rng)
    names = [c.name for c in comparisons.comparisons]
    fixed = [
        all(level.fixed is not None for level in c.levels[1:]) for c in comparisons.comparisons
    ]
    learned: list[list[list[float]]] = [[] for _ in names]
    priors: list[float] = []
    about: dict[str, Any] = {
        "method": "u from random pairs; m and prior by EM sessions (Splink style)",
        "records": len(profiles),
        "random_pairs": options.random_pairs,
        "seed": options.seed,
    }
    for session in SESSIONS:
        pairs = blocked_pairs(profiles, session.keys, options, rng)
        vectors = _vectors(comparisons, profiles, pairs)
        learnable = [not f and n not in session.excluded for f, n in zip(fixed, names, strict=True)]
        # A blocked-on comparison agrees by construction: its level says nothing in this session.
        masked: Counter[tuple[int, ...]] = Counter()
        for vector, count in vectors.items():
            masked[
                tuple(
                    v if ok or f else 0 for v, ok, f in zip(vector, learnable, fixed, strict=True)
                )
            ] += count
        m, prior = expectation_maximisation(masked, u, _initial_m(comparisons), options, learnable)
        priors.append(prior)
        about[f"session_{session.name}"] = {"pairs": len(pairs), "prior": round(prior, 6)}
        for c, ok in enumerate(learnable):
            if ok:
                learned[c].append(m[c])
    levels: dict[str, dict[str, LevelWeight]] = {}
    for c, comparison in enumerate(comparisons.comparisons):
        rows = learned[c] or [_initial_m(comparisons)[c]]
        m_row = [sum(row[i] for row in rows) / len(rows) for i in range(len(comparison.levels))]
        levels[comparison.name] = {
            level.name: LevelWeight(max(m_row[i], _FLOOR), max(u[c][i], _FLOOR))
            for i, level in enumerate(comparison.levels)
            if i and level.fixed is None
        }
    return Weights(priors[0], levels, about)
