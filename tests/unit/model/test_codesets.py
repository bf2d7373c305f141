from __future__ import annotations

from datetime import date

import pytest

from hub.model import codes
from hub.model.codes import all_codesets, codeset
from hub.model.elements import Element, elements_of
from hub.model.records import (
    Assessment,
    Condition,
    Course,
    Enrollment,
    Identity,
    Immunization,
    Parent,
    QualifyingMove,
    StudentId,
)

MODELS = (
    Identity,
    Parent,
    StudentId,
    QualifyingMove,
    Enrollment,
    Assessment,
    Course,
    Immunization,
    Condition,
)
CODED = [
    (model.__name__, element)
    for model in MODELS
    for element in elements_of(model)
    if element.codeset is not None
]


def test_every_code_set_named_by_the_model_is_packaged() -> None:
    named = {element.codeset for _, element in CODED}
    assert named <= set(all_codesets())
    assert len(named) == 22


@pytest.mark.parametrize("name", sorted(all_codesets()))
def test_every_code_set_file_states_its_source_status_and_review_date(name: str) -> None:
    codes_ = codeset(name)
    assert codes_.title
    assert codes_.source
    assert codes_.status.split(":")[0] in {"confirmed", "unconfirmed"}
    assert codes_.reviewed == date(2026, 11, 28)
    assert len(codes_) > 0


@pytest.mark.parametrize(("model", "element"), CODED, ids=[f"{m}.{e.field}" for m, e in CODED])
def test_every_code_fits_the_length_of_the_element_that_uses_it(
    model: str, element: Element
) -> None:
    assert element.codeset is not None
    assert element.length is not None
    too_long = [code.code for code in codeset(element.codeset) if len(code.code) > element.length]
    assert too_long == []


def test_unknown_code_set_name_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="unknown code set 'shoe-size'"):
        codeset("shoe-size")


def test_unknown_code_is_not_contained_and_has_no_display() -> None:
    sex = codeset("sex")
    assert sex.contains("Female")
    assert not sex.contains("F")
    assert sex.display("F") is None
    assert sex.display("Male") == "Male"


def test_third_sex_value_is_other_and_flagged_unconfirmed() -> None:
    sex = codeset("sex")
    assert [code.code for code in sex] == ["Female", "Male", "Other"]
    assert "unconfirmed" in (sex.display("Other") or "")
    assert not sex.confirmed


def test_grade_levels_are_the_layout_codes_plus_the_ceds_codes() -> None:
    layout = (
        {f"P{n}" for n in range(6)} | {"PS", "KG", "UG", "00"} | {f"{n:02}" for n in range(1, 13)}
    )
    ceds = {"IT", "PR", "PK", "TK", "13", "AE"}
    assert {code.code for code in codeset("grade-level")} == layout | ceds


def test_term_types_are_the_nces_numbers() -> None:
    expected = {f"0{n}" for n in range(827, 836)} | {"0837", "9999"}
    assert {code.code for code in codeset("term-type")} == expected


def test_cvx_codes_are_zero_padded_and_carry_the_cvx_system() -> None:
    cvx = codeset("cvx")
    assert cvx.system == "http://hl7.org/fhir/sid/cvx"
    assert cvx.display("03") == "MMR"
    assert cvx.display("20") == "DTaP"
    assert not cvx.contains("3")
    assert {"998", "999"} <= {code.code for code in cvx}


def test_fhir_code_sets_carry_terminology_systems() -> None:
    assert codeset("condition-clinical").system == (
        "http://terminology.hl7.org/CodeSystem/condition-clinical"
    )
    assert codeset("condition-ver-status").system == (
        "http://terminology.hl7.org/CodeSystem/condition-ver-status"
    )
    category = codeset("condition-category")
    assert category.system is None  # base FHIR and US Core systems are mixed
    assert (category.get("health-concern") or codes.Code("", "")).system == (
        "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
    )


def test_validity_dates_bound_membership_on_a_date() -> None:
    cvx = codeset("cvx")
    assert cvx.contains("208")
    assert cvx.contains("208", date(2021, 4, 1))
    assert not cvx.contains("208", date(2020, 6, 1))
    assert not cvx.contains("208", date(2024, 1, 1))
    assert cvx.contains("03", date(1990, 1, 1))


def test_malformed_code_set_file_reports_every_problem_with_its_line() -> None:
    text = (
        "# title: Broken\n"
        "# status: confirmed\n"
        "code,display,system,valid_from,valid_to\n"
        "A,Alpha,,,\n"
        "A,Again,,,\n"
        "B,Beta,,2020-13-01,\n"
        "C,,,,\n"
    )
    parsed, issues = codes._parse("broken", text)
    assert parsed is None
    assert [(issue.location, issue.message) for issue in issues] == [
        ("codesets/broken.csv:1", "missing '# source:' header"),
        ("codesets/broken.csv:1", "missing '# reviewed:' header"),
        ("codesets/broken.csv:5", "duplicate code 'A'"),
        ("codesets/broken.csv:6", "valid_from and valid_to must be YYYY-MM-DD or empty"),
        ("codesets/broken.csv:7", "each row needs a code, a display and all five columns"),
    ]
