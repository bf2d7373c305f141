"""Blocking keys: the strings the store indexes so candidates are found without scanning.

Two records of one child must share at least one key despite the pitfalls of DOMAIN.md §6, while
a key's block stays small. Day and month are always written in sorted order, so a transposed
birth date gives the same key; surnames and given names enter as Double Metaphone codes, so
spelling slips, accents and particles do not split a block; nicknames enter as their formal name.

- `bd:<year>:<day-month sorted>:<surname code>`: birth date (or its transposition) and a surname
- `bg:<year>:<day-month sorted>:<given code>`: birth date and the effective given name
- `sg:<surname code>:<given code>:<year>`: names and birth year (a day or month off by one)
- `sm:<surname code>:<given code>:<day-month sorted>`: names and day-month (the year off by one)

A child's keys are the union of its linked records' keys (`child_keys`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from hub.identity.normalize import Profile, canonical_names, metaphone, surname_keys

MAX_SURNAME_CODES = 4
MAX_GIVEN_CODES = 4


def _day_month(born: date) -> str:
    low, high = sorted((born.day, born.month))
    return f"{low:02d}{high:02d}"


def _primary_codes(names: Iterable[str], limit: int) -> list[str]:
    codes = sorted({metaphone(name)[0] for name in names if name and " " not in name})
    return codes[:limit]


def _given_codes(profile: Profile) -> list[str]:
    # The effective name and the first written token: "José Miguel" is keyed as miguel and jose.
    names = set(profile.first_canon)
    if profile.first_full:
        names |= canonical_names(profile.first_full.split()[0])
    return _primary_codes(names, MAX_GIVEN_CODES)


def blocking_keys(profile: Profile) -> list[str]:
    """Every blocking key of one record, sorted and without duplicates."""
    surnames = _primary_codes(profile.surname_keys, MAX_SURNAME_CODES)
    givens = [] if profile.placeholder_name else _given_codes(profile)
    _, last_1_keys = surname_keys(profile.last_1)
    paternal = _primary_codes(last_1_keys, 2) or surnames[:2]
    keys: set[str] = set()
    born = profile.birth_date
    if born is not None:
        day_month = _day_month(born)
        keys.update(f"bd:{born.year}:{day_month}:{code}" for code in surnames)
        keys.update(f"bg:{born.year}:{day_month}:{code}" for code in givens)
        keys.update(f"sm:{s}:{g}:{day_month}" for s in paternal for g in givens)
    if profile.birth_year is not None:
        keys.update(f"sg:{s}:{g}:{profile.birth_year}" for s in paternal for g in givens)
    return sorted(keys)


def child_keys(profiles: Iterable[Profile]) -> list[str]:
    """A child's keys: the union over its linked records (what `students.blocking_keys` holds)."""
    keys: set[str] = set()
    for profile in profiles:
        keys.update(blocking_keys(profile))
    return sorted(keys)
