"""`msix conformance check-file`: a vendor's native file checked per record against its mapping
and the canonical rules, through the same reporters; nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from typer.testing import CliRunner

from hub.cli import app as cli
from hub.cli.conformance import check_state_file
from hub.conformance import Status
from hub.mapping import MAPPINGS_DIR

TX = MAPPINGS_DIR / "tx" / "examples"


def _check(path: Path, report: Path, state: str = "TX") -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(
        cli, ["conformance", "check-file", str(path), "--state", state, "--report", str(report)]
    )
    data = json.loads((report / "results.json").read_text(encoding="utf-8"))
    return result.exit_code, data, result.output


def test_a_good_file_passes_every_record(tmp_path: Path) -> None:
    code, data, output = _check(TX / "basic.txt", tmp_path)

    assert code == 0, output
    assert data["summary"]["fail"] == 0
    assert data["summary"]["pass"] == len(data["tests"]) >= 2


def test_bad_records_fail_with_located_issues_and_exit_code_1(tmp_path: Path) -> None:
    code, data, output = _check(TX / "bad.txt", tmp_path)
    failed = [test for test in data["tests"] if test["status"] == "fail"]

    assert code == 1, output
    assert failed
    messages = " ".join(test["message"] for test in failed)
    assert "record[1].DOB" in messages
    assert "[map.parse_date]" in messages
    junit = etree.parse(str(tmp_path / "junit.xml")).getroot()
    assert int(junit.get("failures", "0")) == len(failed)
    coverage = {item["id"]: item["status"] for item in data["requirements"]}
    assert coverage["map-record-located"] == "fail"
    assert all(key.startswith("map-") for key in coverage)


def test_a_file_rejected_as_a_whole_exits_2(tmp_path: Path) -> None:
    code, data, output = _check(TX / "bad-header.txt", tmp_path)

    assert code == 2, output
    assert data["tests"][0]["id"] == "file"
    assert data["tests"][0]["status"] == "fail"


def test_a_state_without_a_mapping_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["conformance", "check-file", str(TX / "basic.txt"), "--state", "ZZ"]
    )

    assert result.exit_code == 2
    assert "no mapping for ZZ" in result.output


def test_checking_a_file_stores_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSIX_DATA_DIR", str(tmp_path / "var"))
    run = check_state_file(TX / "basic.txt", "TX")

    assert run.test("file").status is Status.PASS
    assert not (tmp_path / "var").exists()


def test_each_record_is_judged_by_four_named_checks() -> None:
    run = check_state_file(TX / "basic.txt", "TX")
    record = next(test for test in run.tests if test.id.startswith("record-"))

    assert [c.status for c in record.check("own_state")] == [Status.PASS]
    assert [c.name for c in record.steps[0].checks] == [
        "mapping_and_canonical_rules",
        "own_state",
        "health_entries_fhir",
        "education_record_xml",
    ]
