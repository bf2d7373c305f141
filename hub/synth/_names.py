"""True names of synthetic families, following each community's naming customs.

The customs matter because they are what the matcher has to survive: Hispanic children carry the
father's first surname then the mother's; Filipino children carry the mother's maiden name as
their middle name; Somali children carry the father's given name as their surname.
"""

from __future__ import annotations

import functools
import itertools
import random
import unicodedata
from dataclasses import dataclass
from typing import Final

from hub.synth import _name_tables as tables

# Share of families by name origin: Hispanic families are the large majority of migrant children;
# the rest keep the fairness figures (recall by name origin, DOMAIN §6) measurable.
ORIGIN_WEIGHTS: Final = (
    ("hispanic", 80),
    ("english", 9),
    ("haitian", 3),
    ("hmong", 2),
    ("filipino", 2),
    ("vietnamese", 2),
    ("somali", 2),
)
PARTICLE_SURNAME_RATE: Final = 0.08
HYPHENATED_SURNAME_RATE: Final = 0.03
COMPOUND_GIVEN_NAME_RATE: Final = 0.3
MIDDLE_NAME_RATE: Final = {"hispanic": 0.25, "english": 0.75}
VIETNAMESE_MIDDLE: Final = {"Male": ("Van", "Duc", "Minh"), "Female": ("Thi", "Ngoc", "Kim")}


class _Ranked:
    """Names drawn with weight 1/(rank+2): a Zipf-like skew without a frequency column."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.cum_weights = tuple(
            itertools.accumulate(1.0 / (rank + 2) for rank in range(len(names)))
        )

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.names, cum_weights=self.cum_weights)[0]


_ORIGINS: Final = tuple(origin for origin, _ in ORIGIN_WEIGHTS)
_ORIGIN_CUM: Final = tuple(itertools.accumulate(weight for _, weight in ORIGIN_WEIGHTS))
_GIVEN: Final = {
    ("hispanic", "Male"): _Ranked(tables.HISPANIC_MALE),
    ("hispanic", "Female"): _Ranked(tables.HISPANIC_FEMALE),
    ("english", "Male"): _Ranked(tables.ENGLISH_MALE),
    ("english", "Female"): _Ranked(tables.ENGLISH_FEMALE),
} | {
    (origin, sex): _Ranked(names[sex])
    for origin, names in tables.OTHER_ORIGINS.items()
    for sex in ("Male", "Female")
}
_SURNAMES: Final = (
    {"hispanic": _Ranked(tables.HISPANIC_SURNAMES)}
    | {"english": _Ranked(tables.ENGLISH_SURNAMES)}
    | {origin: _Ranked(names["surnames"]) for origin, names in tables.OTHER_ORIGINS.items()}
)


@dataclass(frozen=True, slots=True)
class PersonName:
    """A true name; `last_2` is the second (maternal) surname where the custom has one."""

    first: str
    middle: str | None
    last_1: str
    last_2: str | None


@dataclass(frozen=True, slots=True)
class FamilyNames:
    """Both parents' names and the surnames and middle-name rule their children inherit."""

    origin: str
    father: PersonName
    mother: PersonName
    child_last_1: str
    child_last_2: str | None
    # Filipino custom: the mother's maiden surname is every child's middle name.
    child_middle: str | None


@functools.lru_cache(maxsize=8192)  # names repeat endlessly; the cache is bounded
def fold_accents(text: str) -> str:
    """ "Zúñiga" → "Zuniga": what an ASCII-only state system keeps of a name."""
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )


def abroad_places(origin: str) -> tuple[tuple[str, str], ...]:
    """(town, ISO alpha-3 country) a family of this origin may have come from."""
    return tables.ORIGIN_ABROAD[origin]


def pick_origin(rng: random.Random) -> str:
    return rng.choices(_ORIGINS, cum_weights=_ORIGIN_CUM)[0]


def _surname(rng: random.Random, origin: str) -> str:
    if origin == "hispanic":
        roll = rng.random()
        if roll < PARTICLE_SURNAME_RATE:
            return rng.choice(tables.HISPANIC_PARTICLE_SURNAMES)
        if roll < PARTICLE_SURNAME_RATE + HYPHENATED_SURNAME_RATE:
            return rng.choice(tables.HISPANIC_HYPHENATED_SURNAMES)
    return _SURNAMES[origin].pick(rng)


def _given(rng: random.Random, origin: str, sex: str) -> str:
    return _GIVEN[(origin, sex)].pick(rng)


def _adult(rng: random.Random, origin: str, sex: str) -> PersonName:
    first = _given(rng, origin, sex)
    if origin == "hispanic":
        return PersonName(first, None, _surname(rng, origin), _surname(rng, origin))
    middle = _given(rng, origin, sex) if origin == "english" and rng.random() < 0.5 else None
    return PersonName(first, middle, _surname(rng, origin), None)


def family_names(rng: random.Random, origin: str) -> FamilyNames:
    father = _adult(rng, origin, "Male")
    mother = _adult(rng, origin, "Female")
    if origin == "hispanic":
        return FamilyNames(origin, father, mother, father.last_1, mother.last_1, None)
    if origin == "english" and rng.random() < 0.7:
        # Most mothers take the husband's surname; the rest keep their own.
        mother = PersonName(mother.first, mother.middle, father.last_1, None)
    if origin == "somali":
        # Patronymic: the child's surname is the father's given name, the father's surname is
        # his own father's given name, so siblings share a surname their father does not carry.
        father = PersonName(father.first, None, _given(rng, origin, "Male"), None)
        return FamilyNames(origin, father, mother, father.first, None, None)
    middle = mother.last_1 if origin == "filipino" else None
    return FamilyNames(origin, father, mother, father.last_1, None, middle)


def child_name(
    rng: random.Random, family: FamilyNames, sex: str, taken: tuple[str, ...]
) -> PersonName:
    """A child's true name; `taken` holds siblings' first names so twins never share one."""
    origin = family.origin
    first = _given(rng, origin, sex)
    middle = family.child_middle
    if origin == "hispanic" and rng.random() < COMPOUND_GIVEN_NAME_RATE:
        first = rng.choice(tables.HISPANIC_DEVOTIONAL[sex])
        middle = _given(rng, origin, sex)
    elif origin == "vietnamese":
        middle = rng.choice(VIETNAMESE_MIDDLE[sex])
    elif rng.random() < MIDDLE_NAME_RATE.get(origin, 0.0):
        middle = _given(rng, origin, sex)
    # Bounded retries keep a tiny table (Hmong has ten names a sex) from looping forever.
    for _ in range(20):
        if first not in taken and middle != first:
            break
        first = _given(rng, origin, sex)
    else:
        first = next(name for name in _GIVEN[(origin, sex)].names if name not in taken)
    if middle == first:
        middle = None
    return PersonName(first, middle, family.child_last_1, family.child_last_2)
