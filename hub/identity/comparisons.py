"""Comparisons declared as data (data/comparisons.yaml) over a closed registry of level kinds.

A comparison is an ordered list of levels; the first level whose test holds for a pair of
profiles is the pair's level for that comparison. The first level is always a null level (no
evidence: weight 0) and the last an else level. Every problem in the file is collected and
reported at once, with its location, as a `ConfigurationError`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from operator import attrgetter
from pathlib import Path
from typing import Any, Final

import yaml
from rapidfuzz.distance import JaroWinkler

from hub.errors import ConfigurationError, Issue, IssueCode, error
from hub.identity.normalize import Profile

Test = Callable[[Profile, Profile], bool]


def first_level(tests: Sequence[Test], a: Profile, b: Profile) -> int:
    """The index of the first level whose test holds for the pair (a comparison's level)."""
    for index, test in enumerate(tests):
        if test(a, b):
            return index
    return len(tests) - 1  # unreachable: the last level is `else`


_FIELDS: Final = {field.name for field in dataclasses.fields(Profile)}
_TEXT_FIELDS: Final = {
    "first", "first_full", "middle", "last_1", "surname_full", "sex", "birth_city",
    "birth_country", "birth_state",
}  # fmt: skip
_SET_FIELDS: Final = {
    "ids", "first_canon", "given_canon", "first_mph", "surname_tokens", "surname_keys",
    "surname_mph", "parent_firsts", "parent_contacts",
}  # fmt: skip
_FROZENSET_FIELDS: Final = {
    field.name for field in dataclasses.fields(Profile) if str(field.type).startswith("frozenset")
}


@dataclass(frozen=True, slots=True)
class LevelKind:
    """A registered level test: its builder and the parameters it takes."""

    build: Callable[[Mapping[str, Any]], Test]
    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    field_kinds: frozenset[str] = frozenset()  # which Profile fields `field` may name
    doc: str = ""
    reads: tuple[str, ...] = ()  # Profile fields read besides `field` / `fields`


def _empty(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, tuple | frozenset) and not value)


# Level tests run for every candidate pair (hundreds of millions at a million children), so each
# is a small closure over `attrgetter` that reads only what it needs; Profile keeps empty text and
# empty token sets as None or empty, so falsiness is emptiness for them.
def _emptiness(field: str) -> Callable[[Profile], bool]:
    get = attrgetter(field)
    if field in _TEXT_FIELDS or field in _SET_FIELDS:
        return lambda p: not get(p)
    return lambda p: _empty(get(p))


def _null(params: Mapping[str, Any]) -> Test:
    empties = tuple(_emptiness(f) for f in params["fields"])
    if len(empties) == 1:
        only = empties[0]
        return lambda a, b: only(a) or only(b)
    if params.get("when", "any") == "all":
        return lambda a, b: all(e(a) for e in empties) or all(e(b) for e in empties)
    return lambda a, b: any(e(a) or e(b) for e in empties)


def _else(params: Mapping[str, Any]) -> Test:
    return lambda a, b: True


def _exact(params: Mapping[str, Any]) -> Test:
    get = attrgetter(params["field"])

    def test(a: Profile, b: Profile) -> bool:
        left = get(a)
        return left is not None and left == get(b)

    return test


def _overlap(params: Mapping[str, Any]) -> Test:
    field, least = params["field"], int(params.get("min_shared", 1))
    get = attrgetter(field)
    if least > 1:
        return lambda a, b: len(frozenset(get(a)).intersection(get(b))) >= least
    if field in _FROZENSET_FIELDS:
        return lambda a, b: not get(a).isdisjoint(get(b))
    return lambda a, b: not frozenset(get(a)).isdisjoint(get(b))


def _present(params: Mapping[str, Any]) -> Test:
    empty = _emptiness(params["field"])
    return lambda a, b: not empty(a) and not empty(b)


def _jaro_winkler(params: Mapping[str, Any]) -> Test:
    get, threshold = attrgetter(params["field"]), float(params["threshold"])
    similarity = JaroWinkler.similarity

    def test(a: Profile, b: Profile) -> bool:
        left, right = get(a), get(b)
        return bool(left and right) and similarity(left, right) >= threshold

    return test


def _jaro_winkler_tokens(params: Mapping[str, Any]) -> Test:
    get, threshold = attrgetter(params["field"]), float(params["threshold"])
    similarity = JaroWinkler.similarity

    def test(a: Profile, b: Profile) -> bool:
        rights = get(b)
        for left in get(a):
            for right in rights:
                if similarity(left, right) >= threshold:
                    return True
        return False

    return test


