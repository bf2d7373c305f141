"""`msix validate FILE`: the OperationOutcome of a FHIR JSON file, with a telling exit code."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hub.cli import app
from hub.fhir import PROFILES_DIR

EXAMPLES = PROFILES_DIR / "examples"
runner = CliRunner()


def test_a_valid_resource_exits_0_with_an_informational_outcome() -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLES / "Patient-valid-two-states.json")])
    assert result.exit_code == 0
    outcome = json.loads(result.stdout)
    assert {issue["severity"] for issue in outcome["issue"]} == {"information"}


def test_an_invalid_resource_exits_1_listing_every_located_error() -> None:
    path = EXAMPLES / "Condition-invalid-entered-in-error-with-status.json"
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    outcome = json.loads(result.stdout)
    errors = [issue["expression"][0] for issue in outcome["issue"] if issue["severity"] == "error"]
    assert errors == [
        "Condition",
        "Condition.clinicalStatus.coding[0]",
        "Condition.category[0].coding[0]",
        "Condition.subject.reference",
    ]


def test_a_file_that_is_not_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "record.xml"
    path.write_text("<Patient/>", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["issue"][0]["severity"] == "error"
