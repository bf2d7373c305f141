"""`msix regions load` / `show`: a state's declaration round-trips; a bad file changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app as cli

runner = CliRunner()


def test_load_then_show_round_trips_and_a_bad_file_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSIX_DEMO", "1")
    data_dir = str(tmp_path / "var")
    good = tmp_path / "tx-regions.csv"
    good.write_text("district_id,region\n4800002,Coast South\n4800001,Valley\n")
    loaded = runner.invoke(
        cli, ["regions", "load", str(good), "--state", "TX", "--data-dir", data_dir]
    )
    assert loaded.exit_code == 0, loaded.output
    assert "2 districts declared (previously 0)" in loaded.output

    bad = tmp_path / "bad.csv"
    bad.write_text("district_id,region\n4800003,\n")
    refused = runner.invoke(
        cli, ["regions", "load", str(bad), "--state", "TX", "--data-dir", data_dir]
    )
    assert refused.exit_code == 2
    assert "bad.csv: line 2, region:" in refused.output
    assert "[regions.name]" in refused.output

    shown = runner.invoke(cli, ["regions", "show", "--state", "TX", "--data-dir", data_dir])
    assert shown.exit_code == 0, shown.output
    assert shown.output == "district_id,region\n4800001,Valley\n4800002,Coast South\n"
    again = tmp_path / "again.csv"
    again.write_text(shown.output)
    reloaded = runner.invoke(
        cli, ["regions", "load", str(again), "--state", "TX", "--data-dir", data_dir]
    )
    assert "2 districts declared (previously 2)" in reloaded.output


def test_a_state_code_must_be_a_usps_code(tmp_path: Path) -> None:
    good = tmp_path / "r.csv"
    good.write_text("district_id,region\n4800001,Valley\n")
    result = runner.invoke(
        cli, ["regions", "load", str(good), "--state", "tx", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