def _initial(params: Mapping[str, Any]) -> Test:
    get = attrgetter(params["field"])

    def test(a: Profile, b: Profile) -> bool:
        left, right = get(a), get(b)
        if not left or not right or (len(left) > 1 and len(right) > 1):
            return False
        return bool(left[0] == right[0])

    return test


def _equal_value(params: Mapping[str, Any]) -> Test:
    get, value = attrgetter(params["field"]), params["value"]
    return lambda a, b: get(a) == value and get(b) == value


def _dates(test: Callable[[date, date], bool]) -> Callable[[Mapping[str, Any]], Test]:
    def build(params: Mapping[str, Any]) -> Test:
        def compare(a: Profile, b: Profile) -> bool:
            left, right = a.birth_date, b.birth_date
            return left is not None and right is not None and test(left, right)

        return compare

    return build


def date_swapped(a: date, b: date) -> bool:
    """Day and month transposed (7 March vs 3 July), same year."""
    return a.year == b.year and a.month == b.day and a.day == b.month and a != b


def _digits_differing(left: int, right: int) -> int:
    count = 0
    while left or right:
        count += left % 10 != right % 10
        left, right = left // 10, right // 10
    return count


@functools.lru_cache(maxsize=262_144)  # date pairs repeat: birth dates are few, pairs blocked
def date_one_digit(a: date, b: date) -> bool:
    """One digit of YYYYMMDD differs, or one part is off by one (the 9th vs the 10th)."""
    parts = ((a.year, b.year), (a.month, b.month), (a.day, b.day))
    if sum(_digits_differing(x, y) for x, y in parts) == 1:
        return True
    differing = [abs(x - y) for x, y in parts if x != y]
    return differing == [1]


def date_year_digit_swap(a: date, b: date) -> bool:
    """Two adjacent digits of the year transposed (2013 vs 2031), month and day equal."""
    if a.month != b.month or a.day != b.day or a.year == b.year:
        return False
    left, right = f"{a.year:04d}", f"{b.year:04d}"
    at = [i for i in range(4) if left[i] != right[i]]
    return (
        len(at) == 2
        and at[1] == at[0] + 1
        and left[at[0]] == right[at[1]]
        and left[at[1]] == right[at[0]]
    )


def _within_days(params: Mapping[str, Any]) -> Test:
    days = int(params["days"])
    return _dates(lambda a, b: abs(a.toordinal() - b.toordinal()) <= days)(params)


def _same_state_other_id(params: Mapping[str, Any]) -> Test:
    def test(a: Profile, b: Profile) -> bool:
        return (
            a.state is not None
            and a.state == b.state
            and a.state_student_id is not None
            and b.state_student_id is not None
            and a.state_student_id != b.state_student_id
        )

    return test


_TEXT: Final = frozenset({"text"})
_SET: Final = frozenset({"set"})
_BIRTH_DATE: Final = ("birth_date",)
LEVEL_KINDS: Final[Mapping[str, LevelKind]] = {
    "null": LevelKind(
        _null, frozenset({"fields"}), frozenset({"when"}), doc="a field missing (any or all)"
    ),
    "else": LevelKind(_else, doc="every other pair"),
    "exact": LevelKind(_exact, frozenset({"field"}), field_kinds=_TEXT, doc="equal values"),
    "jaro_winkler": LevelKind(
        _jaro_winkler, frozenset({"field", "threshold"}), field_kinds=_TEXT, doc="JW ≥ threshold"
    ),
    "jaro_winkler_tokens": LevelKind(
        _jaro_winkler_tokens,
        frozenset({"field", "threshold"}),
        field_kinds=_SET,
        doc="some pair of tokens with JW ≥ threshold",
    ),
    "overlap": LevelKind(
        _overlap,
        frozenset({"field"}),
        frozenset({"min_shared"}),
        field_kinds=_SET,
        doc="at least `min_shared` (default 1) shared tokens",
    ),
    "present": LevelKind(
        _present,
        frozenset({"field"}),
        doc="both sides hold a value (placed after the agreeing levels: the values differ)",
    ),
    "nickname": LevelKind(
        _overlap, frozenset({"field"}), field_kinds=_SET, doc="nickname-equivalent given names"
    ),
    "metaphone": LevelKind(
        _overlap, frozenset({"field"}), field_kinds=_SET, doc="a shared Double Metaphone code"
    ),
    "initial": LevelKind(
        _initial, frozenset({"field"}), field_kinds=_TEXT, doc="an initial matching a name"
    ),
    "equal_value": LevelKind(
        _equal_value, frozenset({"field", "value"}), doc="both sides hold this value"
    ),
    "date_exact": LevelKind(_dates(lambda a, b: a == b), doc="same birth date", reads=_BIRTH_DATE),
    "date_swapped": LevelKind(
        _dates(date_swapped), doc="day and month transposed", reads=_BIRTH_DATE
    ),
    "date_one_digit": LevelKind(
        _dates(date_one_digit), doc="one digit or part off by one", reads=_BIRTH_DATE
    ),
    "date_year_digit_swap": LevelKind(
        _dates(date_year_digit_swap), doc="adjacent year digits transposed", reads=_BIRTH_DATE
    ),
    "date_within_days": LevelKind(
        _within_days, frozenset({"days"}), doc="dates N days apart", reads=_BIRTH_DATE
    ),
    "same_state_other_id": LevelKind(
        _same_state_other_id,
        doc="one state, two different state student ids",
        reads=("state", "state_student_id"),
    ),
}
_NULL_KINDS: Final = frozenset({"null"})


