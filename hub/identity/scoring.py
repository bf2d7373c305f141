"""Fellegi-Sunter scoring: per-level m and u (data/weights.json) turned into match weights.

A pair's match weight is log2 of the prior odds plus, for each comparison, log2(m/u) of the
level the pair falls in (0 for the null level: no evidence). m is the share of true pairs at that
level, u the share of non-pairs; both are estimated by `hub.identity.train`. The total sits in
one of three zones (comparisons.yaml): link, review (near match) or new.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Final

from hub.errors import ConfigurationError, Issue, IssueCode, error
from hub.identity.comparisons import Comparison, ComparisonSet, first_level, load_comparisons
from hub.identity.normalize import Profile

# m or u of 0 would make a weight infinite: one typo could then veto a match on its own.
_FLOOR: Final = 1e-6


class Zone(StrEnum):
    LINK = "link"
    REVIEW = "review"
    NEW = "new"


@dataclass(frozen=True, slots=True)
class LevelWeight:
    m: float
    u: float

    @property
    def weight(self) -> float:
        return math.log2(max(self.m, _FLOOR) / max(self.u, _FLOOR))


@dataclass(frozen=True, slots=True)
class Weights:
    """Trained parameters: the prior probability that a candidate pair matches, m and u."""

    prior: float
    levels: Mapping[str, Mapping[str, LevelWeight]]  # comparison → level → (m, u)
    about: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "about": dict(self.about),
            "prior": self.prior,
            "comparisons": {
                name: {level: {"m": w.m, "u": w.u} for level, w in levels.items()}
                for name, levels in self.levels.items()
            },
        }


@dataclass(frozen=True, slots=True)
class PairScore:
    """The levels of one pair, their weights and the total (prior included)."""

    levels: tuple[int, ...]
    weights: tuple[float, ...]
    total: float

    @property
    def probability(self) -> float:
        return 1.0 / (1.0 + 2.0 ** (-self.total)) if self.total > -60 else 0.0


# Slack for pruning bounds: running totals sum in another order than `PairScore.total`.
BOUND_SLACK: Final = 1e-9


class _Plan:
    """One comparison compiled for scoring: its level tests, weights, place in the pruning order."""

    __slots__ = ("at", "rest", "row", "tests")

    def __init__(self, at: int, comparison: Comparison, row: tuple[float, ...]) -> None:
        self.at = at
        self.row = row
        self.tests = tuple(level.test for level in comparison.levels)
        self.rest = 0.0  # best weight still reachable after this comparison


class MatchModel:
    """Comparisons, trained weights and zones, compiled for fast scoring."""

    def __init__(self, comparisons: ComparisonSet, weights: Weights) -> None:
        check_weights(comparisons, weights)
        self.comparisons = comparisons
        self.weights = weights
        self.zones = comparisons.zones
        self.prior_weight = math.log2(weights.prior / (1.0 - weights.prior))
        table: list[tuple[float, ...]] = []
        for comparison in comparisons.comparisons:
            row = [0.0]
            for level in comparison.levels[1:]:
                m, u = level.fixed or (
                    weights.levels[comparison.name][level.name].m,
                    weights.levels[comparison.name][level.name].u,
                )
                row.append(LevelWeight(m, u).weight)
            table.append(tuple(row))
        self._table = tuple(table)
        plans = [
            _Plan(at, comparison, row)
            for at, (comparison, row) in enumerate(zip(comparisons.comparisons, table, strict=True))
        ]
        # Pruning order: the comparisons that can move the total most come first, so a hopeless
        # pair is abandoned after few of them.
        plans.sort(key=lambda plan: -(max(plan.row) - min(plan.row)))
        for index, plan in enumerate(plans):
            plan.rest = sum(max(later.row) for later in plans[index + 1 :])
        self._plans = tuple(plans)
        self._best_total = self.prior_weight + sum(max(row) for row in table)

    @property
    def level_weights(self) -> tuple[tuple[float, ...], ...]:
        """Per comparison (in order), the weight of each level (0 for the null level)."""
        return self._table

    def score(self, a: Profile, b: Profile) -> PairScore:
        found = self.score_at_least(a, b, float("-inf"))
        assert found is not None
        return found

    def score_at_least(self, a: Profile, b: Profile, floor: float) -> PairScore | None:
        """The pair's score, or None as soon as it can no longer reach `floor`.

        Comparisons run in pruning order; after each, the total so far plus the best weight the
        remaining comparisons could add is an upper bound, and a pair whose bound falls below
        `floor` is dropped: most candidates of a record are strangers sharing a name or a date.
        """
        if self._best_total < floor:
            return None
        levels = [0] * len(self._plans)
        running = self.prior_weight
        for plan in self._plans:
            level = first_level(plan.tests, a, b)
            levels[plan.at] = level
            running += plan.row[level]
            if running + plan.rest < floor - BOUND_SLACK:
                return None
        weights = tuple(row[level] for row, level in zip(self._table, levels, strict=True))
        return PairScore(tuple(levels), weights, self.prior_weight + sum(weights))

    def zone(self, total: float) -> Zone:
        if total >= self.zones.link:
            return Zone.LINK
        if total >= self.zones.review:
            return Zone.REVIEW
        return Zone.NEW

    def explain(self, score: PairScore) -> list[dict[str, Any]]:
        """Per comparison: its name, the level reached and that level's weight."""
        return [
            {
                "comparison": comparison.name,
                "level": comparison.levels[index].name,
                "weight": round(weight, 3),
            }
            for comparison, index, weight in zip(
                self.comparisons.comparisons, score.levels, score.weights, strict=True
            )
        ]


