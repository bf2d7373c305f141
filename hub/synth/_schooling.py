"""What one state records of a child's stays: qualifying moves, enrollments, courses and tests.

Enrollments follow the calendar a migrant child actually lives: a regular term joined late and
left early, a summer MEP project in the receiving state, residency only for a child too young or
out of school. Grades follow age, so a receiving school's placement can be checked against them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from hub.model import Assessment, Course, Enrollment, QualifyingMove, eligibility_expiration
from hub.synth import _coursework, _places
from hub.synth._families import Stay, TrueChild
from hub.synth._health import StateHealth, medical_alert

AGE_OUT: Final = 22
SCHOOL_ENTRY_AGE: Final = 5
# Summer MEP projects run between the latest regular-term end (New York, late June) and the
# earliest start (Arizona, late July), so a summer enrollment never overlaps a regular one.
SUMMER_START: Final = (6, 26)
SUMMER_END: Final = (7, 23)
SUMMER_PROGRAM_RATE: Final = 0.7
MEP_FUNDED_RATE: Final = 0.45  # share of regular-term enrollments reported as type 05
PFS_RATE: Final = {"01": 0.3, "05": 0.35, "03": 0.45}
STILL_ENROLLED_RATE: Final = 0.3
RESIDENCY_VERIFIED_RATE: Final = 0.5
MIN_ENROLLED_DAYS: Final = 5


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def school_year_of(day: date) -> int:
    """The school year a date belongs to, named by the year it starts; summer closes the last."""
    return day.year if day.month >= 8 else day.year - 1


def grade_number(child: TrueChild, day: date) -> int | None:
    """0 for kindergarten, 1-12, or None for a child not in a K-12 grade on `day`."""
    age = age_on(child.birth_date, date(school_year_of(day), 9, 1))
    if age >= child.leaves_school_at:
        return None
    # Retention shows from second grade on; a five-year-old is in kindergarten regardless.
    grade = age - SCHOOL_ENTRY_AGE - (child.held_back if age >= 7 else 0)
    return grade if 0 <= grade <= 12 else None


def grade_code(grade: int) -> str:
    return "KG" if grade == 0 else f"{grade:02d}"


def _weekday_on_or_after(day: date) -> date:
    return day + timedelta(days=max(0, 7 - day.weekday())) if day.weekday() >= 5 else day


def _weekday_on_or_before(day: date) -> date:
    return day - timedelta(days=day.weekday() - 4) if day.weekday() >= 5 else day


def eligible_stays(birth_date: date, stays: Sequence[Stay]) -> list[Stay]:
    """Stays a child born on `birth_date` counts in: 3 or over, not yet 22 on arrival (§9)."""
    return [s for s in stays if 3 <= age_on(birth_date, s.start) < AGE_OUT]


def moves(stays: Sequence[Stay], birth_date: date) -> list[QualifyingMove]:
    """One qualifying move per stay entered by a qualifying move; returns home may not be."""
    return [
        QualifyingMove(
            qualifying_arrival_date=stay.start,
            from_city=stay.from_town,
            from_state=stay.from_state,
            from_country=stay.from_country,
            to_city=stay.town,
            to_state=stay.state,
            eligibility_expiration_date=eligibility_expiration(stay.start, birth_date),
        )
        for stay in stays
        if stay.qualifying
    ]


@dataclass(slots=True)
class Schooling:
    enrollments: list[Enrollment] = field(default_factory=list)
    courses: list[Course] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)


def schooling(
    rng: random.Random,
    child: TrueChild,
    stays: Sequence[Stay],
    health: StateHealth,
    *,
    open_ended: bool,
) -> Schooling:
    """Enrollments, courses and assessments a state holds for the child's `stays` in it.

    `open_ended` marks a record whose last stay runs to the end of the extract: its last
    enrollment may have no withdrawal date yet.
    """
    result = Schooling()
    for stay in stays:
        added = 0
        # Each school year the stay touches, its regular term then the summer that closes it.
        for school_year in range(school_year_of(stay.start), school_year_of(stay.end) + 1):
            added += _regular_term(rng, result, child, stay, school_year, health)
            added += _summer(rng, result, child, stay, school_year, health)
        if not added:
            _residency_only(rng, result, stay, health)
    if open_ended and result.enrollments and rng.random() < STILL_ENROLLED_RATE:
        result.enrollments[-1] = result.enrollments[-1].model_copy(update={"withdrawal_date": None})
    return result


def _window(stay: Stay, start: date, end: date) -> tuple[date, date] | None:
    first = _weekday_on_or_after(max(start, stay.start + timedelta(days=2)))
    last = _weekday_on_or_before(min(end, stay.end))
    return (first, last) if (last - first).days + 1 >= MIN_ENROLLED_DAYS else None


def _regular_term(
    rng: random.Random,
    result: Schooling,
    child: TrueChild,
    stay: Stay,
    school_year: int,
    health: StateHealth,
) -> int:
    info = _places.STATES[stay.state]
    window = _window(
        stay, date(school_year, *info.term_start), date(school_year + 1, *info.term_end)
    )
    if window is None:
        return 0
    grade = grade_number(child, window[0])
    if grade is None:
        return 0
    enrollment_type = "05" if rng.random() < MEP_FUNDED_RATE else "01"
    level = "elementary" if grade <= 5 else "middle" if grade <= 8 else "high"
    school = _places.school(stay.state, stay.town, level, rng.randrange(5))
    _enroll(rng, result, child, stay, window, enrollment_type, grade, school, health)
    if grade >= 9:
        result.courses += _coursework.courses(
            rng, stay.state, grade, child.ability, school_year, window,
            summer=False, first_id=len(result.courses) + 1,
        )  # fmt: skip
    result.assessments += _coursework.assessments(
        rng, stay.state, grade, child.ability, school_year, window,
        first_id=len(result.assessments) + 1,
    )  # fmt: skip
    return 1


def _summer(
    rng: random.Random,
    result: Schooling,
    child: TrueChild,
    stay: Stay,
    school_year: int,
    health: StateHealth,
) -> int:
    window = _window(stay, date(school_year + 1, *SUMMER_START), date(school_year + 1, *SUMMER_END))
    if window is None:
        return 0
    grade = grade_number(child, window[0])
    if grade is None or rng.random() >= SUMMER_PROGRAM_RATE:
        return 0
    host_school_id, _ = _places.school(stay.state, stay.town, "elementary", rng.randrange(5))
    project = (host_school_id, f"{stay.town} Migrant Summer School")
    _enroll(rng, result, child, stay, window, "03", grade, project, health)
    if grade >= 9:
        result.courses += _coursework.courses(
            rng, stay.state, grade, child.ability, school_year, window,
            summer=True, first_id=len(result.courses) + 1,
        )  # fmt: skip
    return 1


def _enroll(
    rng: random.Random,
    result: Schooling,
    child: TrueChild,
    stay: Stay,
    window: tuple[date, date],
    enrollment_type: str,
    grade: int,
    school: tuple[str, str],
    health: StateHealth,
) -> None:
    district = _places.district_id(stay.state, stay.town)
    result.enrollments.append(
        Enrollment(
            record_id=f"{len(result.enrollments) + 1:03d}",
            enrollment_date=window[0],
            enrollment_type=enrollment_type,
            school_or_project_name=school[1],
            # MEP project type numbering is unconfirmed (DOMAIN §3.4); 01 = school-based.
            mep_project_type="01" if enrollment_type == "03" else None,
            school_id=school[0],
            district_id=district,
            district_name=_places.district_name(stay.state, stay.town),
            grade_level=grade_code(grade),
            lep=child.lep,
            iep=child.iep,
            immunization_record_flag=bool(health.immunizations),
            medical_alert=medical_alert(rng, health.chronic_since, window[0]),
            pfs=rng.random() < PFS_RATE[enrollment_type],
            withdrawal_date=window[1],
            district_of_residence=district,
            residency_date=stay.start,
            residency_verification_date=_verified(rng, stay),
        )
    )


def _residency_only(rng: random.Random, result: Schooling, stay: Stay, health: StateHealth) -> None:
    # Type 06: the child lives here (too young for school, out of school, or between terms).
    district = _places.district_id(stay.state, stay.town)
    result.enrollments.append(
        Enrollment(
            record_id=f"{len(result.enrollments) + 1:03d}",
            enrollment_date=stay.start,
            enrollment_type="06",
            district_id=district,
            district_name=_places.district_name(stay.state, stay.town),
            immunization_record_flag=bool(health.immunizations),
            medical_alert=medical_alert(rng, health.chronic_since, stay.start),
            withdrawal_date=stay.end,
            district_of_residence=district,
            residency_date=stay.start,
            residency_verification_date=_verified(rng, stay),
        )
    )


def _verified(rng: random.Random, stay: Stay) -> date | None:
    if rng.random() >= RESIDENCY_VERIFIED_RATE:
        return None
    return min(stay.end, stay.start + timedelta(days=rng.randint(30, 120)))
