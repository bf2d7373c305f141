"""How one state's copy of a child's identity differs from the truth, and from other states'.

Every rate lives here, named, so a matching experiment can be rerun with noisier or cleaner data.
The kinds of variation are the pitfalls of DOMAIN §6: nicknames, two surnames and particles,
hyphens, dropped accents, typos, swapped day and month, one-digit-off dates, missing fields,
middle names that disagree, and the occasional placeholder record. Each record's truth row lists
the variations applied to it, so recall can be measured per pitfall.
"""

from __future__ import annotations

import itertools
import random
from datetime import date
from typing import Final

from hub.model import Identity, Parent, StudentId
from hub.synth._families import Contact, TrueChild
from hub.synth._name_tables import HISPANIC_DEVOTIONAL, NICKNAMES
from hub.synth._names import PersonName, fold_accents

# Per record, independently. Not measured from any state: tuned so that, with case and accents
# folded, exact first name + last name 1 + birth date agrees on a little over half of a child's
# cross-state record pairs, as DOMAIN §6 reports for real child data (a test holds the band).
NICKNAME_RATE: Final = 0.15
MIDDLE_NAME_DISAGREE_RATE: Final = 0.2
SECOND_SURNAME_MISSING_RATE: Final = 0.2
BOTH_SURNAMES_IN_FIRST_FIELD_RATE: Final = 0.08
SURNAMES_HYPHENATED_RATE: Final = 0.04
SURNAMES_SWAPPED_RATE: Final = 0.02
PARTICLE_CONCATENATED_RATE: Final = 0.15  # "de la Cruz" → "Delacruz"
PARTICLE_DROPPED_RATE: Final = 0.1  # "de la Cruz" → "Cruz"
HYPHEN_SPACE_RATE: Final = 0.3  # "Ruiz-Esparza" ↔ "Ruiz Esparza", "Jean-Baptiste" → "Jean Baptiste"
TYPO_RATE: Final = 0.05
ACCENTS_DROPPED_RATE: Final = 0.5
UPPERCASE_RATE: Final = 0.25
DOB_DAY_MONTH_SWAP_RATE: Final = 0.03
DOB_ONE_DIGIT_RATE: Final = 0.02
MISSING_FIELD_RATE: Final = 0.06  # per optional field
PARENT_SECOND_SURNAME_RATE: Final = 0.5  # a Hispanic parent listed with both surnames
MULTIPLE_BIRTH_UNREPORTED_RATE: Final = 0.2  # a twin's flag sent as No
PLACEHOLDER_RATE: Final = 0.003

# Cumulative thresholds for the mutually exclusive slips of a two-surname name.
_TWO_SURNAME_SLIPS: Final = tuple(
    zip(
        itertools.accumulate(
            (
                SECOND_SURNAME_MISSING_RATE,
                BOTH_SURNAMES_IN_FIRST_FIELD_RATE,
                SURNAMES_HYPHENATED_RATE,
                SURNAMES_SWAPPED_RATE,
            )
        ),
        (
            "last_name_2_missing",
            "both_surnames_in_last_name_1",
            "surnames_hyphenated",
            "surnames_swapped",
        ),
        strict=True,
    )
)
_DEVOTIONAL: Final = frozenset(HISPANIC_DEVOTIONAL["Male"] + HISPANIC_DEVOTIONAL["Female"])
_PARTICLES: Final = ("de la ", "de los ", "del ", "de ")
_KEYBOARD: Final = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "q": "w", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc",
    "y": "tu", "z": "x",
}  # fmt: skip


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word
    at = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:  # neighbouring key
        near = _KEYBOARD.get(word[at].lower())
        return word[:at] + rng.choice(near) + word[at + 1 :] if near else word
    if kind == 1:  # transposition
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    if kind == 2:  # dropped letter
        return word[:at] + word[at + 1 :]
    return word[:at] + word[at] + word[at:]  # doubled letter


