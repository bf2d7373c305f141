"""States, farm towns, school calendars and migrant streams for synthetic families.

Owner: hub/synth. Last reviewed 2026-11. Towns are real agricultural towns on the well-known
streams (Texas to the Great Lakes and the Northwest, California up the coast, Florida up the East
Coast); districts, schools and ids built from them are synthetic. NCES-like ids keep the real
shape: a 7-digit LEA id starting with the state FIPS code, a 12-digit school id starting with the
LEA id, so the hub's id checks see realistic values.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class StateInfo:
    """What the generator needs to know about one state."""

    fips: str
    area_code: str
    towns: tuple[str, ...]
    district_suffix: str
    assessment: str
    # Month/day the regular term starts: Texas starts in mid-August, the North after Labor Day,
    # which decides whether a child arriving in late August is enrolled in a regular term.
    term_start: tuple[int, int]
    term_end: tuple[int, int]
    # 0828 semester almost everywhere; New York and New Jersey report full-year courses.
    term_type: str
    # Texas reports numeric grades, most others letters: both shapes reach the hub.
    percent_grades: bool
    id_prefix: str


# fmt: off
STATES: Final = {
    "TX": StateInfo("48", "956", ("Weslaco", "McAllen", "Edinburg", "Pharr", "Mission", "Donna",
                    "Eagle Pass", "Hereford", "Brownsville", "Rio Grande City"),
                    "ISD", "STAAR", (8, 19), (5, 29), "0828", True, ""),
    "CA": StateInfo("06", "831", ("Salinas", "Watsonville", "Fresno", "Delano", "Oxnard",
                    "Santa Maria", "Madera", "Coachella", "Stockton", "Arvin"),
                    "Unified School District", "CAASPP", (8, 14), (6, 6), "0828", False, ""),
    "FL": StateInfo("12", "239", ("Immokalee", "Homestead", "Belle Glade", "Plant City",
                    "Wimauma", "Apopka", "Dover"),
                    "School District", "FAST", (8, 12), (5, 30), "0828", False, "FL"),
    "WA": StateInfo("53", "509", ("Yakima", "Wenatchee", "Pasco", "Othello", "Mount Vernon",
                    "Sunnyside", "Brewster", "Quincy"),
                    "School District", "SBA", (9, 2), (6, 16), "0828", False, ""),
    "OR": StateInfo("41", "541", ("Hood River", "Woodburn", "Hermiston", "Medford", "Salem",
                    "Independence"),
                    "School District", "OSAS", (9, 3), (6, 12), "0828", False, ""),
    "MI": StateInfo("26", "616", ("Holland", "Sparta", "Hart", "Shelby", "Benton Harbor",
                    "Traverse City", "Coloma", "Fennville"),
                    "Public Schools", "M-STEP", (9, 3), (6, 12), "0828", False, ""),
    "OH": StateInfo("39", "419", ("Fremont", "Willard", "Celina", "Leipsic", "Ottawa",
                    "Bowling Green"),
                    "City Schools", "OST", (8, 21), (5, 28), "0828", False, "OH"),
    "IN": StateInfo("18", "574", ("Plymouth", "Vincennes", "Kokomo", "Decatur"),
                    "Community Schools", "ILEARN", (8, 7), (5, 23), "0828", False, ""),
    "MN": StateInfo("27", "320", ("Willmar", "Owatonna", "Crookston", "Moorhead",
                    "Montevideo"),
                    "Public Schools", "MCA", (9, 3), (6, 5), "0828", False, ""),
    "ID": StateInfo("16", "208", ("Caldwell", "Nampa", "Burley", "Rupert", "Twin Falls"),
                    "School District", "ISAT", (8, 21), (5, 29), "0828", False, "ID"),
    "AZ": StateInfo("04", "928", ("Yuma", "Somerton", "San Luis", "Casa Grande"),
                    "Elementary District", "AASA", (7, 24), (5, 22), "0828", False, ""),
    "NC": StateInfo("37", "910", ("Clinton", "Mount Olive", "Dunn", "Hendersonville", "Faison"),
                    "County Schools", "EOG", (8, 26), (6, 10), "0828", False, ""),
    "GA": StateInfo("13", "229", ("Tifton", "Moultrie", "Vidalia", "Valdosta", "Lyons"),
                    "County Schools", "Georgia Milestones", (8, 5), (5, 22), "0828", False, ""),
    "NY": StateInfo("36", "585", ("Albion", "Sodus", "Riverhead", "Goshen", "Williamson"),
                    "Central School District", "NYSTP", (9, 5), (6, 25), "0827", False, "N"),
    "PA": StateInfo("42", "610", ("Kennett Square", "Gettysburg", "Biglerville", "Hazleton"),
                    "Area School District", "PSSA", (8, 26), (6, 6), "0828", False, ""),
    "NJ": StateInfo("34", "856", ("Bridgeton", "Vineland", "Hammonton"),
                    "Public Schools", "NJSLA", (9, 5), (6, 20), "0827", False, ""),
}

# Home-base state → (weight, receiving states with weights). A receiving state equal to the home
# state is an intrastate move (Weslaco to Hereford), which gives single-state children.
STREAMS: Final = (
    ("TX", 30, (("MI", 4), ("OH", 3), ("WA", 2), ("IN", 2), ("MN", 2), ("ID", 1), ("TX", 2))),
    ("CA", 33, (("OR", 3), ("WA", 3), ("CA", 2), ("ID", 1), ("AZ", 1))),
    ("FL", 18, (("NC", 3), ("GA", 3), ("NY", 2), ("MI", 1), ("PA", 1), ("NJ", 1), ("FL", 1))),
    ("WA", 6, (("OR", 2), ("CA", 1), ("ID", 1), ("WA", 1))),
    ("OR", 4, (("WA", 3), ("CA", 2), ("OR", 1))),
    ("AZ", 4, (("CA", 3), ("AZ", 1))),
    ("GA", 3, (("NC", 1), ("FL", 1), ("GA", 1))),
)
# fmt: on

ELEMENTARY_NAMES: Final = ("Lincoln", "César Chávez", "Dolores Huerta", "Riverside", "Sunrise")


@dataclass(frozen=True, slots=True)
class Stream:
    """A home base and the states its families travel to for seasonal work."""

    home: str
    receivers: tuple[str, ...]
    receiver_weights: tuple[int, ...]


def streams_for(states: tuple[str, ...]) -> tuple[tuple[Stream, ...], tuple[int, ...]]:
    """The streams restricted to `states`, with their weights.

    A home outside `states` drops the stream; receivers outside it are dropped. If nothing is left
    (an unusual subset), every chosen state becomes a home base travelling to the others.
    """
    chosen = set(states)
    streams: list[Stream] = []
    weights: list[int] = []
    for home, weight, receivers in STREAMS:
        kept = tuple((state, w) for state, w in receivers if state in chosen)
        if home in chosen and kept:
            streams.append(Stream(home, tuple(s for s, _ in kept), tuple(w for _, w in kept)))
            weights.append(weight)
    if not streams:
        for home in states:
            others = tuple(s for s in states if s != home) or (home,)
            streams.append(Stream(home, others, tuple(1 for _ in others)))
            weights.append(1)
    return tuple(streams), tuple(weights)


def _stable_number(text: str, modulus: int) -> int:
    # crc32, not hash(): Python's str hash is salted per process and would break determinism.
    return zlib.crc32(text.encode()) % modulus


@functools.lru_cache(maxsize=1024)
def district_id(state: str, town: str) -> str:
    """A 7-digit NCES-shaped LEA id: state FIPS + 5 digits derived from the town."""
    return STATES[state].fips + f"{_stable_number(f'{state}:{town}', 100_000):05d}"


def district_name(state: str, town: str) -> str:
    return f"{town} {STATES[state].district_suffix}"


@functools.lru_cache(maxsize=4096)  # a few hundred towns x levels: bounded and hot
def school(state: str, town: str, level: str, variant: int) -> tuple[str, str]:
    """(12-digit NCES-shaped school id, school name) for a school level in a town."""
    if level == "elementary":
        name = f"{ELEMENTARY_NAMES[variant % len(ELEMENTARY_NAMES)]} Elementary School"
    else:
        name = f"{town} {level.capitalize()} School"
    number = _stable_number(f"{state}:{town}:{name}", 100_000)
    return district_id(state, town) + f"{number:05d}", name


REGION_SIZE = 4  # towns per synthetic region


def regions(state: str) -> dict[str, str]:
    """A synthetic region declaration for a state: district id -> "Region N", the state's towns
    taken in order, `REGION_SIZE` to a region (what `msix regions load` reads, as a mapping)."""
    return {
        district_id(state, town): f"Region {index // REGION_SIZE + 1}"
        for index, town in enumerate(STATES[state].towns)
    }
