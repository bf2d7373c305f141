"""Secondary courses with full or partial credit, and spring state assessments.

Partial credit is the reason the exchange exists for high-school students (DOMAIN §1): a child who
leaves in April carries clock hours and a grade-to-date, not a final grade, and the receiving
school must be able to honour them.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Final

from hub.model import Assessment, Course
from hub.synth._places import STATES

# SCED subject-area names, so course rows read like a real transcript.
_ELA = "English Language and Literature"
_MATH = "Mathematics"
_SCIENCE = "Life and Physical Sciences"
_SOCIAL = "Social Sciences and History"
_LANGUAGE = "Foreign Language and Literature"
_ARTS = "Fine and Performing Arts"
_HEALTH = "Physical, Health, and Safety Education"
_FARMING = "Agriculture, Food, and Natural Resources"
# fmt: off
CATALOGUE: Final = {
    9: (("English I", _ELA), ("Algebra I", _MATH), ("Biology", _SCIENCE),
        ("World Geography", _SOCIAL), ("Physical Education", _HEALTH), ("Spanish I", _LANGUAGE)),
    10: (("English II", _ELA), ("Geometry", _MATH), ("Chemistry", _SCIENCE),
         ("World History", _SOCIAL), ("Health", _HEALTH), ("Art I", _ARTS)),
    11: (("English III", _ELA), ("Algebra II", _MATH), ("Physics", _SCIENCE),
         ("U.S. History", _SOCIAL), ("Spanish II", _LANGUAGE), ("Agricultural Science", _FARMING)),
    12: (("English IV", _ELA), ("Pre-Calculus", _MATH), ("Environmental Science", _SCIENCE),
         ("U.S. Government", _SOCIAL), ("Economics", _SOCIAL), ("Music Appreciation", _ARTS)),
}
# fmt: on
COURSES_PER_TERM: Final = (4, 6)
SUMMER_COURSE_RATE: Final = 0.6
HONORS_RATE: Final = 0.15
ADVANCED_PLACEMENT_RATE: Final = 0.3
# Fraction of a term attended → credit earned. Below the last step the course carries clock hours
# and a grade-to-date only, which is exactly what a receiving school needs to continue it.
CREDIT_STEPS: Final = {
    "0828": ((0.95, "0.50"), (0.5, "0.25")),
    "0827": ((0.95, "1.00"), (0.5, "0.50"), (0.25, "0.25")),
    "0833": ((0.9, "0.50"), (0.5, "0.25")),
}
MIN_FRACTION_FOR_HOURS: Final = 0.1
HOURS_PER_SCHOOL_DAY: Final = 0.9
TESTING_MONTH: Final = 4
TESTED_GRADES: Final = range(3, 12)
SCIENCE_GRADES: Final = (5, 8, 10)


def _percent(rng: random.Random, ability: float) -> int:
    return max(40, min(100, round(78 + 9 * ability + rng.gauss(0, 6))))


def _letter(percent: int) -> str:
    for floor, letter in ((93, "A"), (90, "A-"), (87, "B+"), (83, "B"), (80, "B-"), (77, "C+")):
        if percent >= floor:
            return letter
    return "C" if percent >= 70 else "D" if percent >= 65 else "F"


def _terms(state: str, school_year: int) -> list[tuple[str | None, date, date]]:
    info = STATES[state]
    start = date(school_year, *info.term_start)
    end = date(school_year + 1, *info.term_end)
    if info.term_type == "0827":
        return [("FY", start, end)]
    return [("SA", start, date(school_year, 12, 19)), ("SB", date(school_year + 1, 1, 6), end)]


def courses(
    rng: random.Random,
    state: str,
    grade: int,
    ability: float,
    school_year: int,
    attended: tuple[date, date],
    *,
    summer: bool,
    first_id: int,
) -> list[Course]:
    """Courses for one secondary enrollment attended from `attended[0]` to `attended[1]`.

    Row ids continue from `first_id` because they are unique across the whole record.
    """
    catalogue = CATALOGUE[grade]
    if summer:
        if rng.random() >= SUMMER_COURSE_RATE:
            return []
        taken = rng.sample(catalogue[:4], rng.randint(1, 2))
        terms: list[tuple[str | None, date, date]] = [(None, attended[0], attended[1])]
        term_type = "0833"
    else:
        taken = rng.sample(catalogue, rng.randint(*COURSES_PER_TERM))
        terms = _terms(state, school_year)
        term_type = STATES[state].term_type
    percent_grades = STATES[state].percent_grades
    # A course keeps its level in both halves of the year.
    levels = [_course_type(rng, grade, ability) for _ in taken]
    rows: list[Course] = []
    for section, start, end in terms:
        overlap = (min(end, attended[1]) - max(start, attended[0])).days + 1
        fraction = overlap / ((end - start).days + 1)
        if fraction < MIN_FRACTION_FOR_HOURS:
            continue
        credits = next(
            (Decimal(c) for floor, c in CREDIT_STEPS[term_type] if fraction >= floor), None
        )
        complete = fraction >= CREDIT_STEPS[term_type][0][0]
        hours = (
            None
            if complete
            else Decimal(str(round(overlap * 5 / 7 * HOURS_PER_SCHOOL_DAY * 2) / 2))
        )
        for (title, subject), level in zip(taken, levels, strict=True):
            percent = _percent(rng, ability)
            shown = str(percent) if percent_grades else _letter(percent)
            rows.append(
                Course(
                    record_id=f"{first_id + len(rows):03d}",
                    title=title,
                    subject_area=subject,
                    course_type=level,
                    begin_year=school_year,
                    end_year=school_year + 1,
                    section=section,
                    term_type=term_type,
                    clock_hours=hours,
                    grade_to_date=None if complete else shown,
                    credits_granted=credits,
                    final_grade=shown if complete else None,
                )
            )
    return rows


def _course_type(rng: random.Random, grade: int, ability: float) -> str:
    # Codes from hub/model/codesets/course-type.csv (hub-assigned: MSIX codes unconfirmed).
    if ability > 1.0 and grade >= 11 and rng.random() < ADVANCED_PLACEMENT_RATE:
        return "AP"
    return "HN" if ability > 0.8 and rng.random() < HONORS_RATE else "RG"


def assessments(
    rng: random.Random,
    state: str,
    grade: int,
    ability: float,
    school_year: int,
    attended: tuple[date, date],
    *,
    first_id: int,
) -> list[Assessment]:
    """The spring state test, if the child was enrolled when it was given."""
    window = date(school_year + 1, TESTING_MONTH, 15)
    if grade not in TESTED_GRADES or not attended[0] <= window <= attended[1]:
        return []
    # Assessment types 09-11 are the state accountability test by subject; which code is which
    # subject is unconfirmed (DOMAIN §2.4), so reading, mathematics, science is an assumption.
    subjects = [("09", "Reading"), ("10", "Mathematics")]
    if grade in SCIENCE_GRADES:
        subjects.append(("11", "Science"))
    program = STATES[state].assessment
    rows: list[Assessment] = []
    for assessment_type, subject in subjects:
        z = ability + rng.gauss(0, 0.5)
        rows.append(
            Assessment(
                record_id=f"{first_id + len(rows):03d}",
                title=f"{program} Grade {grade} {subject}",
                content=subject,
                assessment_type=assessment_type,
                administration_date=f"{school_year + 1}-{TESTING_MONTH:02d}",
                reporting_method="SS",
                score_results=str(round(1500 + 25 * grade + 80 * z)),
                interpretation=(
                    "Advanced"
                    if z > 1.2
                    else "Proficient"
                    if z > 0.3
                    else "Basic"
                    if z > -0.6
                    else "Below Basic"
                ),
            )
        )
    return rows
