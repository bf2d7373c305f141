"""Every example under profiles/examples/ validates as its file name says.

`<Type>-valid-<case>.json` must have no errors; `<Type>-invalid-<case>.json` must have exactly the
errors (rule, FHIRPath location) its `.expected.json` lists, and the R4B models alone must accept
it: each invalid example shows a rule only the profile layer enforces. New examples are found
without new test code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from fhir.resources.R4B import get_fhir_model_class

from hub.fhir import PROFILES_DIR, validate_resource

EXAMPLES = PROFILES_DIR / "examples"
VALID = sorted(EXAMPLES.glob("*-valid-*.json"))
INVALID = sorted(
    p for p in EXAMPLES.glob("*-invalid-*.json") if not p.name.endswith(".expected.json")
)


def _load(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


def test_there_are_valid_and_invalid_examples_of_each_profiled_type() -> None:
    for kind in ("Patient", "Immunization", "Condition"):
        assert any(path.name.startswith(f"{kind}-") for path in VALID), kind
        assert any(path.name.startswith(f"{kind}-") for path in INVALID), kind


@pytest.mark.parametrize("path", VALID, ids=lambda path: path.name)
def test_a_valid_example_has_no_errors_or_warnings(path: Path) -> None:
    issues = validate_resource(_load(path))
    assert [issue for issue in issues if issue.severity.value != "information"] == []


@pytest.mark.parametrize("path", INVALID, ids=lambda path: path.name)
def test_an_invalid_example_has_exactly_its_expected_errors(path: Path) -> None:
    expected = _load(path.with_name(path.name.removesuffix(".json") + ".expected.json"))
    issues = validate_resource(_load(path))
    found = sorted([issue.rule, issue.location] for issue in issues if issue.is_error)
    assert found == sorted(expected["errors"])
    assert found, "an invalid example must break at least one rule"


@pytest.mark.parametrize("path", INVALID, ids=lambda path: path.name)
def test_the_r4b_models_alone_accept_each_invalid_example(path: Path) -> None:
    resource = _load(path)
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
