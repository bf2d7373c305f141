"""Every level of every shipped comparison, reached by a pair built for it (table-driven)."""

from __future__ import annotations

from typing import Any

import pytest

from hub.errors import ConfigurationError
from hub.identity import load_comparisons, parse_comparisons
from hub.identity.comparisons import date_one_digit, date_swapped, date_year_digit_swap
from tests.unit.identity.conftest import MakeProfile

COMPARISONS = load_comparisons()
_OTHER_PARENT = [{"first_name": "Ana", "last_name": "Soto"}]

# (comparison, left changes, right changes, expected level); unchanged fields are BASE's.
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("first_name", {"first_name": "BABY GIRL", "middle_name": None}, {}, "missing"),
    ("first_name", {}, {}, "exact"),
    ("first_name", {"first_name": "María Guadalupe", "middle_name": None}, {}, "exact"),
    ("first_name", {"first_name": "Lupe", "middle_name": None}, {}, "nickname"),
    ("first_name", {"middle_name": "Guadalope"}, {}, "jaro_winkler_92"),
    ("first_name", {"first_name": "María", "middle_name": None}, {}, "given_name_shared"),
    ("first_name", {"first_name": "Kuatalupe", "middle_name": None}, {}, "metaphone"),
    ("first_name", {"first_name": "Guadalajara", "middle_name": None}, {}, "jaro_winkler_80"),
    ("first_name", {"first_name": "Sofía", "middle_name": None}, {}, "different"),
    ("middle_name", {"middle_name": None}, {}, "missing"),
    ("middle_name", {}, {"middle_name": "GUADALUPE"}, "exact"),
    ("middle_name", {"middle_name": "G"}, {}, "initial"),
    ("middle_name", {"middle_name": "Guadalupa"}, {}, "jaro_winkler_90"),
    ("middle_name", {"middle_name": "Fernanda"}, {}, "different"),
    ("surname", {"last_name_1": "UNKNOWN", "last_name_2": None}, {}, "missing"),
    ("surname", {}, {}, "exact"),
    ("surname", {"last_name_1": "Delacruz"}, {}, "token_shared"),
    ("surname", {"last_name_1": "de la Cruz Hernández", "last_name_2": None}, {}, "exact"),
    ("surname", {"last_name_2": None}, {}, "last_name_1_exact"),
    ("surname", {"last_name_1": "de la Crux"}, {}, "jaro_winkler_94"),
    ("surname", {"last_name_1": "Hernández", "last_name_2": "López"}, {}, "token_shared"),
    ("surname", {"last_name_1": "Cruz", "last_name_2": None}, {"last_name_2": None}, "exact"),
    ("surname", {"last_name_1": "Krus", "last_name_2": None}, {}, "metaphone"),
    ("surname", {"last_name_1": "Hernandex", "last_name_2": None}, {}, "token_jaro_winkler_88"),
    ("surname", {"last_name_1": "Smith", "last_name_2": None}, {}, "different"),
    ("birth_date", {"birth_date": None}, {}, "missing"),
    ("birth_date", {"birth_date": "2014-01-01"}, {}, "missing"),
    ("birth_date", {}, {}, "exact"),
    ("birth_date", {"birth_date": "2014-07-03"}, {}, "day_month_swapped"),
    ("birth_date", {"birth_date": "2014-03-08"}, {}, "one_digit_off"),
    ("birth_date", {"birth_date": "2015-03-07"}, {}, "one_digit_off"),
    ("birth_date", {"birth_date": "2041-03-07"}, {}, "year_digits_swapped"),
    ("birth_date", {"birth_date": "2014-04-01"}, {}, "within_40_days"),
    ("birth_date", {"birth_date": "2013-11-20"}, {}, "different"),
    ("sex", {"sex": None}, {}, "missing"),
    ("sex", {}, {}, "exact"),
    ("sex", {"sex": "Male"}, {}, "different"),
    ("multiple_birth", {"multiple_birth": None}, {}, "missing"),
    ("multiple_birth", {"multiple_birth": True}, {"multiple_birth": True}, "both_yes"),
    ("multiple_birth", {}, {}, "both_no"),
    ("multiple_birth", {"multiple_birth": True}, {}, "different"),
    ("parents", {"parents": []}, {}, "missing"),
    ("parents", {}, {}, "both_first_names_shared"),
    # Parents' surnames are not compared: they are the child's, which `surname` counts already.
    (
        "parents",
        {},
        {"parents": [{"first_name": "Jorge"}, {"first_name": "Rocio"}]},
        "both_first_names_shared",
    ),
    (
        "parents",
        {"parents": [{"first_name": "Jorge", "last_name": "Soto"}]},
        {},
        "first_name_shared",
    ),
    (
        "parents",
        {"parents": [{"first_name": "Jorge"}, {"first_name": "Ana"}]},
        {},
        "first_name_shared",
    ),
    ("parents", {"parents": _OTHER_PARENT}, {}, "different"),
    ("parent_contacts", {"parents": _OTHER_PARENT}, {}, "missing"),
    ("parent_contacts", {}, {}, "shared"),
    ("parent_contacts", {"parents": [{**_OTHER_PARENT[0], "phone": "9565550101"}]}, {}, "shared"),
    (
        "parent_contacts",
        {"parents": [{**_OTHER_PARENT[0], "phone": "5555550199"}]},
        {},
        "different",
    ),
    ("birthplace", {"birth_city": None, "birth_country": None}, {}, "missing"),
    ("birthplace", {}, {"birth_city": "WESLACO"}, "city_exact"),
    ("birthplace", {"birth_city": "Weslacco"}, {}, "city_jaro_winkler_90"),
    # Two known, unlike cities are evidence against; a missing city is only no evidence.
    ("birthplace", {"birth_city": "Pharr"}, {}, "city_different"),
    ("birthplace", {"birth_city": "Zamora", "birth_country": "MEX"}, {}, "city_different"),
    ("birthplace", {"birth_city": None}, {}, "country_exact"),
    ("birthplace", {"birth_city": None, "birth_country": "MEX"}, {}, "different"),
    ("state_ids", {"state": None, "sid": None}, {}, "missing"),
    (
        "state_ids",
        {"state": "WA", "sid": "WA1", "alternate_ids": [{"state": "TX", "value": "TX0000000001"}]},
        {},
        "id_shared",
    ),
    ("state_ids", {"sid": "TX0000000002"}, {}, "same_state_other_id"),
    ("state_ids", {"state": "WA", "sid": "WA1"}, {}, "other_state"),
]


