"""`msix ingest` as an operator runs it: exit codes, acknowledgement files, and kill -9 safety.

kill -9 in the middle of `msix ingest`, then a re-run, ends exactly where a clean run ends.

A canonical JSON lines file of a few thousand synthetic records (with updates, deletes, repeats
and bad records among them) is ingested cleanly into one data dir. Into a second data dir the
same file is ingested, the process is SIGKILLed once records are being stored, run again and
killed again, then run to completion. The two stores are compared after normalising what may
differ (MSIX IDs, timestamps): state records and versions, children by their links, FHIR
resources and history, quarantine, batch and acknowledgement, audit.
"""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from hub.cli import app as cli
from hub.config import Settings
from hub.store import Store
from hub.synth import iter_children
from tests.unit.services.ingest_helpers import jsonl, snapshot

STATE = "TX"
FORMAT = "canonical-jsonl"  # TX also has a native format (its mapping), the default for TX
RECORDS = 2_000
MAX_DOSES = 3  # keeps the test under a minute or two; FHIR writes are still in every record
EXIT_PARTIAL = 1


def _file(path: Path) -> int:
    records: list[dict[str, Any]] = []
    for child in iter_children(17, 5 * RECORDS, states=[STATE, "WA"]):
        for emitted in child.records:
            if emitted.record.student_id.state == STATE and len(records) < RECORDS:
                data = emitted.record.model_dump(mode="json", exclude_none=True)
                data["immunizations"] = data.get("immunizations", [])[:MAX_DOSES]
                records.append(data)
    assert len(records) == RECORDS
    extra: list[dict[str, Any]] = []
    for index in range(0, RECORDS, 97):
        changed = copy.deepcopy(records[index])
        changed["action"] = "U"
        changed["identity"]["middle_name"] = "Cambio"
        extra.append(changed)  # a later update of an earlier record
    for index in range(5, RECORDS, 211):
        extra.append({"student_id": records[index]["student_id"], "action": "D"})
    for index in range(11, RECORDS, 89):
        broken = copy.deepcopy(records[index])
        broken["identity"]["birth_date"] = "2099-01-01"
        records[index] = broken  # rejected; its later update (if any) still lands
    path.write_bytes(jsonl(records + extra))
    return len(records) + len(extra)


def _ingest(data_dir: Path, path: Path, *, watch: bool = False) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MSIX_DEMO": "1", "MSIX_DATA_DIR": str(data_dir)}
    env.pop("MSIX_MONGODB_URI", None)
    command = [sys.executable, "-c", "from hub.cli import main; main()", "ingest", str(path)]
    options = ["--state", STATE, "--format", FORMAT, "--ack", str(data_dir / "acks")]
    return subprocess.Popen(
        [*command, *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if watch else subprocess.DEVNULL,
    )


def _kill_while_storing(data_dir: Path, path: Path, stored_at_least: int, after: float) -> None:
    process = _ingest(data_dir, path, watch=True)
    assert process.stderr is not None
    with process.stderr as progress:
        for raw in progress:
            line = raw.decode()
            if (
                line.startswith("storing ")
                and int(line.split()[1].split("/")[0]) >= stored_at_least
            ):
                break
        else:
            pytest.fail("the ingest ended before it was killed")
        time.sleep(after)
        process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=60) == -signal.SIGKILL


def _batch_state(data_dir: Path) -> tuple[str, int]:
    store = Store(Settings(demo=True, data_dir=data_dir))
    try:
        [batch] = store.call(lambda: list(store.engine.db["ingest_batches"].find()))
        stored = store.call(lambda: store.engine.db["state_records"].count_documents({}))
        return batch["status"], int(stored)
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.timeout(900)  # three ingests of 2,000 records; about a minute on an idle machine
def test_kill_nine_in_the_middle_then_a_rerun_ends_as_a_clean_run(tmp_path: Path) -> None:
    path = tmp_path / "tx-full.jsonl"
    total = _file(path)
    clean, killed = tmp_path / "clean", tmp_path / "killed"

    finished = _ingest(clean, path)
    assert finished.wait(timeout=600) == EXIT_PARTIAL

    _kill_while_storing(killed, path, stored_at_least=400, after=0.3)
    status, stored = _batch_state(killed)
    assert status == "running"
    assert 0 < stored < total
    _kill_while_storing(killed, path, stored_at_least=600, after=0.05)  # killed once more
    rerun = _ingest(killed, path)
    assert rerun.wait(timeout=600) == EXIT_PARTIAL

    expected, got = (Store(Settings(demo=True, data_dir=d)) for d in (clean, killed))
    try:
        want, have = snapshot(expected), snapshot(got)
    finally:
        expected.close()
        got.close()
    assert have.keys() == want.keys()
    for collection in want:
        assert have[collection] == want[collection], collection
    ack = orjson.loads((killed / "acks" / f"{path.name}.ack.json").read_bytes())
    assert ack["counts"]["total"] == total
    assert ack["counts"]["rejected"] > 0


@pytest.mark.parametrize(
    ("broken", "expected_exit", "outcome"),
    [(None, 0, "accepted"), ("record", 1, "partial"), ("file", 2, "rejected")],
)
def test_the_exit_code_says_accepted_partly_or_rejected_and_the_ack_is_written(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    broken: str | None,
    expected_exit: int,
    outcome: str,
) -> None:
    monkeypatch.setenv("MSIX_DEMO", "1")
    records = [
        emitted.record.model_dump(mode="json", exclude_none=True)
        for child in iter_children(23, 12, states=[STATE, "WA"])
        for emitted in child.records
        if emitted.record.student_id.state == STATE
    ][:5]
    if broken == "record":
        records[2]["moves"] = []
    data = jsonl(records) if broken != "file" else b"\xff\xfe not a canonical file\n"
    path = tmp_path / "tx.jsonl"
    path.write_bytes(data)

    result = CliRunner().invoke(
        cli,
        [
            "ingest",
            str(path),
            "--state",
            STATE,
            "--format",
            FORMAT,
            "--data-dir",
            f"{tmp_path}/var",
        ],
    )

    assert result.exit_code == expected_exit, result.output
    ack = orjson.loads((tmp_path / "tx.jsonl.ack.json").read_bytes())
    assert ack["outcome"] == outcome
    assert (tmp_path / "tx.jsonl.ack.xml").read_bytes().startswith(b"<?xml")
    assert f": {outcome}" in result.output
