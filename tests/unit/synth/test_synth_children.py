"""Synthetic children carry the pitfalls matching must survive, and data that obeys the rules."""

from __future__ import annotations

import calendar
import itertools
import unicodedata
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

from hub.model import Identity, check_record
from hub.synth import SyntheticChild

# Judge "no future dates" against a day after every synthetic history has ended.
AFTER_ALL_HISTORIES = date(2026, 1, 1)
CVX_USED = {"20", "106", "10", "03", "21", "08", "83", "133", "115", "114", "62", "88"}


def _plus_months(day: date, months: int) -> date:
    # Written out here rather than imported, so the test does not trust the code it checks.
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def test_twins_share_birth_date_and_parents_but_not_first_names(
    population: list[SyntheticChild],
) -> None:
    sets: dict[str, list[SyntheticChild]] = defaultdict(list)
    for child in population:
        if child.twin:
            sets[child.family_id].append(child)
    complete = [members for members in sets.values() if len(members) >= 2]

    assert len(complete) >= 10
    assert any(len(members) == 3 for members in sets.values()) or len(complete) >= 10
    for members in complete:
        truths = [child.identity for child in members]
        assert len({t.birth_date for t in truths}) == 1
        assert len({tuple((p.first_name, p.last_name) for p in t.parents) for t in truths}) == 1
        assert len({t.first_name for t in truths}) == len(truths)
        assert all(t.multiple_birth for t in truths)


def test_siblings_share_parents_and_surname(population: list[SyntheticChild]) -> None:
    families: dict[str, list[SyntheticChild]] = defaultdict(list)
    for child in population:
        families[child.family_id].append(child)

    with_siblings = [members for members in families.values() if len(members) > 1]
    assert len(with_siblings) > 100
    for members in with_siblings:
        assert all(child.sibling for child in members)
        assert len({child.identity.last_name_1 for child in members}) == 1
        assert len({tuple(p.first_name for p in c.identity.parents) for c in members}) == 1


def test_most_children_appear_in_two_or_more_states_and_some_in_one(
    population: list[SyntheticChild],
) -> None:
    state_counts = Counter(len({r.record.student_id.state for r in c.records}) for c in population)

    assert state_counts[0] == 0
    assert state_counts[1] > 0
    assert sum(n for states, n in state_counts.items() if states >= 2) > len(population) // 2
    assert max(state_counts) >= 3


def test_each_state_gives_each_child_its_own_id(population: list[SyntheticChild]) -> None:
    keys = [emitted.record.key for child in population for emitted in child.records]

    assert len(keys) == len(set(keys))
    for child in population:
        states = [emitted.record.student_id.state for emitted in child.records]
        assert len(states) == len(set(states)), "one record per state a child attended"


def test_identity_variations_of_every_kind_occur(population: list[SyntheticChild]) -> None:
    tags = Counter(tag for child in population for r in child.records for tag in r.variations)

    for kind in (
        "nickname",
        "dob_day_month_swap",
        "dob_one_digit",
        "last_name_2_missing",
        "both_surnames_in_last_name_1",
        "particle_concatenated",
        "hyphen_space",
        "accents_dropped",
        "typo",
        "middle_name_disagrees",
        "missing_fields",
        "multiple_birth_unreported",
    ):
        assert tags[kind] > 0, kind
    assert tags["placeholder_name"] + tags["placeholder_dob"] > 0


def test_variation_tags_describe_what_changed(population: list[SyntheticChild]) -> None:
    for child in population:
        truth = child.identity
        assert truth.birth_date is not None
        for emitted in child.records:
            shown = emitted.record.identity
            if "dob_day_month_swap" in emitted.variations:
                assert shown.birth_date == truth.birth_date.replace(
                    month=truth.birth_date.day, day=truth.birth_date.month
                )
            elif not {"dob_one_digit", "placeholder_dob"} & set(emitted.variations):
                assert shown.birth_date == truth.birth_date
            if "nickname" in emitted.variations:
                assert (shown.first_name or "").casefold() != (truth.first_name or "").casefold()
            if "particle_concatenated" in emitted.variations:
                assert " " not in (shown.last_name_1 or "")


def _exact_key(identity: Identity) -> tuple[str, str, date | None]:
    def folded(text: str | None) -> str:
        decomposed = unicodedata.normalize("NFKD", text or "")
        return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()

    return folded(identity.first_name), folded(identity.last_name_1), identity.birth_date


def test_exact_name_and_birth_date_finds_about_half_of_true_pairs(
    population: list[SyntheticChild],
) -> None:
    # DOMAIN §6: exact name + DOB finds about half the true pairs in noisy child data. Far
    # above, the data would be too clean to test a matcher; far below, too noisy to be real.
    agreements = [
        _exact_key(a.record.identity) == _exact_key(b.record.identity)
        for child in population
        for a, b in itertools.combinations(child.records, 2)
    ]

    assert len(agreements) > 1_000
    assert 0.4 < sum(agreements) / len(agreements) < 0.7