def _profile_args(changes: dict[str, Any]) -> dict[str, Any]:
    args = dict(changes)
    if "state" in args:
        args["state"] = args["state"]
    return args


@pytest.mark.parametrize(
    ("comparison", "left", "right", "expected"),
    CASES,
    ids=[f"{c}-{e}-{i}" for i, (c, _, _, e) in enumerate(CASES)],
)
def test_pair_reaches_expected_level(
    profile: MakeProfile,
    comparison: str,
    left: dict[str, Any],
    right: dict[str, Any],
    expected: str,
) -> None:
    by_name = {c.name: c for c in COMPARISONS.comparisons}
    found = by_name[comparison]
    a, b = profile(**_profile_args(left)), profile(**_profile_args(right))
    assert found.level_names[found.level(a, b)] == expected
    # Comparisons are symmetric: the order of arrival must not change the level.
    assert found.level_names[found.level(b, a)] == expected


def test_every_shipped_level_has_a_case() -> None:
    covered = {(comparison, level) for comparison, _, _, level in CASES}
    shipped = {(c.name, level) for c in COMPARISONS.comparisons for level in c.level_names}
    assert shipped - covered == set()


def test_every_comparison_starts_with_null_and_ends_with_else() -> None:
    for comparison in COMPARISONS.comparisons:
        assert comparison.levels[0].kind == "null"
        assert comparison.levels[-1].kind == "else"


def _document(levels: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "zones": {"link": 10, "review": 2},
        "comparisons": [{"name": "first_name", "levels": levels}],
        **extra,
    }


