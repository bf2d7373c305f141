"""True migratory families: parents, children (twins included) and where they lived when.

Everything here is ground truth. What states record of it, with their errors, is built later
from these facts, so the same child can be recognised across the records it produces.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from hub.synth import _names, _places
from hub.synth._health import ChildHealth, child_health

FAMILY_SIZE_WEIGHTS: Final = ((1, 30), (2, 28), (3, 22), (4, 13), (5, 7))
# Families with a multiple birth: above the population rate on purpose, so the twin pitfall
# (same surname and birth date, different first names: DOMAIN §6) is measurable in small runs.
TWIN_FAMILY_RATE: Final = 0.06
TRIPLET_FAMILY_RATE: Final = 0.006
SEASON_COUNT_WEIGHTS: Final = ((1, 25), (2, 30), (3, 25), (4, 20))
FIRST_SEASON: Final = 2016
LAST_SEASON: Final = 2024
START_AT_HOME_RATE: Final = 0.7
SAME_RECEIVER_AGAIN_RATE: Final = 0.7
SECOND_LEG_RATE: Final = 0.15
SETTLE_RATE: Final = 0.12
QUALIFYING_RETURN_RATE: Final = 0.5
BORN_ABROAD_RATE: Final = {"hispanic": 0.35, "haitian": 0.5, "filipino": 0.4, "vietnamese": 0.3}
HELD_BACK_RATE: Final = 0.12
LEAVES_SCHOOL_RATE: Final = 0.15
IEP_RATE: Final = 0.12
LEP_RATE: Final = {"english": 0.02}
LEP_RATE_DEFAULT: Final = 0.55
SINGLE_MOTHER_RATE: Final = 0.18
SINGLE_FATHER_RATE: Final = 0.04
YOUNGEST_AGE: Final = 3  # a migratory child is 3-21 (DOMAIN §9)
MAX_CHILDREN: Final = max(size for size, _ in FAMILY_SIZE_WEIGHTS)

_DOMESTIC_VERIFICATION: Final = (("1004", 80), ("1006", 5), ("1010", 15))
_ABROAD_VERIFICATION: Final = (("1003", 20), ("1004", 40), ("1008", 20), ("1013", 10), ("1007", 10))


@dataclass(frozen=True, slots=True)
class Stay:
    """A stretch of residence in one town, entered by a move from the previous home."""

    state: str
    town: str
    start: date
    end: date
    qualifying: bool
    from_town: str
    from_state: str | None
    from_country: str


@dataclass(frozen=True, slots=True)
class Contact:
    name: _names.PersonName
    email: str | None
    phone: str | None


@dataclass(frozen=True, slots=True)
class TrueChild:
    child_id: str
    name: _names.PersonName
    sex: str
    birth_date: date
    birth_town: str
    birth_state: str | None
    birth_country: str
    birth_verification: str
    birth_set: int  # 1 single, 2 twin, 3 triplet
    held_back: int
    leaves_school_at: int
    lep: bool
    iep: bool
    ability: float  # drives assessment scores and course grades
    health: ChildHealth


@dataclass(frozen=True, slots=True)
class Family:
    family_id: str
    origin: str
    home_state: str
    parents: tuple[Contact, ...]
    children: tuple[TrueChild, ...]
    stays: tuple[Stay, ...]


def _weighted(rng: random.Random, pairs: tuple[tuple[int, int], ...]) -> int:
    return rng.choices([value for value, _ in pairs], [weight for _, weight in pairs])[0]


def _on_or_after(rng: random.Random, year: int, month: int, day: int, spread: int) -> date:
    return date(year, month, day) + timedelta(days=rng.randint(0, spread))


def _itinerary(
    rng: random.Random, stream: _places.Stream, origin: str, home_town: str
) -> tuple[Stay, ...]:
    seasons = _weighted(rng, SEASON_COUNT_WEIGHTS)
    first = rng.randint(FIRST_SEASON, LAST_SEASON - seasons + 1)
    home = stream.home
    # (state, town, arrival, qualifying) in order; each stay ends a few days before the next.
    arrivals: list[tuple[str, str, date, bool]] = []
    if rng.random() < START_AT_HOME_RATE:
        arrivals.append((home, home_town, _on_or_after(rng, first - 1, 9, 1, 80), True))
    receiver = ""
    for season in range(first, first + seasons):
        if not receiver or rng.random() >= SAME_RECEIVER_AGAIN_RATE:
            receiver = rng.choices(stream.receivers, stream.receiver_weights)[0]
        town = _other_town(rng, receiver, home_town)
        arrivals.append((receiver, town, _on_or_after(rng, season, 4, 15, 60), True))
        second = [s for s in stream.receivers if s not in (receiver, home)]
        if second and rng.random() < SECOND_LEG_RATE:
            leg = rng.choice(second)
            town = rng.choice(_places.STATES[leg].towns)
            arrivals.append((leg, town, _on_or_after(rng, season, 7, 15, 35), True))
        if season == first + seasons - 1 and rng.random() < SETTLE_RATE:
            break
        seen_home = any(state == home for state, *_ in arrivals)
        qualifying = not seen_home or rng.random() < QUALIFYING_RETURN_RATE
        arrivals.append((home, home_town, _on_or_after(rng, season, 9, 15, 65), qualifying))
    # The history ends at the close of the school year after the last arrival.
    final_end = _on_or_after(rng, arrivals[-1][2].year + 1, 5, 1, 50)
    from_state: str | None
    if arrivals[0][0] == home and _names.abroad_places(origin) and rng.random() < 0.5:
        from_town, from_country = rng.choice(_names.abroad_places(origin))
        from_state = None
    elif arrivals[0][0] == home:
        # The stop before the history began: a receiving state, or another town at home.
        from_state = rng.choice(stream.receivers)
        from_town, from_country = _other_town(rng, from_state, home_town), "USA"
    else:
        from_state, from_town, from_country = home, home_town, "USA"
    stays: list[Stay] = []
    for index, (state, town, arrival, qualifying) in enumerate(arrivals):
        end = (
            arrivals[index + 1][2] - timedelta(days=rng.randint(2, 5))
            if index + 1 < len(arrivals)
            else final_end
        )
        stays.append(
            Stay(state, town, arrival, end, qualifying, from_town, from_state, from_country)
        )
        from_town, from_state, from_country = town, state, "USA"
    return tuple(stays)


def _other_town(rng: random.Random, state: str, home_town: str) -> str:
    towns = [town for town in _places.STATES[state].towns if town != home_town]
    return rng.choice(towns)


def _contact(rng: random.Random, name: _names.PersonName, area_code: str) -> Contact:
    # 555-01xx numbers and example.com addresses are reserved for fiction: never a real person.
    phone = f"{area_code}55501{rng.randint(0, 99):02d}" if rng.random() < 0.8 else None
    handle = _names.fold_accents(f"{name.first}.{name.last_1}").lower().replace(" ", "")
    email = f"{handle}{rng.randint(1, 99)}@example.com" if rng.random() < 0.35 else None
    return Contact(name, email, phone)


def build_family(
    rng: random.Random,
    index: int,
    streams: tuple[tuple[_places.Stream, ...], tuple[int, ...]],
) -> Family:
    """The true family number `index`; `rng` must be seeded for this family alone."""
    family_id = f"F{index:08d}"
    origin = _names.pick_origin(rng)
    stream = rng.choices(streams[0], streams[1])[0]
    home_town = rng.choice(_places.STATES[stream.home].towns)
    stays = _itinerary(rng, stream, origin, home_town)
    names = _names.family_names(rng, origin)
    area_code = _places.STATES[stream.home].area_code
    roll = rng.random()
    parents = (
        (names.mother,)
        if roll < SINGLE_MOTHER_RATE
        else (names.father,)
        if roll < SINGLE_MOTHER_RATE + SINGLE_FATHER_RATE
        else (names.father, names.mother)
    )
    contacts = tuple(_contact(rng, parent, area_code) for parent in parents)
    children = _children(rng, family_id, names, stream, stays)
    return Family(family_id, origin, stream.home, contacts, children, stays)


def _birth_sets(rng: random.Random) -> list[int]:
    size = _weighted(rng, FAMILY_SIZE_WEIGHTS)
    sets = [1] * size
    roll = rng.random()
    if size >= 3 and roll < TRIPLET_FAMILY_RATE:
        sets = [1] * (size - 3)
        sets.insert(rng.randint(0, len(sets)), 3)
    elif size >= 2 and roll < TWIN_FAMILY_RATE:
        sets = [1] * (size - 2)
        sets.insert(rng.randint(0, len(sets)), 2)
    return sets


def _children(
    rng: random.Random,
    family_id: str,
    names: _names.FamilyNames,
    stream: _places.Stream,
    stays: tuple[Stay, ...],
) -> tuple[TrueChild, ...]:
    sets = _birth_sets(rng)
    start, until = stays[0].start, stays[-1].end
    # Youngest first, then older siblings 1-3 years apart; the bound keeps the oldest under 22
    # on the first day of the history, so every child has at least one eligible stay.
    age = rng.randint(YOUNGEST_AGE, 17 - 2 * (len(sets) - 1))
    children: list[TrueChild] = []
    taken: list[str] = []
    for birth_set in sets:
        birth_date = start - timedelta(days=int(age * 365.25) + rng.randint(5, 360))
        born_abroad = rng.random() < BORN_ABROAD_RATE.get(names.origin, 0.0)
        if born_abroad and _names.abroad_places(names.origin):
            birth_town, country = rng.choice(_names.abroad_places(names.origin))
            birth_state: str | None = None
            verification = _weighted_code(rng, _ABROAD_VERIFICATION)
        else:
            birth_state = rng.choice((stream.home, stream.home, *stream.receivers))
            birth_town, country = rng.choice(_places.STATES[birth_state].towns), "USA"
            verification = _weighted_code(rng, _DOMESTIC_VERIFICATION)
        # A twin set shares birth date, place and parents: only sex and first names differ.
        for _ in range(birth_set):
            sex = rng.choice(("Female", "Male"))
            name = _names.child_name(rng, names, sex, tuple(taken))
            taken.append(name.first)
            slot = len(children)
            children.append(
                TrueChild(
                    child_id=f"{family_id}-{slot + 1}",
                    name=name,
                    sex=sex,
                    birth_date=birth_date,
                    birth_town=birth_town,
                    birth_state=birth_state,
                    birth_country=country,
                    birth_verification=verification,
                    birth_set=birth_set,
                    held_back=1 if rng.random() < HELD_BACK_RATE else 0,
                    leaves_school_at=(
                        rng.randint(16, 18) if rng.random() < LEAVES_SCHOOL_RATE else 99
                    ),
                    lep=rng.random() < LEP_RATE.get(names.origin, LEP_RATE_DEFAULT),
                    iep=rng.random() < IEP_RATE,
                    ability=rng.gauss(0.0, 1.0),
                    health=child_health(rng, birth_date, until),
                )
            )
        age += rng.randint(1, 3)
    return tuple(children)


def _weighted_code(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([code for code, _ in pairs], [weight for _, weight in pairs])[0]
