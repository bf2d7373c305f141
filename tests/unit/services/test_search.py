"""Demographic search keys: partial queries reach the keys the engine gives full records."""

from __future__ import annotations

from datetime import date

import pytest

from hub.identity import blocking_keys, build_profile
from hub.services.search import DemographicQuery, search_keys

RECORD = {
    "first_name": "José Miguel",
    "last_name_1": "de la Cruz",
    "last_name_2": "Gonzales",
    "birth_date": "2013-04-09",
    "sex": "Male",
}
TODAY = date(2026, 11, 28)


def _keys(identity: dict[str, str]) -> set[str]:
    return set(search_keys(build_profile(identity), today=TODAY))


def test_names_without_a_birth_date_share_a_key_with_the_full_record() -> None:
    record_keys = set(blocking_keys(build_profile(RECORD)))
    query = _keys({"first_name": "Jose", "last_name_1": "Delacruz"})
    assert query & record_keys


def test_a_nickname_without_a_birth_date_shares_a_key_with_the_full_record() -> None:
    record_keys = set(blocking_keys(build_profile({**RECORD, "first_name": "Francisco"})))
    assert _keys({"first_name": "Paco", "last_name_1": "de la Cruz"}) & record_keys


def test_a_swapped_birth_date_gives_the_same_birth_date_keys() -> None:
    full = _keys({"last_name_1": "Cruz", "birth_date": "2013-04-09"})
    swapped = _keys({"last_name_1": "Cruz", "birth_date": "2013-09-04"})
    assert full == swapped


def test_a_child_born_too_long_ago_is_not_keyed_by_a_names_only_search() -> None:
    old = set(blocking_keys(build_profile({**RECORD, "birth_date": "1990-04-09"})))
    assert not _keys({"first_name": "Jose", "last_name_1": "de la Cruz"}) & old


@pytest.mark.parametrize(
    "query",
    [
        DemographicQuery(last_name_1="Cruz"),
        DemographicQuery(first_name="Jose"),
        DemographicQuery(sex="Male", birth_date=date(2013, 4, 9)),
    ],
)
def test_a_query_with_too_little_is_refused(query: DemographicQuery) -> None:
    assert query.problems()


def test_a_state_filter_must_be_a_state_code() -> None:
    query = DemographicQuery(first_name="Ana", last_name_1="Ruiz", state="Texas")
    assert [issue.location for issue in query.problems()] == ["state"]
