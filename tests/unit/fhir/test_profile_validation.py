"""Profile validation: what the R4B models accept and our profiles reject, each issue located."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B.condition import Condition as ConditionModel
from fhir.resources.R4B.immunization import Immunization as ImmunizationModel
from fhir.resources.R4B.patient import Patient as PatientModel

from hub.errors import Severity
from hub.fhir import (
    MSIX_ID_SYSTEM,
    condition_resource,
    immunization_resource,
    student_id_system,
    validate_resource,
)
from hub.fhir._invariants import Invariant, InvariantGroup, empty_elements
from hub.fhir._rules import ElementRule, index_rule
from hub.fhir.profile_validation import _check_node, _may_hold_empty
from hub.model import Condition, Immunization

MSIX_ID = "100000000017"


def _immunization(**changes: Any) -> dict[str, Any]:
    entry = Immunization.model_validate(
        {
            "record_id": "002",
            "cvx": "03",
            "occurrence_date": date(2015, 4, 2),
            "primary_source": True,
        }
    )
    return {**immunization_resource(MSIX_ID, "TX", "TX100", entry), **changes}


def _condition(**changes: Any) -> dict[str, Any]:
    entry = Condition(
        record_id="001", code_system="snomed", code="195967001", display="Asthma",
        category="problem-list-item", onset_date=date(2016, 5, 1),
    )  # fmt: skip
    return {**condition_resource(MSIX_ID, "WA", "WA7", entry), **changes}


def _patient(**changes: Any) -> dict[str, Any]:
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": MSIX_ID,
        "identifier": [
            {"system": MSIX_ID_SYSTEM, "value": MSIX_ID},
            {"system": student_id_system("TX"), "value": "TX0004417"},
        ],
        "name": [{"family": "Ortega", "given": ["Rosa"]}],
        "gender": "female",
        "birthDate": "2014-03-09",
    }
    return {**patient, **changes}


def _errors(resource: dict[str, Any]) -> list[tuple[str | None, str | None]]:
    return [(issue.rule, issue.location) for issue in validate_resource(resource) if issue.is_error]


def test_resources_from_the_builders_conform_to_the_profiles() -> None:
    assert _errors(_immunization()) == []
    assert _errors(_condition()) == []
    assert _errors(_patient()) == []


def test_must_support_gaps_are_information_not_errors() -> None:
    issues = validate_resource(_immunization())
    gaps = [issue for issue in issues if issue.rule == "must-support"]
    assert ("Immunization.statusReason", Severity.INFORMATION) in [
        (issue.location, issue.severity) for issue in gaps
    ]


def test_a_required_binding_rejects_a_status_the_models_accept() -> None:
    resource = _immunization(status="bogus")
    ImmunizationModel.model_validate(resource)
    assert _errors(resource) == [("binding", "Immunization.status")]


def test_an_unknown_cvx_code_and_a_coding_without_system_are_each_located() -> None:
    resource = _immunization(vaccineCode={"coding": [{"code": "9999"}]})
    ImmunizationModel.model_validate(resource)
    assert _errors(resource) == [
        ("binding", "Immunization.vaccineCode.coding[0]"),
        ("cardinality", "Immunization.vaccineCode.coding[0].system"),
    ]


def test_a_cvx_code_of_the_dated_table_passes_and_one_outside_fails() -> None:
    with_known = _immunization(
        vaccineCode={"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "208"}]}
    )
    with_unknown = _immunization(
        vaccineCode={"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "300"}]}
    )
    assert _errors(with_known) == []
    assert _errors(with_unknown) == [("binding", "Immunization.vaccineCode.coding[0]")]


def test_a_reference_to_the_wrong_resource_type_is_rejected() -> None:
    resource = _immunization(patient={"reference": "Observation/1"})
    ImmunizationModel.model_validate(resource)
    assert _errors(resource) == [("reference-target", "Immunization.patient.reference")]
    absolute = _immunization(patient={"reference": "https://other.example/fhir/Patient/1"})
    assert _errors(absolute) == []


def test_con_4_rejects_an_abated_condition_that_is_still_active() -> None:
    resource = _condition(abatementDateTime="2019-09-01")
    ConditionModel.model_validate(resource)
    assert _errors(resource) == [("con-4", "Condition")]
    resolved = copy.deepcopy(resource)
    resolved["clinicalStatus"]["coding"][0]["code"] = "resolved"
    assert _errors(resolved) == []


def test_con_5_rejects_a_clinical_status_on_an_entry_in_error() -> None:
    resource = _condition()
    resource["verificationStatus"]["coding"][0]["code"] = "entered-in-error"
    assert _errors(resource) == [("con-5", "Condition")]


def test_con_3_is_a_warning_when_a_problem_has_no_clinical_status() -> None:
    resource = _condition()
    del resource["clinicalStatus"]
    issues = validate_resource(resource)
    assert [(i.rule, i.severity) for i in issues if i.rule == "con-3"] == [
        ("con-3", Severity.WARNING)
    ]
    assert _errors(resource) == []


def test_a_condition_category_outside_the_msix_value_set_is_rejected() -> None:
    system = "http://terminology.hl7.org/CodeSystem/condition-category"
    resource = _condition(
        category=[{"coding": [{"system": system, "code": "encounter-diagnosis"}]}]
    )
    assert _errors(resource) == [("binding", "Condition.category[0].coding[0]")]


def test_the_msix_id_must_be_twelve_digits_and_unique() -> None:
    short = _patient(identifier=[{"system": MSIX_ID_SYSTEM, "value": "12345"}])
    assert _errors(short) == [("msix-id-1", "Patient.identifier[0]")]
    twice = _patient()
    twice["identifier"].append({"system": MSIX_ID_SYSTEM, "value": "100000000025"})
    assert _errors(twice) == [("msix-pat-1", "Patient")]


def test_a_state_student_id_uses_its_state_system_and_at_most_fifteen_characters() -> None:
    resource = _patient()
    resource["identifier"][1] = {"system": "urn:msix:state:Texas:student", "value": "X" * 16}
    assert _errors(resource) == [
        ("msix-id-2", "Patient.identifier[1]"),
        ("profile-value", "Patient.identifier[1].value"),
    ]


def test_an_empty_name_breaks_ele_1_and_us_core_6_which_the_models_accept() -> None:
    resource = _patient(name=[{}])
    PatientModel.model_validate(resource)
    assert sorted(_errors(resource)) == [
        ("ele-1", "Patient.name[0]"),
        ("us-core-6", "Patient.name[0]"),
    ]


def test_a_missing_gender_and_birth_date_are_cardinality_errors() -> None:
    resource = _patient()
    del resource["gender"], resource["birthDate"]
    assert _errors(resource) == [
        ("cardinality", "Patient.gender"),
        ("cardinality", "Patient.birthDate"),
    ]


def test_null_values_are_reported_once_beside_every_profile_issue() -> None:
    resource = _immunization(status="bogus", lotNumber=None)
    assert _errors(resource) == [
        ("fhir.null", "Immunization.lotNumber"),
        ("binding", "Immunization.status"),
    ]


def test_an_unpublished_profile_is_reported_not_ignored() -> None:
    issues = validate_resource(_patient(), "https://example.org/StructureDefinition/nope")
    assert [(i.rule, i.location) for i in issues if i.is_error] == [("profile", "profile")]


def test_fixed_and_pattern_values_come_from_the_element_definition() -> None:
    rule = ElementRule("X", "X", ("X",), 0, None, ())
    rule.children = [
        ElementRule("X.use", "use", ("use",), 0, 1, ("code",), fixed="official"),
        ElementRule(
            "X.type", "type", ("type",), 0, 1, ("CodeableConcept",),
            pattern={"coding": [{"system": "s", "code": "MR"}]},
        ),
    ]  # fmt: skip
    index_rule(rule)
    found: list[Any] = []
    _check_node(
        {"use": "usual", "type": {"coding": [{"system": "s", "code": "SS"}]}}, rule, "X", found
    )
    assert [(issue.rule, issue.location) for issue in found] == [
        ("profile-value", "X.use"),
        ("profile-value", "X.type"),
    ]
    found.clear()
    matching = {"use": "official", "type": {"coding": [{"system": "s", "code": "MR"}], "text": "t"}}
    _check_node(matching, rule, "X", found)
    assert found == []


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"system": MSIX_ID_SYSTEM, "value": "100000000017"}, True),
        ({"system": MSIX_ID_SYSTEM, "value": "100000000025"}, True),
        ({"system": MSIX_ID_SYSTEM, "value": "10000000002"}, False),
        ({"system": "urn:msix:state:TX:student", "value": "1"}, True),
    ],
)
def test_memoised_invariants_give_the_same_result_as_fresh_evaluation(
    node: dict[str, Any], expected: bool
) -> None:
    expression = f"system = '{MSIX_ID_SYSTEM}' implies value.matches('^[0-9]{{12}}$')"
    cached = Invariant("t-1", Severity.ERROR, "t", expression, "Identifier")
    for warm in (
        {"system": MSIX_ID_SYSTEM, "value": "999999999999"},
        {"system": "x", "value": "y"},
    ):
        cached.holds(warm)
    fresh = Invariant("t-1", Severity.ERROR, "t", expression, "Identifier")
    assert cached.holds(node) is expected
    assert fresh.evaluate(node) is expected


def test_a_value_comparing_expression_is_keyed_on_real_values() -> None:
    invariant = Invariant("t-2", Severity.ERROR, "t", "family = given.first()", "HumanName")
    assert invariant.holds({"family": "A", "given": ["A"]}) is True
    assert invariant.holds({"family": "A", "given": ["B"]}) is False


def test_an_empty_object_and_an_empty_array_are_not_one_cache_entry() -> None:
    # An empty object is an element (it exists); an empty array is no element at all.
    invariant = Invariant("t-3", Severity.ERROR, "t", "value.empty() or system.exists()", "Patient")
    group = InvariantGroup((invariant,))
    assert group.failing({"system": {}, "value": "1"}) == ()
    assert group.failing({"system": [], "value": "1"}) == (invariant,)
    assert invariant.evaluate({"system": [], "value": "1"}) is False


def test_an_invariant_group_evaluates_a_node_it_cannot_key_rather_than_fail() -> None:
    invariant = Invariant("t-4", Severity.ERROR, "t", "value.empty() or system.exists()", "Patient")
    group = InvariantGroup((invariant,))
    for node in ({1: "x", "value": "1"}, {"system": {"a"}, "value": "1"}):
        fresh = tuple(member for member in group.invariants if not member.evaluate(node))
        assert group.failing(node) == fresh


def _with_a_name_that_is_no_string() -> dict[Any, Any]:
    resource: dict[Any, Any] = _patient()
    resource[1] = {}
    return resource


@pytest.mark.parametrize(
    "resource",
    [
        _patient(),
        _patient(name=[{}]),
        _patient(name=[{"family": "A", "given": []}]),
        _patient(gender=None),
        _patient(name=[{"family": "null {} []"}]),  # the tokens inside a string
        _patient(multipleBirthInteger=float("nan")),
        _patient(name=({"family": "A", "given": ()},)),  # tuples: no elements to the walk
        _patient(extension=[{"url": "x", "valueInteger": 2**70}]),  # orjson cannot write it
        _with_a_name_that_is_no_string(),
    ],
)
def test_the_empty_element_precheck_never_skips_what_the_walk_finds(
    resource: dict[Any, Any],
) -> None:
    if any(empty_elements(resource, "Patient")):
        assert _may_hold_empty(resource)
    assert _may_hold_empty(_patient()) is False


@pytest.mark.parametrize(
    "resource",
    [
        _patient(meta=None),
        _patient(meta="not an object"),
        _immunization(vaccineCode={"coding": None}),
        _immunization(vaccineCode={"coding": 7}),
        _condition(category=[{"coding": "problem-list-item"}]),
    ],
    ids=["meta-null", "meta-string", "coding-null", "coding-number", "coding-string"],
)
def test_malformed_json_gets_located_issues_never_an_exception(resource: dict[str, Any]) -> None:
    """Each of these raised from inside the profile layer before: a write or $validate of one
    of them answered 500 instead of listing what is wrong."""
    issues = validate_resource(resource)
    assert any(issue.is_error and issue.location for issue in issues)


def test_no_random_variant_makes_validation_raise() -> None:
    import json
    import random

    from tests.unit.fhir.resource_variants import variants

    for kind in ("Patient", "Immunization", "Condition"):
        for resource in variants(kind, random.Random(7), 400):
            validate_resource(json.loads(json.dumps(resource, default=str)))  # raises = fails