def test_spanish_nicknames_from_the_domain_table_appear(population: list[SyntheticChild]) -> None:
    shown = {(r.record.identity.first_name or "").casefold() for c in population for r in c.records}

    assert shown & {"lupe", "pepe", "chuy", "paco", "pancho", "nacho", "memo", "lalo", "beto"}


def test_every_record_passes_the_hub_rules(population: list[SyntheticChild]) -> None:
    for child in population:
        for emitted in child.records:
            errors = [
                issue
                for issue in check_record(emitted.record, today=AFTER_ALL_HISTORIES)
                if issue.severity == "error"
            ]
            assert errors == [], (child.child_id, errors)


def test_withdrawal_is_never_before_enrollment(population: list[SyntheticChild]) -> None:
    enrollments = [e for c in population for r in c.records for e in r.record.enrollments]

    assert any(e.withdrawal_date is None for e in enrollments)
    for enrollment in enrollments:
        if enrollment.withdrawal_date is not None:
            assert enrollment.withdrawal_date >= enrollment.enrollment_date


def test_eligibility_expires_36_months_after_arrival_or_at_22(
    population: list[SyntheticChild],
) -> None:
    cut_by_age = 0
    for child in population:
        for emitted in child.records:
            birth = emitted.record.identity.birth_date
            assert birth is not None
            assert emitted.record.moves, "a record without a qualifying move is rejected"
            for move in emitted.record.moves:
                qad = move.qualifying_arrival_date
                expected = min(_plus_months(qad, 36), _plus_months(birth, 22 * 12))
                assert move.eligibility_expiration_date == expected
                cut_by_age += expected < _plus_months(qad, 36)
    assert cut_by_age > 0, "some child ages out before 36 months pass"


def test_grades_follow_age_with_at_most_one_year_held_back(
    population: list[SyntheticChild],
) -> None:
    grade_number = {"KG": 0} | {f"{n:02d}": n for n in range(1, 13)}
    for child in population:
        assert child.identity.birth_date is not None
        for emitted in child.records:
            for enrollment in emitted.record.enrollments:
                if enrollment.grade_level is None:
                    assert enrollment.enrollment_type == "06"
                    continue
                day = enrollment.enrollment_date
                school_year = day.year if day.month >= 8 else day.year - 1
                age = _age_on(child.identity.birth_date, date(school_year, 9, 1))
                assert age - 5 - grade_number[enrollment.grade_level] in (0, 1)


def test_courses_are_secondary_with_credits_between_a_quarter_and_one(
    population: list[SyntheticChild],
) -> None:
    courses = [course for c in population for r in c.records for course in r.record.courses]

    assert courses
    partial = 0
    for course in courses:
        if course.credits_granted is not None:
            assert Decimal("0.25") <= course.credits_granted <= Decimal("1.00")
        if course.final_grade is None:
            # An unfinished course carries what the next school needs to continue it.
            assert course.clock_hours is not None
            assert course.clock_hours > 0
            assert course.grade_to_date is not None
            partial += course.credits_granted is not None
        assert course.end_year == (course.begin_year or 0) + 1
    assert partial > 0, "partial credit appears"


def test_immunizations_follow_birth_and_use_schedule_vaccines(
    population: list[SyntheticChild],
) -> None:
    doses = 0
    for child in population:
        for emitted in child.records:
            birth = emitted.record.identity.birth_date
            assert birth is not None
            for dose in emitted.record.immunizations:
                assert dose.cvx in CVX_USED
                assert dose.occurrence_date is not None
                assert birth <= dose.occurrence_date < AFTER_ALL_HISTORIES
                doses += 1
            flags = {e.immunization_record_flag for e in emitted.record.enrollments}
            assert flags == {bool(emitted.record.immunizations)}
    assert doses > 0


def test_chronic_conditions_raise_the_medical_alert(population: list[SyntheticChild]) -> None:
    codes = Counter(
        condition.code for c in population for r in c.records for condition in r.record.conditions
    )

    assert codes["195967001"] > 0, "asthma"
    for child in population:
        for emitted in child.records:
            record = emitted.record
            onsets = [c.onset_date for c in record.conditions if c.onset_date is not None]
            for enrollment in record.enrollments:
                if onsets and min(onsets) <= enrollment.enrollment_date:
                    assert enrollment.medical_alert == "Chronic"
                else:
                    assert enrollment.medical_alert in ("Acute", "None")


def test_name_origins_include_hispanic_and_others(population: list[SyntheticChild]) -> None:
    origins = Counter(child.name_origin for child in population)

    assert origins.most_common(1)[0][0] == "hispanic"
    assert len(origins) >= 5