def _concatenate_particle(surname: str) -> str:
    return surname.replace(" ", "").capitalize()


def _surnames(
    rng: random.Random, last_1: str, last_2: str | None, tags: list[str]
) -> tuple[str, str | None]:
    if last_2 is not None:
        roll = rng.random()
        slip = next((tag for edge, tag in _TWO_SURNAME_SLIPS if roll < edge), None)
        if slip == "last_name_2_missing":
            last_2 = None
        elif slip == "both_surnames_in_last_name_1":
            last_1, last_2 = f"{last_1} {last_2}", None
        elif slip == "surnames_hyphenated":
            last_1, last_2 = f"{last_1}-{last_2}", None
        elif slip == "surnames_swapped":
            last_1, last_2 = last_2, last_1
        if slip is not None:
            tags.append(slip)
    if last_1.lower().startswith(_PARTICLES):
        roll = rng.random()
        if roll < PARTICLE_CONCATENATED_RATE:
            last_1 = _concatenate_particle(last_1)
            tags.append("particle_concatenated")
        elif roll < PARTICLE_CONCATENATED_RATE + PARTICLE_DROPPED_RATE:
            last_1 = last_1.rsplit(" ", 1)[-1]
            tags.append("particle_dropped")
    return last_1, last_2


def _given(rng: random.Random, name: PersonName, tags: list[str]) -> tuple[str, str | None]:
    first, middle = name.first, name.middle
    if rng.random() < NICKNAME_RATE:
        if first in _DEVOTIONAL and middle in NICKNAMES:
            # "María Guadalupe" goes by "Lupe": the nickname of the name she answers to.
            first, middle = rng.choice(NICKNAMES[middle]), None
            tags.append("nickname")
        elif first in NICKNAMES:
            first = rng.choice(NICKNAMES[first])
            tags.append("nickname")
    if middle is not None and rng.random() < MIDDLE_NAME_DISAGREE_RATE:
        # Joined into the given name, cut to an initial, or left out.
        kind = rng.randrange(3)
        if kind == 0:
            first, middle = f"{first} {middle}", None
        else:
            middle = middle[0] if kind == 1 else None
        tags.append("middle_name_disagrees")
    return first, middle


def _birth_date(rng: random.Random, true_date: date, tags: list[str]) -> date:
    roll = rng.random()
    if roll < DOB_DAY_MONTH_SWAP_RATE and true_date.day <= 12 and true_date.day != true_date.month:
        tags.append("dob_day_month_swap")
        return true_date.replace(month=true_date.day, day=true_date.month)
    if DOB_DAY_MONTH_SWAP_RATE <= roll < DOB_DAY_MONTH_SWAP_RATE + DOB_ONE_DIGIT_RATE:
        step = rng.choice((-1, 1))
        part = rng.choice(("day", "month", "year"))
        try:
            changed = (
                true_date.replace(day=true_date.day + step)
                if part == "day"
                else true_date.replace(month=true_date.month + step)
                if part == "month"
                else true_date.replace(year=true_date.year + step)
            )
        except ValueError:
            # The 31st plus one, month 13, 29 February: that slip would not pass a form either.
            return true_date
        tags.append("dob_one_digit")
        return changed
    return true_date


def _missing(rng: random.Random, value: object, tags: list[str]) -> bool:
    if value is None or rng.random() >= MISSING_FIELD_RATE:
        return False
    if "missing_fields" not in tags:
        tags.append("missing_fields")
    return True


def _parent(rng: random.Random, contact: Contact, style: _Style, tags: list[str]) -> Parent:
    name = contact.name
    last = name.last_1
    if name.last_2 is not None and rng.random() < PARENT_SECOND_SURNAME_RATE:
        last = f"{last} {name.last_2}"
    return Parent(
        first_name=style(name.first),
        last_name=style(last),
        email=None if _missing(rng, contact.email, tags) else contact.email,
        phone=None if _missing(rng, contact.phone, tags) else contact.phone,
    )