@dataclass(frozen=True, slots=True)
class Level:
    name: str
    kind: str
    test: Test
    fixed: tuple[float, float] | None  # (m, u) not learned by training
    fields: tuple[str, ...] = ()  # the Profile fields the test reads


@dataclass(frozen=True, slots=True)
class Comparison:
    """One field comparison: ordered levels, null first, else last."""

    name: str
    description: str
    levels: tuple[Level, ...]

    def level(self, a: Profile, b: Profile) -> int:
        """Index of the first level whose test holds for the pair."""
        for index, level in enumerate(self.levels):
            if level.test(a, b):
                return index
        return len(self.levels) - 1  # unreachable: the last level is `else`

    @property
    def level_names(self) -> tuple[str, ...]:
        return tuple(level.name for level in self.levels)

    @property
    def fields(self) -> tuple[str, ...]:
        """Every Profile field the levels read: the pair's level is a function of these alone."""
        return tuple(sorted({field for level in self.levels for field in level.fields}))


@dataclass(frozen=True, slots=True)
class Zones:
    """Match-weight thresholds: at or above `link` auto-links, at or above `review` is a near
    match, below is a new child."""

    link: float
    review: float


@dataclass(frozen=True, slots=True)
class ComparisonSet:
    comparisons: tuple[Comparison, ...]
    zones: Zones

    def levels(self, a: Profile, b: Profile) -> tuple[int, ...]:
        return tuple(comparison.level(a, b) for comparison in self.comparisons)


def _field_issues(kind: LevelKind, level: Mapping[str, Any], where: str) -> list[Issue]:
    issues: list[Issue] = []
    names = list(level.get("fields", [])) if "fields" in kind.required else []
    if "field" in level:
        names.append(level["field"])
    for name in names:
        if name not in _FIELDS:
            issues.append(error(IssueCode.VALUE, f"unknown profile field {name!r}", where))
        elif kind.field_kinds == _TEXT and name not in _TEXT_FIELDS:
            issues.append(error(IssueCode.VALUE, f"field {name!r} is not a text field", where))
        elif kind.field_kinds == _SET and name not in _SET_FIELDS:
            issues.append(error(IssueCode.VALUE, f"field {name!r} is not a token set", where))
    least = level.get("min_shared", 1)
    if not isinstance(least, int) or isinstance(least, bool) or least < 1:
        issues.append(
            error(IssueCode.VALUE, f"min_shared {least!r} is not a whole number >= 1", where)
        )
    threshold = level.get("threshold")
    if threshold is not None and not (
        isinstance(threshold, int | float) and 0.0 < float(threshold) <= 1.0
    ):
        issues.append(error(IssueCode.VALUE, f"threshold {threshold!r} not in (0, 1]", where))
    if level.get("when", "any") not in ("any", "all"):
        issues.append(error(IssueCode.VALUE, "`when` must be any or all", where))
    return issues


def _fixed(level: Mapping[str, Any], where: str, issues: list[Issue]) -> tuple[float, float] | None:
    fixed = level.get("fixed")
    if fixed is None:
        return None
    if not isinstance(fixed, Mapping) or set(fixed) != {"m", "u"}:
        issues.append(error(IssueCode.STRUCTURE, "`fixed` needs exactly m and u", where))
        return None
    m, u = fixed["m"], fixed["u"]
    if not all(isinstance(p, int | float) and 0.0 < float(p) <= 1.0 for p in (m, u)):
        issues.append(error(IssueCode.VALUE, "fixed m and u must be in (0, 1]", where))
        return None
    return float(m), float(u)