def test_loader_reports_every_problem_at_once() -> None:
    document = _document(
        [
            {"name": "exact", "kind": "exact", "field": "first"},  # null must come first
            {"name": "jw", "kind": "jaro_winkler", "field": "first", "threshold": 1.5},
            {"name": "bad", "kind": "soundex", "field": "first"},
            {"name": "nofield", "kind": "exact", "field": "shoe_size"},
            {"name": "setfield", "kind": "overlap", "field": "first"},
            {"name": "missing_param", "kind": "jaro_winkler", "field": "first"},
        ]
    )
    document["zones"] = {"link": 1, "review": 5}
    with pytest.raises(ConfigurationError) as raised:
        parse_comparisons(document)
    messages = " | ".join(issue.message for issue in raised.value.issues)
    for expected in (
        "first level must be a null level",
        "last level must be else",
        "threshold 1.5",
        "unknown kind 'soundex'",
        "unknown profile field 'shoe_size'",
        "not a token set",
        "needs `threshold`",
        "review threshold above link",
    ):
        assert expected in messages
    assert len(raised.value.issues) >= 8
    assert all(issue.location for issue in raised.value.issues)


def test_loader_rejects_duplicate_level_names_and_unknown_parameters() -> None:
    document = _document(
        [
            {"name": "missing", "kind": "null", "fields": ["first"]},
            {"name": "same", "kind": "exact", "field": "first", "colour": "red"},
            {"name": "same", "kind": "exact", "field": "first_full"},
            {"name": "else", "kind": "else"},
        ]
    )
    with pytest.raises(ConfigurationError) as raised:
        parse_comparisons(document)
    messages = " | ".join(issue.message for issue in raised.value.issues)
    assert "takes no `colour`" in messages
    assert "level names must be unique" in messages


def test_loader_accepts_a_minimal_valid_document() -> None:
    parsed = parse_comparisons(
        _document(
            [
                {"name": "missing", "kind": "null", "fields": ["first"]},
                {"name": "exact", "kind": "exact", "field": "first"},
                {"name": "different", "kind": "else"},
            ]
        )
    )
    assert parsed.comparisons[0].level_names == ("missing", "exact", "different")
    assert parsed.zones.link == 10


@pytest.mark.parametrize(
    ("left", "right", "swapped", "one_digit", "year_swap"),
    [
        ("2014-03-07", "2014-07-03", True, False, False),
        ("2014-03-03", "2014-03-03", False, False, False),
        ("2014-03-07", "2014-03-09", False, True, False),
        ("2014-03-09", "2014-03-10", False, True, False),
        ("2013-03-07", "2031-03-07", False, False, True),
        ("2014-03-07", "2016-03-07", False, True, False),
        ("2014-03-07", "2015-04-07", False, False, False),
    ],
)
def test_date_helpers(
    left: str, right: str, swapped: bool, one_digit: bool, year_swap: bool
) -> None:
    from datetime import date

    a, b = date.fromisoformat(left), date.fromisoformat(right)
    assert date_swapped(a, b) is swapped
    assert date_one_digit(a, b) is one_digit
    assert date_year_digit_swap(a, b) is year_swap


@pytest.mark.parametrize("least", [0, -1, "two", 1.5, True])
def test_loader_rejects_a_min_shared_that_is_not_a_whole_number(least: object) -> None:
    document = _document(
        [
            {"name": "missing", "kind": "null", "fields": ["first"]},
            {"name": "two", "kind": "overlap", "field": "given_canon", "min_shared": least},
            {"name": "different", "kind": "else"},
        ]
    )
    with pytest.raises(ConfigurationError) as raised:
        parse_comparisons(document)
    assert "min_shared" in raised.value.issues[0].message


# The fields a comparison reads: its level is a function of them alone (the screen relies on it).
FIELDS: list[tuple[str, tuple[str, ...]]] = [
    ("first_name", ("first", "first_canon", "first_mph", "given_canon")),
    ("middle_name", ("middle",)),
    ("birth_date", ("birth_date",)),
    ("parents", ("parent_firsts",)),
    ("parent_contacts", ("parent_contacts",)),
    ("birthplace", ("birth_city", "birth_country")),
    ("state_ids", ("ids", "state", "state_student_id")),
]


@pytest.mark.parametrize(("comparison", "fields"), FIELDS)
def test_comparison_names_the_profile_fields_its_levels_read(
    comparison: str, fields: tuple[str, ...]
) -> None:
    by_name = {c.name: c for c in COMPARISONS.comparisons}
    assert by_name[comparison].fields == fields
