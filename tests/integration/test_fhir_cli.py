"""`msix ingest` then `msix fhir refresh-patients`: every ingested child gets a valid Patient,
and a second run writes nothing."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from hub.cli import app as cli
from hub.config import Settings
from hub.fhir import validate_resource
from hub.store import Store
from hub.synth import iter_children

runner = CliRunner()


def test_ingest_writes_a_valid_patient_per_child_and_a_refresh_rewrites_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSIX_DEMO", "1")
    data_dir = tmp_path / "var"
    lines = [
        orjson.dumps(emitted.record.model_dump(mode="json", exclude_none=True))
        for child in iter_children(3, 12, states=["TX"])
        for emitted in child.records
        if emitted.record.student_id.state == "TX"
    ]
    records = tmp_path / "tx.jsonl"
    records.write_bytes(b"\n".join(lines) + b"\n")
    ingest = ["ingest", str(records), "--state", "TX", "--format", "canonical-jsonl"]
    result = runner.invoke(cli, [*ingest, "--data-dir", str(data_dir)])
    assert result.exit_code in (0, 1), result.output
    # The ingest's identity step refreshed each child's Patient: nothing is left to write.
    again = runner.invoke(cli, ["fhir", "refresh-patients", "--data-dir", str(data_dir)])
    assert again.exit_code == 0, again.output
    assert again.output.strip() == "0 Patient(s) written"
    store = Store(Settings(demo=True, data_dir=data_dir))
    try:
        children = store.call(lambda: list(store.students.iter_ids()))
        patients = store.call(store.fhir.read_many, "Patient", children)
    finally:
        store.close()
    assert children
    assert sorted(patients) == sorted(children)
    for stored in patients.values():
        assert [i for i in validate_resource(stored.resource) if i.is_error] == []
