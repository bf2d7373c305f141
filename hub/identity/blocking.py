"""Blocking keys: the strings the store indexes so candidates are found without scanning.

Two records of one child must share at least one key despite the pitfalls of DOMAIN.md §6, while
a key's block stays small. Day and month are always written in sorted order, so a transposed
birth date gives the same key; surnames and given names enter as Double Metaphone codes, so
spelling slips, accents and particles do not split a block; nicknames enter as their formal name.

- `bd:<year>:<day-month sorted>:<surname code>`: birth date (or its transposition) and a surname
- `bg:<year>:<day-month sorted>:<given code>`: birth date and the effective given name
- `sy:<surname code>:<given code>:<year>:m<month>` and `...:d<day>`: names, year and month (the
  day off by one) or names, year and day (the month off by one)
- `sm:<surname code>:<given code>:<day-month sorted>`: names and day-month (the year off by one)

A record whose birth date is a placeholder keeps only its year: it is written under `sy` keys for
all twelve months of that year, so a record of the same child with the full date still shares one.
Names and year alone (no month) would make a block grow with the whole population: at a million
children "García, José, 2012" holds hundreds of children, and each must be scored.

A child's keys are the union of its linked records' keys (`child_keys`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date

from hub.identity.normalize import Profile, canonical_names, metaphone, surname_keys

MAX_SURNAME_CODES = 4
MAX_GIVEN_CODES = 4
_MONTHS = range(1, 13)


def _day_month(born: date) -> str:
    low, high = sorted((born.day, born.month))
    return f"{low:02d}{high:02d}"


def _primary_codes(names: Iterable[str], limit: int) -> list[str]:
    codes = sorted({metaphone(name)[0] for name in names if name and " " not in name})
    return codes[:limit]


# Names repeat across records: their codes are found once (the caches hold a few MB).
@functools.lru_cache(maxsize=65_536)
def _given_codes(first_canon: frozenset[str], first_full: str | None) -> tuple[str, ...]:
    # The effective name and the first written token: "José Miguel" is keyed as miguel and jose.
    names = set(first_canon)
    if first_full:
        names |= canonical_names(first_full.split()[0])
    return tuple(_primary_codes(names, MAX_GIVEN_CODES))


@functools.lru_cache(maxsize=65_536)
def _surname_codes(
    surname_codes: frozenset[str], last_1: str | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    surnames = _primary_codes(surname_codes, MAX_SURNAME_CODES)
    _, last_1_keys = surname_keys(last_1)
    paternal = _primary_codes(last_1_keys, 2) or surnames[:2]
    return tuple(surnames), tuple(paternal)


def blocking_keys(profile: Profile) -> list[str]:
    """Every blocking key of one record, sorted and without duplicates."""
    surnames, paternal = _surname_codes(profile.surname_keys, profile.last_1)
    givens = (
        () if profile.placeholder_name else _given_codes(profile.first_canon, profile.first_full)
    )
    born, birth_year = profile.birth_date, profile.birth_year
    keys: set[str] = set()
    if born is not None:
        day_month = _day_month(born)
        keys.update(f"bd:{born.year}:{day_month}:{code}" for code in surnames)
        keys.update(f"bg:{born.year}:{day_month}:{code}" for code in givens)
        keys.update(f"sm:{s}:{g}:{day_month}" for s in paternal for g in givens)
        names = [f"sy:{s}:{g}:{born.year}" for s in paternal for g in givens]
        keys.update(f"{name}:m{born.month}" for name in names)
        keys.update(f"{name}:d{born.day}" for name in names)
    elif birth_year is not None:
        keys.update(name_year_keys(paternal, givens, birth_year))
    return sorted(keys)


def name_year_keys(surnames: Iterable[str], givens: Iterable[str], year: int) -> list[str]:
    """The keys that find any record with these surname and given-name codes born in `year`,
    whatever its month: one per month (what a search by names without a birth date asks for)."""
    return [f"sy:{s}:{g}:{year}:m{month}" for s in surnames for g in givens for month in _MONTHS]


def child_keys(profiles: Iterable[Profile]) -> list[str]:
    """A child's keys: the union over its linked records (what `students.blocking_keys` holds)."""
    keys: set[str] = set()
    for profile in profiles:
        keys.update(blocking_keys(profile))
    return sorted(keys)