def check_weights(comparisons: ComparisonSet, weights: Weights) -> None:
    """Every learnable level has m and u in (0, 1]; raise once with every problem."""
    issues: list[Issue] = []
    if not 0.0 < weights.prior < 1.0:
        issues.append(error(IssueCode.VALUE, "prior must be in (0, 1)", "prior"))
    for comparison in comparisons.comparisons:
        trained = weights.levels.get(comparison.name, {})
        for level in comparison.levels[1:]:
            if level.fixed is not None:
                continue
            where = f"comparisons.{comparison.name}.{level.name}"
            found = trained.get(level.name)
            if found is None:
                issues.append(error(IssueCode.REQUIRED, "no trained m and u", where))
            elif not (0.0 < found.m <= 1.0 and 0.0 < found.u <= 1.0):
                issues.append(error(IssueCode.VALUE, "m and u must be in (0, 1]", where))
    if issues:
        raise ConfigurationError([issue.at("weights") for issue in issues])


def parse_weights(document: object) -> Weights:
    if not isinstance(document, Mapping) or not isinstance(document.get("comparisons"), Mapping):
        raise ConfigurationError("weights: expected a mapping with prior and comparisons")
    levels = {
        str(name): {
            str(level): LevelWeight(float(values["m"]), float(values["u"]))
            for level, values in raw.items()
        }
        for name, raw in document["comparisons"].items()
    }
    return Weights(float(document.get("prior", 0.0)), levels, dict(document.get("about", {})))


def load_weights(path: Path | None = None) -> Weights:
    """Weights from `path`, or the packaged defaults trained on synthetic data."""
    if path is None:
        text = resources.files("hub.identity").joinpath("data/weights.json").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return parse_weights(json.loads(text))


def write_weights(weights: Weights, path: Path) -> None:
    path.write_text(json.dumps(weights.to_json(), indent=1, sort_keys=False) + "\n", "utf-8")


@functools.lru_cache(maxsize=1)
def _default_model() -> MatchModel:
    return MatchModel(load_comparisons(), load_weights())


def load_model(
    comparisons_path: Path | None = None, weights_path: Path | None = None
) -> MatchModel:
    """The match model from files, or the packaged default (built once per process)."""
    if comparisons_path is None and weights_path is None:
        return _default_model()
    return MatchModel(load_comparisons(comparisons_path), load_weights(weights_path))
