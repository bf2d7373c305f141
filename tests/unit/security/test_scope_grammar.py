from __future__ import annotations

import pytest

from hub.errors import ValidationError
from hub.security import Scope
from hub.security.scopes import SUPPORTED_SCOPES, parse_scopes, split_scope_parameter


@pytest.mark.parametrize(
    ("text", "context", "resource", "permissions"),
    [
        ("system/Patient.read", "system", "Patient", "rs"),
        ("system/Immunization.write", "system", "Immunization", "cud"),
        ("system/*.read", "system", "*", "rs"),
        ("system/Condition.*", "system", "Condition", "cruds"),
        ("system/Patient.rs", "system", "Patient", "rs"),
        ("system/Patient.cruds", "system", "Patient", "cruds"),
        ("system/Condition.r", "system", "Condition", "r"),
        ("patient/Condition.rs", "patient", "Condition", "rs"),
        ("msix/messages.write", "msix", "messages", "cud"),
        ("msix/health.read", "msix", "health", "rs"),
    ],
)
def test_scope_parses_into_context_resource_and_permission_letters(
    text: str, context: str, resource: str, permissions: str
) -> None:
    scope = Scope.parse(text)
    assert (scope.context, scope.resource, scope.permissions) == (
        context,
        resource,
        frozenset(permissions),
    )
    assert str(scope) == text


def test_v2_scope_keeps_its_query_narrowing() -> None:
    scope = Scope.parse("system/Condition.rs?category=problem-list-item")
    assert scope.query == frozenset({("category", "problem-list-item")})


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Patient.read",
        "system/patient.read",  # resource types start upper case
        "system/Patient.rw",  # not a v1 word, not cruds letters
        "system/Patient.sr",  # v2 letters must be in cruds order
        "system/Patient.",
        "admin/Patient.read",
        "system/Patient.read?category=x",  # only v2 scopes take a query
        "system/Condition.rs?category",  # query without a value
        "msix/messages.rs",  # hub scopes are a closed list
        "msix/everything.read",
        "openid",
    ],
)
def test_malformed_scope_is_a_located_validation_error(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Scope.parse(text)
    assert caught.value.issues[0].location == "scope"


def test_parse_scopes_reports_every_malformed_scope_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_scopes(["system/Patient.read", "bad", "worse/x"])
    assert len(caught.value.issues) == 2


@pytest.mark.parametrize(
    ("held", "required"),
    [
        ("system/Patient.read", "system/Patient.rs"),
        ("system/Patient.rs", "system/Patient.read"),
        ("system/Patient.write", "system/Patient.cud"),
        ("system/Patient.cud", "system/Patient.write"),
        ("system/Patient.cruds", "system/Patient.read"),
        ("system/Patient.cruds", "system/Patient.write"),
        ("system/Patient.*", "system/Patient.cruds"),
        ("system/Patient.read", "system/Patient.r"),
        ("system/Patient.read", "system/Patient.s"),
        ("system/*.read", "system/Immunization.read"),
        ("system/*.rs", "system/Condition.read"),
        ("system/Condition.rs", "system/Condition.rs?category=problem-list-item"),
        (
            "system/Condition.rs?category=health-concern",
            "system/Condition.rs?category=health-concern",
        ),
        ("msix/messages.write", "msix/messages.write"),
    ],
)
def test_held_scope_grants_equivalent_or_narrower_scope(held: str, required: str) -> None:
    assert Scope.parse(held).grants(required)


@pytest.mark.parametrize(
    ("held", "required"),
    [
        ("system/Patient.read", "system/Patient.write"),
        ("system/Patient.write", "system/Patient.read"),
        ("system/Patient.rs", "system/Patient.cruds"),
        ("system/Patient.r", "system/Patient.read"),  # read means r and s
        ("system/Patient.read", "system/Immunization.read"),
        ("system/Patient.read", "system/*.read"),  # a wildcard is not granted by one type
        ("patient/Patient.read", "system/Patient.read"),
        ("system/Patient.read", "patient/Patient.read"),
        ("system/Condition.rs?category=health-concern", "system/Condition.rs"),
        (
            "system/Condition.rs?category=health-concern",
            "system/Condition.rs?category=problem-list-item",
        ),
        ("msix/messages.read", "msix/messages.write"),
        ("msix/messages.write", "msix/ingest.write"),
        ("system/*.cruds", "msix/health.read"),
    ],
)
def test_held_scope_does_not_grant_more_than_it_says(held: str, required: str) -> None:
    assert not Scope.parse(held).grants(required)


def test_scope_parameter_splits_on_spaces_and_drops_duplicates() -> None:
    assert split_scope_parameter(
        " system/Patient.read  msix/messages.read system/Patient.read"
    ) == [
        "system/Patient.read",
        "msix/messages.read",
    ]
    assert split_scope_parameter(None) == []


def test_every_advertised_scope_parses() -> None:
    assert len(parse_scopes(SUPPORTED_SCOPES)) == len(SUPPORTED_SCOPES)