class _Style:
    """One clerk's habits, applied to every name on the record alike."""

    def __init__(self, *, fold: bool, upper: bool) -> None:
        self.fold = fold
        self.upper = upper

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        if self.fold:
            text = fold_accents(text)
        return text.upper() if self.upper else text


def _placeholder(rng: random.Random, child: TrueChild, tags: list[str]) -> str | date:
    # Hospital and intake placeholders (DOMAIN §6): they must never decide a match.
    if rng.random() < 0.5:
        tags.append("placeholder_name")
        if child.birth_set > 1:
            return rng.choice(("TWIN A", "TWIN B"))
        return "BABY BOY" if child.sex == "Male" else "BABY GIRL"
    # 1 January of the right year; 1900-01-01 is left out because the hub rejects it outright.
    tags.append("placeholder_dob")
    return date(child.birth_date.year, 1, 1)


def varied_identity(
    rng: random.Random,
    child: TrueChild,
    parents: tuple[Contact, ...],
    alternate_ids: list[StudentId],
) -> tuple[Identity, tuple[str, ...]]:
    """One state's copy of the child's identity and the variation tags applied to it."""
    tags: list[str] = []
    first, middle = _given(rng, child.name, tags)
    last_1, last_2 = _surnames(rng, child.name.last_1, child.name.last_2, tags)
    if rng.random() < HYPHEN_SPACE_RATE and ("-" in first or "-" in last_1):
        first, last_1 = first.replace("-", " "), last_1.replace("-", " ")
        tags.append("hyphen_space")
    if rng.random() < TYPO_RATE:
        before = (first, last_1)
        if rng.random() < 0.5:
            first = _typo(rng, first)
        else:
            last_1 = _typo(rng, last_1)
        if (first, last_1) != before:  # a doubled "ll" swapped is no typo at all
            tags.append("typo")
    birth_date = _birth_date(rng, child.birth_date, tags)
    if rng.random() < PLACEHOLDER_RATE:
        placeholder = _placeholder(rng, child, tags)
        if isinstance(placeholder, date):
            birth_date = placeholder
        else:
            first, middle = placeholder, None
    style = _Style(fold=rng.random() < ACCENTS_DROPPED_RATE, upper=rng.random() < UPPERCASE_RATE)
    if style.fold and any(n != fold_accents(n) for n in (first, middle, last_1, last_2) if n):
        tags.append("accents_dropped")
    if style.upper:
        tags.append("uppercase")
    listed = [_parent(rng, contact, style, tags) for contact in parents]
    if len(listed) == 2 and _missing(rng, listed[1], tags):
        listed = listed[:1]
    multiple_birth = child.birth_set > 1
    if multiple_birth and rng.random() < MULTIPLE_BIRTH_UNREPORTED_RATE:
        multiple_birth = False
        tags.append("multiple_birth_unreported")
    identity = Identity(
        first_name=style(first),
        middle_name=None if _missing(rng, middle, tags) else style(middle),
        last_name_1=style(last_1),
        last_name_2=style(last_2),
        # First name, Last Name 1, Birth Date and Sex are never blanked: the hub rejects a
        # record without them (hub.model.rules), and a rejected record tests no matching.
        sex=child.sex,
        birth_date=birth_date,
        multiple_birth=None if _missing(rng, multiple_birth, tags) else multiple_birth,
        birth_city=None if _missing(rng, child.birth_town, tags) else style(child.birth_town),
        birth_state=child.birth_state,
        birth_country=None if _missing(rng, child.birth_country, tags) else child.birth_country,
        birth_date_verification=(
            None if _missing(rng, child.birth_verification, tags) else child.birth_verification
        ),
        parents=listed,
        alternate_ids=alternate_ids,
    )
    return identity, tuple(tags)