def _level(raw: object, where: str, issues: list[Issue]) -> Level | None:
    if not isinstance(raw, Mapping):
        issues.append(error(IssueCode.STRUCTURE, "a level must be a mapping", where))
        return None
    name, kind_name = raw.get("name"), raw.get("kind")
    found = len(issues)
    if not isinstance(name, str) or not name:
        issues.append(error(IssueCode.REQUIRED, "a level needs a name", where))
    kind = LEVEL_KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        known = ", ".join(sorted(LEVEL_KINDS))
        issues.append(error(IssueCode.CODE_INVALID, f"unknown kind {kind_name!r} ({known})", where))
        return None
    params = set(raw) - {"name", "kind", "fixed"}
    for missing in sorted(kind.required - params):
        issues.append(error(IssueCode.REQUIRED, f"kind {kind_name} needs `{missing}`", where))
    for extra in sorted(params - kind.required - kind.optional):
        issues.append(error(IssueCode.STRUCTURE, f"kind {kind_name} takes no `{extra}`", where))
    if not kind.required - params:
        issues.extend(_field_issues(kind, raw, where))
    fixed = _fixed(raw, where, issues)
    if len(issues) > found:
        return None
    fields = [*raw.get("fields", ()), *([raw["field"]] if "field" in raw else ()), *kind.reads]
    return Level(str(name), str(kind_name), kind.build(raw), fixed, tuple(dict.fromkeys(fields)))


def _comparison(raw: object, where: str, issues: list[Issue]) -> Comparison | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
        issues.append(error(IssueCode.STRUCTURE, "a comparison needs a name and levels", where))
        return None
    where = f"{where}({raw['name']})"
    raw_levels = raw.get("levels")
    if not isinstance(raw_levels, list) or len(raw_levels) < 3:
        issues.append(error(IssueCode.STRUCTURE, "at least null, one level and else", where))
        return None
    found = len(issues)
    levels = [_level(level, f"{where}.levels[{i}]", issues) for i, level in enumerate(raw_levels)]
    kinds = [level.get("kind") if isinstance(level, Mapping) else None for level in raw_levels]
    if kinds[0] not in _NULL_KINDS:
        issues.append(error(IssueCode.INVARIANT, "the first level must be a null level", where))
    if kinds[-1] != "else":
        issues.append(error(IssueCode.INVARIANT, "the last level must be else", where))
    for i, kind in enumerate(kinds[1:-1], start=1):
        if kind in _NULL_KINDS or kind == "else":
            issues.append(error(IssueCode.INVARIANT, f"{kind} only first/last", f"{where}[{i}]"))
    names = [level.get("name") for level in raw_levels if isinstance(level, Mapping)]
    if len(set(names)) != len(names):
        issues.append(error(IssueCode.DUPLICATE, "level names must be unique", where))
    if len(issues) > found:
        return None
    return Comparison(
        raw["name"], str(raw.get("description", "")), tuple(lv for lv in levels if lv)
    )


def _zones(raw: object, issues: list[Issue]) -> Zones:
    if not isinstance(raw, Mapping) or not all(
        isinstance(raw.get(key), int | float) for key in ("link", "review")
    ):
        issues.append(error(IssueCode.REQUIRED, "zones need numeric link and review", "zones"))
        return Zones(0.0, 0.0)
    if raw["review"] > raw["link"]:
        issues.append(error(IssueCode.INVARIANT, "review threshold above link", "zones"))
    return Zones(float(raw["link"]), float(raw["review"]))


def parse_comparisons(document: object, source: str = "comparisons.yaml") -> ComparisonSet:
    """Build and check a comparison set; raise one `ConfigurationError` listing every problem."""
    issues: list[Issue] = []
    if not isinstance(document, Mapping) or not isinstance(document.get("comparisons"), list):
        raise ConfigurationError(
            [error(IssueCode.STRUCTURE, "expected a mapping with a comparisons list", source)]
        )
    zones = _zones(document.get("zones"), issues)
    comparisons = [
        _comparison(raw, f"comparisons[{i}]", issues)
        for i, raw in enumerate(document["comparisons"])
    ]
    names = [c.name for c in comparisons if c is not None]
    if len(set(names)) != len(names):
        issues.append(error(IssueCode.DUPLICATE, "comparison names must be unique", source))
    if issues:
        raise ConfigurationError([issue.at(source) for issue in issues])
    return ComparisonSet(tuple(c for c in comparisons if c is not None), zones)


def load_comparisons(path: Path | None = None) -> ComparisonSet:
    """The comparison set from `path`, or the packaged default."""
    if path is None:
        return _default_comparisons()
    return parse_comparisons(yaml.safe_load(path.read_text("utf-8")), str(path))


@functools.lru_cache(maxsize=1)
def _default_comparisons() -> ComparisonSet:
    text = resources.files("hub.identity").joinpath("data/comparisons.yaml").read_text("utf-8")
    return parse_comparisons(yaml.safe_load(text))


def level_names(comparisons: Sequence[Comparison]) -> dict[str, tuple[str, ...]]:
    return {comparison.name: comparison.level_names for comparison in comparisons}
