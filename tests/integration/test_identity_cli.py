"""`msix synth` -> `msix ingest` -> `msix identity eval`: the evaluation command end to end."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from hub.cli import app as cli

runner = CliRunner()


def test_eval_reports_pairwise_figures_for_an_ingested_synthetic_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSIX_DEMO", "1")
    data_dir, out = tmp_path / "var", tmp_path / "synth"
    synth = runner.invoke(cli, ["synth", "--out", str(out), "--children", "40", "--seed", "7"])
    assert synth.exit_code == 0, synth.output
    records = out / "records.jsonl"
    states = {
        orjson.loads(line)["student_id"]["state"] for line in records.read_bytes().splitlines()
    }
    for state in sorted(states):
        lines = [
            line
            for line in records.read_bytes().splitlines()
            if orjson.loads(line)["student_id"]["state"] == state
        ]
        part = tmp_path / f"{state}.jsonl"
        part.write_bytes(b"\n".join(lines) + b"\n")
        result = runner.invoke(
            cli,
            [
                "ingest",
                str(part),
                "--state",
                state,
                "--format",
                "canonical-jsonl",
                "--data-dir",
                str(data_dir),
            ],
        )
        assert result.exit_code in (0, 1), result.output

    result = runner.invoke(
        cli, ["identity", "eval", "--truth", str(out / "truth.jsonl"), "--data-dir", str(data_dir)]
    )

    assert result.exit_code == 0, result.output
    figures = orjson.loads(result.output.strip().splitlines()[-1])
    assert figures["records"] == len(records.read_bytes().splitlines())
    assert figures["children_true"] == 40
    assert 0.0 <= figures["recall"] <= 1.0
    assert figures["precision"] == 1.0 or figures["found_pairs"] > 0
