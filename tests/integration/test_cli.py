from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hub.app import create_app
from hub.cli import app as cli
from hub.config import Settings
from hub.store import Store

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MSIX_DEMO", "1")
    return tmp_path / "var"


def _msix(*args: str, stdin: str | None = None) -> str:
    result = runner.invoke(cli, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def test_users_add_list_disable_deactivate(data_dir: Path) -> None:
    _msix(
        "users",
        "add",
        "mlopez",
        "--name",
        "Marisol Lopez",
        "--email",
        "mlopez@example.org",
        "--role",
        "primary_user",
        "--jurisdiction",
        "WA",
        "--password-stdin",
        "--data-dir",
        str(data_dir),
        stdin="a-long-enough-passphrase\n",
    )
    listing = _msix("users", "list", "--data-dir", str(data_dir))
    assert re.search(r"mlopez\s+active\s+primary_user\s+WA", listing)
    assert "is disabled" in _msix("users", "disable", "mlopez", "--data-dir", str(data_dir))
    assert "is deactivated" in _msix("users", "deactivate", "mlopez", "--data-dir", str(data_dir))

    refused = runner.invoke(cli, ["users", "enable", "mlopez", "--data-dir", str(data_dir)])
    assert refused.exit_code != 0

    store = Store(Settings(demo=True, data_dir=data_dir))
    try:
        events = store.call(store.audit.recent)
        assert len(events) == 3  # add, disable, deactivate — each audited
        assert all(
            event["agent"][0]["who"]["identifier"]["value"].startswith("console:")
            for event in events
        )
    finally:
        store.close()


def test_a_new_client_secret_is_printed_once_and_works(data_dir: Path) -> None:
    output = _msix(
        "clients",
        "add",
        "WA vendor",
        "--scope",
        "system/Patient.read",
        "--jurisdiction",
        "WA",
        "--client-id",
        "wa-vendor",
        "--data-dir",
        str(data_dir),
    )
    secret = re.search(r"client_secret: (\S+)", output)
    assert secret is not None
    assert secret.group(1) not in _msix("clients", "list", "--data-dir", str(data_dir))

    with TestClient(create_app(Settings(demo=True, data_dir=data_dir))) as http:
        granted = http.post(
            "/auth/token",
            data={"grant_type": "client_credentials"},
            auth=("wa-vendor", secret.group(1)),
        )
        assert granted.status_code == 200
        assert granted.json()["scope"] == "system/Patient.read"

    assert "is revoked" in _msix("clients", "revoke", "wa-vendor", "--data-dir", str(data_dir))
    with TestClient(create_app(Settings(demo=True, data_dir=data_dir))) as http:
        refused = http.post(
            "/auth/token",
            data={"grant_type": "client_credentials"},
            auth=("wa-vendor", secret.group(1)),
        )
        assert refused.status_code == 401


def test_demo_prints_a_client_that_obtains_a_token(tmp_path: Path) -> None:
    demo_dir = tmp_path / "demo"
    output = _msix("demo", "--data-dir", str(demo_dir), "--children", "40", "--no-serve")
    loaded = re.search(
        r"(\d+) synthetic children, (\d+) state records ingested from 4 native state files "
        r"\((\d+) rejected\); (\d+) consolidated",
        output,
    )
    assert loaded is not None
    children, records, rejected, consolidated = (int(group) for group in loaded.groups())
    assert children == 40
    assert records >= 40
    assert rejected == 0
    client_id = re.search(r"client_id:\s+(\S+)", output)
    secret = re.search(r"client_secret:\s+(\S+)", output)
    assert client_id is not None
    assert secret is not None

    settings = Settings(demo=True, data_dir=demo_dir)
    with TestClient(create_app(settings)) as http:
        assert http.get("/healthz").status_code == 200
        token = http.post(
            "/auth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id.group(1), secret.group(1)),
        )
        assert token.status_code == 200
        assert token.json()["token_type"] == "bearer"
        store: Store = http.app.state.store  # type: ignore[attr-defined]
        # Identity resolution linked the states' records of a child: fewer children than
        # records, never fewer than the true children (twins and siblings are not merged).
        assert store.call(store.students.count) == consolidated
        assert children <= consolidated < records
        # A child the demo's states share has one Patient listing every linked state record.
        shared = [
            (msix_id, keys)
            for msix_id, keys in store.call(lambda: list(store.students.iter_links()))
            if len({key.split(":")[0] for key in keys}) >= 2
        ]
        assert shared
        for msix_id, keys in shared:
            patient = store.call(store.fhir.read, "Patient", msix_id).resource
            listed = {
                f"{item['system'].split(':')[3]}:{item['value']}"
                for item in patient["identifier"]
                if item["system"].startswith("urn:msix:state:")
            }
            assert listed == set(keys), msix_id
        batches = store.call(lambda: store.engine.db["ingest_batches"].count_documents({}))
        assert batches == 4
        # Each sample state declared its regions, so its near matches can escalate through them.
        for state in ("CA", "FL", "TX", "WA"):
            assert set(store.call(store.regions.of_state, state).values()) >= {"Region 1"}
        routed = store.call(lambda: list(store.engine.db["worklist"].find({}, {"route": 1})))
        assert all(
            item["route"]["region"] is not None
            for item in routed
            if item["route"]["district"] is not None
        )


def test_demo_users_can_sign_in_with_the_printed_passwords(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from hub.security import users

    demo_dir = tmp_path / "demo"
    output = _msix("demo", "--data-dir", str(demo_dir), "--children", "5", "--no-serve")
    password = re.search(r"registrar\s+(\S+)", output)
    assert password is not None
    settings = Settings(demo=True, data_dir=demo_dir)
    store = Store(settings)
    try:
        result = store.call(
            users.authenticate,
            store.users,
            "registrar",
            password.group(1),
            now=datetime.now(UTC),
            settings=settings,
        )
        assert result.user.username == "registrar"
    finally:
        store.close()
