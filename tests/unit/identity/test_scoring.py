from __future__ import annotations

import math
from pathlib import Path

import pytest

from hub.errors import ConfigurationError
from hub.identity import MatchModel, Weights, Zone, load_comparisons, load_model, load_weights
from hub.identity.scoring import LevelWeight, write_weights
from tests.unit.identity.conftest import MakeProfile


def test_packaged_model_loads_and_orders_its_zones() -> None:
    model = load_model()
    assert model.zones.link > model.zones.review
    assert model.zone(model.zones.link) is Zone.LINK
    assert model.zone(model.zones.link - 0.01) is Zone.REVIEW
    assert model.zone(model.zones.review - 0.01) is Zone.NEW


def test_match_weight_is_prior_plus_sum_of_log2_m_over_u(profile: MakeProfile) -> None:
    model = load_model()
    score = model.score(profile(), profile(birth_date="2014-07-03"))
    assert score.total == pytest.approx(model.prior_weight + sum(score.weights))
    weights = load_weights()
    comparisons = model.comparisons.comparisons
    for comparison, level, weight in zip(comparisons, score.levels, score.weights, strict=True):
        found = comparison.levels[level]
        if level == 0:
            assert weight == 0.0
        elif found.fixed is None:
            trained = weights.levels[comparison.name][found.name]
            assert weight == pytest.approx(math.log2(trained.m / trained.u))


def test_weights_missing_a_level_fail_at_load_with_every_problem() -> None:
    weights = load_weights()
    broken = {name: dict(levels) for name, levels in weights.levels.items()}
    del broken["first_name"]["exact"]
    broken["sex"]["exact"] = LevelWeight(1.5, 0.1)
    with pytest.raises(ConfigurationError) as raised:
        MatchModel(load_comparisons(), Weights(weights.prior, broken, {}))
    locations = {issue.location for issue in raised.value.issues}
    assert locations == {"weights.comparisons.first_name.exact", "weights.comparisons.sex.exact"}


def test_weights_round_trip_through_json(tmp_path: Path) -> None:
    weights = load_weights()
    write_weights(weights, tmp_path / "weights.json")
    assert load_weights(tmp_path / "weights.json") == weights


def test_agreement_outweighs_disagreement_in_packaged_weights() -> None:
    model = load_model()
    for comparison, row in zip(model.comparisons.comparisons, model.level_weights, strict=True):
        names = comparison.level_names
        if "exact" in names:
            assert row[names.index("exact")] > 0 > row[-1] or comparison.name == "state_ids"


# (changes to one side, floor): score_at_least gives the full score when the pair reaches the
# floor and None when it cannot; the total never depends on the floor.
FLOORS: list[tuple[dict[str, object], float]] = [
    ({}, 8.0),
    ({}, 22.0),
    ({"birth_date": "2014-07-03"}, 8.0),
    ({"first_name": "Sofía", "middle_name": None, "birth_date": "2011-10-02"}, 8.0),
    ({"first_name": "Sofía", "middle_name": None, "birth_date": "2011-10-02"}, -100.0),
    ({"last_name_1": "Smith", "last_name_2": None, "birth_city": "Pharr", "parents": []}, 8.0),
]


@pytest.mark.parametrize(("changes", "floor"), FLOORS)
def test_score_at_least_is_the_score_or_none_below_the_floor(
    profile: MakeProfile, changes: dict[str, object], floor: float
) -> None:
    model = load_model()
    a, b = profile(state="TX", sid="TX1"), profile(state="WA", sid="WA1", **changes)
    full = model.score(a, b)
    found = model.score_at_least(a, b, floor)
    if full.total >= floor:
        assert found == full
    else:
        assert found is None
