"""The shape memo: resources of one shape get one walk, and exactly the issues a full walk gives."""

from __future__ import annotations

import copy
import enum
import random
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from hub.errors import Severity
from hub.fhir import (
    MSIX_ID_SYSTEM,
    compiled_profile,
    profile_urls,
    student_id_system,
    validate_resource,
)
from hub.fhir import _shapes as shapes
from hub.fhir import profile_validation as validation
from hub.fhir._invariants import Invariant, InvariantGroup, empty_elements
from hub.fhir._rules import ElementRule, index_rule
from hub.fhir._shapes import ShapeMemo
from tests.unit.fhir.resource_variants import variants

Resource = dict[str, Any]
Outcome = list[tuple[str, str, str, str | None, str | None]] | tuple[str, str]
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


def _outcome(resource: Resource) -> Outcome:
    try:
        issues = validate_resource(resource)
    except Exception as exc:  # a crash must be the same crash on both paths
        return (type(exc).__name__, str(exc))
    return [(i.severity, i.code, i.message, i.location, i.rule) for i in issues]


def _every_failing_member(group: InvariantGroup, node: Any) -> tuple[Invariant, ...]:
    return tuple(invariant for invariant in group.invariants if not invariant.evaluate(node))


def _fully_evaluated(resource: Resource) -> Outcome:
    """The outcome with no memo, no invariant cache and the whole empty-element walk."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(InvariantGroup, "failing", _every_failing_member)
        patch.setattr(ShapeMemo, "key", lambda memo, resource: None)
        patch.setattr(validation, "_may_hold_empty", lambda resource: True)
        return _outcome(resource)


def _memo(kind: str) -> ShapeMemo:
    compiled = compiled_profile(profile_urls()[kind])
    assert compiled is not None
    return compiled.shapes


def _key(kind: str, resource: Resource) -> object:
    try:
        return _memo(kind).key(resource)
    except Exception as exc:  # such a resource is walked, not memoised
        return exc


def _rules_reported(outcomes: list[Outcome]) -> set[str | None]:
    return {issue[4] for outcome in outcomes if isinstance(outcome, list) for issue in outcome}


@pytest.mark.parametrize(
    ("kind", "rules"),
    [
        ("Patient", {"us-core-6", "msix-id-1", "msix-id-2", "msix-pat-1", "msix-pat-2", "cpt-2"}),
        ("Immunization", {"msix-imm-1", "imm-1", "ext-1"}),
        ("Condition", {"con-4", "con-5", "con-1"}),
    ],
)
def test_memoised_validation_reports_exactly_what_full_evaluation_reports(
    kind: str, rules: set[str]
) -> None:
    resources = variants(kind, random.Random(f"shapes-{kind}"), 240)
    memoised = [_outcome(resource) for resource in resources]  # later ones reuse earlier shapes
    assert memoised == [_fully_evaluated(resource) for resource in resources]
    keys = [_key(kind, resource) for resource in resources]
    assert len(set(keys)) < 0.75 * len(keys), "most answers should come from the memo"
    reported = _rules_reported(memoised)
    common = {"cardinality", "binding", "reference-target", "ele-1", "fhir.null", "must-support"}
    assert common | rules <= reported, "the variants must break the rules they test"


@pytest.mark.parametrize("kind", ["Patient", "Immunization", "Condition"])
def test_whether_empty_elements_finds_anything_is_a_function_of_the_shape(kind: str) -> None:
    by_key: dict[object, set[bool]] = {}
    for resource in variants(kind, random.Random(f"empties-{kind}"), 300):
        key = _key(kind, resource)
        by_key.setdefault(key, set()).add(any(empty_elements(resource, kind)))
    assert all(len(found) == 1 for found in by_key.values())
    assert set().union(*by_key.values()) == {True, False}


def _patient(msix_id: str = "100000000017", family: str = "Ortega") -> Resource:
    return {
        "resourceType": "Patient",
        "id": msix_id,
        "identifier": [
            {"system": MSIX_ID_SYSTEM, "value": msix_id},
            {"system": student_id_system("TX"), "value": "TX0004417"},
        ],
        "name": [{"use": "official", "family": family, "given": ["Rosa"]}],
        "telecom": [{"system": "phone", "value": "555-0100"}],
        "gender": "female",
        "birthDate": "2014-03-09",
    }


class _Gender(enum.StrEnum):
    BOGUS = "bogus"


class _Text(str):
    def __repr__(self) -> str:
        return f"Text({super().__repr__()})"


@pytest.mark.parametrize(
    ("plain", "python_only"),
    [
        ({"gender": "bogus"}, {"gender": _Gender.BOGUS}),  # the message shows its repr
        ({"managingOrganization": {"reference": "Group/1"}},
         {"managingOrganization": {"reference": _Text("Group/1")}}),
        ({"birthDate": "2014-03-09"}, {"birthDate": date(2014, 3, 9)}),
        ({"name": [{"family": "A"}]}, {"name": ({"family": "A"},)}),  # a tuple is no array
        ({"multipleBirthInteger": 2}, {"multipleBirthInteger": float("nan")}),
        ({"name": [{"family": "A"}]}, {"name": [{"family": "A", 1: "x"}]}),
        ({"identifier": [{"system": MSIX_ID_SYSTEM, "value": "100000000017"}]},
         {"identifier": [{"system": MSIX_ID_SYSTEM, "value": "100000000017", "period": {"x"}}]}),
    ],
)  # fmt: skip
def test_python_values_json_lacks_get_what_full_evaluation_gives(
    plain: Resource, python_only: Resource
) -> None:
    for resource in ({**_patient(), **plain}, {**_patient(), **python_only}):
        assert _outcome(resource) == _fully_evaluated(resource)


def test_resources_differing_only_in_values_no_rule_reads_share_a_shape() -> None:
    other = _patient("200000000034", "Nguyen")
    other["identifier"][1]["value"] = "TX77"
    other["telecom"][0]["value"] = "555-0199"
    other["birthDate"] = "2012-11-30"
    assert _memo("Patient").key(_patient()) == _memo("Patient").key(other)


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[Resource], None]:
    def change(resource: Resource) -> None:
        node: Any = resource
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (_set(("id",), "10000000001"), "msix-pat-2 matches the id against 12 digits"),
        (_set(("identifier", 0, "value"), "1000000000"), "msix-id-1 matches the MSIX ID"),
        (_set(("identifier", 1, "system"), "urn:msix:state:Texas:student"), "msix-id-2"),
        (_set(("identifier", 0, "system"), "urn:other"), "msix-pat-1 compares with a literal"),
        (_set(("identifier", 1, "value"), "X" * 16), "maxLength 15"),
        (_set(("gender",), "alien"), "a required binding"),
        (_set(("name", 0, "use"), "nickname-ish"), "a required binding"),
        (_set(("name", 0, "given"), []), "cardinality and ele-1 see the empty list"),
        (_set(("name", 0, "given"), ["Rosa", "Ana"]), "a list's length is counted"),
        (_set(("telecom", 0, "system"), None), "null is not absent"),
        (_set(("telecom", 0, "period"), {}), "an element no rule names is still an element"),
        (_set(("_birthDate",), {"extension": []}), "a primitive's extension counts as present"),
    ],
)
def test_a_value_some_rule_reads_changes_the_shape(
    change: Callable[[Resource], None], why: str
) -> None:
    changed = copy.deepcopy(_patient())
    change(changed)
    assert _memo("Patient").key(_patient()) != _memo("Patient").key(changed), why


def _condition(status: str, verification: str = "confirmed") -> Resource:
    return {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": status}]},
        "verificationStatus": {"coding": [{"system": VERIFICATION, "code": verification}]},
        "code": {"text": "asthma"},
        "subject": {"reference": "Patient/100000000017"},
        "abatementDateTime": "2019-09-01",
    }


def test_a_reference_is_keyed_on_whether_its_target_type_is_allowed() -> None:
    memo = _memo("Patient")
    by_target = {
        target: memo.key({**_patient(), "managingOrganization": {"reference": target}})
        for target in ("Organization/1", "Organization/2", "Patient/1")
    }
    assert by_target["Organization/1"] == by_target["Organization/2"]
    assert by_target["Organization/1"] != by_target["Patient/1"]


def test_codes_an_invariant_compares_with_a_literal_are_kept_and_others_are_not() -> None:
    memo = _memo("Condition")
    assert memo.key(_condition("resolved")) != memo.key(_condition("active"))  # con-4
    assert memo.key(_condition("active", "entered-in-error")) != memo.key(_condition("active"))
    # Neither "active" nor "recurrence" is a literal of con-3/4/5, and both are in the binding.
    assert memo.key(_condition("recurrence")) == memo.key(_condition("active"))


def test_a_memoised_answer_is_a_fresh_list_each_time() -> None:
    first = validate_resource(_patient())
    first.clear()
    assert validate_resource(_patient()) != []


def test_a_profile_whose_invariant_reads_the_clock_is_not_memoised() -> None:
    root = ElementRule("Patient", "Patient", ("Patient",), 0, None, ())
    clock = Invariant("t-3", Severity.ERROR, "t", "birthDate <= today()", "Patient")
    root.invariants = InvariantGroup((clock,))
    index_rule(root)
    assert ShapeMemo(root, [root.invariants]).key({"resourceType": "Patient"}) is None


def test_a_resource_too_large_to_memoise_is_walked_every_time() -> None:
    huge = _patient()
    huge["identifier"] += [{"system": MSIX_ID_SYSTEM, "value": "1"} for _ in range(5000)]
    assert _memo("Patient").key(huge) is None
    assert ("msix-pat-1", "Patient") in [(i.rule, i.location) for i in validate_resource(huge)]


@pytest.mark.parametrize("count", [1, 2, 3])
def test_a_string_is_keyed_on_which_patterns_it_matches(count: int) -> None:
    patterns = tuple(
        re.compile(text, re.DOTALL) for text in ("^[0-9]{12}$", "^urn:msix:state:", "x$")[:count]
    )
    token_of = shapes._outcomes(patterns)
    strings = ("123456789012", "urn:msix:state:TX:student", "urn:msix:state:x", "box", "", "12")
    outcomes = set()
    for value in strings:
        found = tuple(pattern.search(value) is not None for pattern in patterns)
        assert token_of(value) == (shapes._ABSTRACT, *found), value
        outcomes.add(found)
    assert len({token_of(value) for value in strings}) == len(outcomes) > 1
