"""A child's true immunization history and health conditions, and what one state holds of them.

Doses follow the shape of the CDC childhood schedule (ages are approximate; the point is that a
dose date is always after birth and plausible for the age). The hub keeps health flags and coded
entries only (DOMAIN §1), so each state record holds a subset: a state without records on file
sends none and says so in the Immunization Record Flag.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from hub.model import Condition, Immunization

# (CVX, ages in days at each dose). 20 and 106 are both DTaP products; a clinic uses one.
SCHEDULE: Final = (
    ("08", (0, 60, 180)),  # hepatitis B, pediatric
    ("DTaP", (60, 120, 180, 480, 1640)),
    ("10", (60, 120, 180, 1640)),  # IPV
    ("133", (60, 120, 180, 365)),  # PCV13
    ("03", (365, 1640)),  # MMR
    ("21", (365, 1640)),  # varicella
    ("83", (365, 545)),  # hepatitis A, pediatric
    ("115", (4200,)),  # Tdap at 11-12
    ("114", (4200, 5850)),  # MenACWY at 11-12 and 16
    ("62", (4200, 4380)),  # HPV, two doses six months apart
)
DTAP_CODES: Final = ("20", "106")
FLU_CVX: Final = "88"
FLU_SEASON_RATE: Final = 0.3
MISSED_DOSE_RATE: Final = 0.05

# (SNOMED CT code, display, childhood prevalence here, onset age range in years). Prevalences are
# rounded up from US figures so a few thousand children already show every condition.
CONDITIONS: Final = (
    ("195967001", "Asthma", 0.09, (2, 8)),
    ("91935009", "Allergy to peanut", 0.025, (1, 3)),
    ("46635009", "Type 1 diabetes mellitus", 0.008, (4, 14)),
    ("84757009", "Epilepsy", 0.007, (1, 12)),
    ("44054006", "Type 2 diabetes mellitus", 0.003, (10, 17)),
)
# The home state reads its immunization registry; elsewhere a history is on file only when a
# clerk transcribed the family's card.
IMMUNIZATIONS_ON_FILE_RATE: Final = {True: 0.5, False: 0.2}
CONDITION_REPORTED_RATE: Final = 0.85
ACUTE_ALERT_RATE: Final = 0.01


@dataclass(frozen=True, slots=True)
class Dose:
    cvx: str
    given: date
    dose_number: int


@dataclass(frozen=True, slots=True)
class TrueCondition:
    code: str
    display: str
    onset: date


@dataclass(frozen=True, slots=True)
class ChildHealth:
    doses: tuple[Dose, ...]
    conditions: tuple[TrueCondition, ...]


def child_health(rng: random.Random, birth_date: date, until: date) -> ChildHealth:
    """Every dose and condition the child has up to `until` (the end of the family's history)."""
    # Day ordinals and random() instead of timedelta and randint: this loop runs ~30 times a
    # child and dominated generation time.
    born, last, draw = birth_date.toordinal(), until.toordinal(), rng.random
    dtap = rng.choice(DTAP_CODES)
    doses: list[Dose] = []
    for cvx, ages in SCHEDULE:
        for number, age_days in enumerate(ages, start=1):
            given = born + age_days + int(draw() * 31)
            if given <= last and draw() >= MISSED_DOSE_RATE:
                doses.append(Dose(dtap if cvx == "DTaP" else cvx, date.fromordinal(given), number))
    for year in range(birth_date.year + 1, until.year + 1):
        given = date(year, 10, 1).toordinal() + int(draw() * 31)
        if born + 180 <= given <= last and draw() < FLU_SEASON_RATE:
            doses.append(Dose(FLU_CVX, date.fromordinal(given), 1))
    doses.sort(key=lambda dose: dose.given)
    conditions = tuple(
        TrueCondition(code, display, _onset(rng, birth_date, onset_ages))
        for code, display, prevalence, onset_ages in CONDITIONS
        if draw() < prevalence
    )
    return ChildHealth(tuple(doses), conditions)


def _onset(rng: random.Random, birth_date: date, ages: tuple[int, int]) -> date:
    return birth_date + timedelta(days=rng.randint(ages[0] * 365, ages[1] * 365 + 364))


@dataclass(frozen=True, slots=True)
class StateHealth:
    """What one state holds: entries for the record and the flags its enrollments carry."""

    immunizations: list[Immunization]
    conditions: list[Condition]
    chronic_since: date | None


def state_health(
    rng: random.Random, health: ChildHealth, until: date, born: date, *, primary_source: bool
) -> StateHealth:
    """The subset of the child's health a state holds by `until` (its last day with the child).

    `born` is the state's own, possibly wrong, birth date for the child: entries dated before it
    are left out so the record agrees with itself (the hub rejects a date before birth).
    """
    immunizations: list[Immunization] = []
    if rng.random() < IMMUNIZATIONS_ON_FILE_RATE[primary_source]:
        for dose in health.doses:
            if dose.given > until:
                break
            if dose.given < born:
                continue
            immunizations.append(
                Immunization(
                    record_id=f"{len(immunizations) + 1:03d}",
                    cvx=dose.cvx,
                    occurrence_date=dose.given,
                    dose_number=dose.dose_number,
                    primary_source=primary_source,
                )
            )
    conditions = [
        Condition(
            record_id=f"{number:03d}",
            code_system="snomed",
            code=condition.code,
            display=condition.display,
            onset_date=condition.onset,
        )
        for number, condition in enumerate(
            (
                c
                for c in health.conditions
                if born <= c.onset <= until and rng.random() < CONDITION_REPORTED_RATE
            ),
            start=1,
        )
    ]
    onsets = [c.onset_date for c in conditions if c.onset_date is not None]
    return StateHealth(immunizations, conditions, min(onsets) if onsets else None)


def medical_alert(rng: random.Random, chronic_since: date | None, on: date) -> str:
    """Medical Alert Indicator for an enrollment starting `on` (DOMAIN §3.9)."""
    if chronic_since is not None and chronic_since <= on:
        return "Chronic"
    return "Acute" if rng.random() < ACUTE_ALERT_RATE else "None"
