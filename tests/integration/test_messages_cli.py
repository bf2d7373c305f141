"""`msix send`, `msix inbox` and `msix messages` against the real app on a loopback port."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from hub.cli import app as cli
from hub.config import Settings
from hub.messages.bodies import Body, MoveNotification, Ping, StudentRef, message_type_of
from hub.messages.body_xml import body_element
from hub.messages.envelope import HUB, Header, Party, build_message, new_message_id, parse_message
from hub.security import Jurisdiction, create_client
from hub.store import Store
from tests.integration.loopback_receiver import Receiver

SCOPES = ["msix/messages.write", "msix/messages.read"]
DEMO = {"MSIX_DEMO": "1"}  # the hub-side commands open the test's store in demo mode


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # The served app runs no push worker of its own: `msix messages deliver` does the pushing.
    return Settings(demo=True, data_dir=tmp_path / "var", push_interval_seconds=0)


def _credentials(app: FastAPI, state: str) -> list[str]:
    store: Store = app.state.store
    client_id = f"{state.lower()}-cli-school"
    _, secret = store.call(
        lambda: create_client(
            store.clients,
            name=f"{state} school (synthetic)",
            scopes=SCOPES,
            jurisdiction=Jurisdiction(state=state),
            now=datetime.now(UTC),
            client_id=client_id,
        )
    )
    assert secret is not None
    return ["--client-id", client_id, "--client-secret", secret]


def _message(body: Body, state: str) -> tuple[str, bytes]:
    header = Header(
        message_id=new_message_id(),
        message_type=message_type_of(body),
        sender=Party(state, "urn:msix:nces-lea", f"{state}0001"),
        receiver=HUB,
        created=datetime.now(UTC),
    )
    return header.message_id, build_message(header, body_element(body))


def test_send_prints_a_checked_answer(app: FastAPI, live_server: str, tmp_path: Path) -> None:
    _, data = _message(Ping("cli"), "TX")
    path = tmp_path / "ping.xml"
    path.write_bytes(data)
    result = CliRunner().invoke(
        cli, ["send", str(path), "--to", live_server, *_credentials(app, "TX")]
    )
    assert result.exit_code == 0, result.output
    assert "<Acknowledgement>" in result.stdout
    assert "Acknowledgement (valid)" in result.stderr


def test_send_exits_1_on_an_error_answer(app: FastAPI, live_server: str, tmp_path: Path) -> None:
    _, data = _message(Ping("not mine"), "CA")
    path = tmp_path / "ping.xml"
    path.write_bytes(data)
    result = CliRunner().invoke(
        cli, ["send", str(path), "--to", live_server, *_credentials(app, "TX")]
    )
    assert result.exit_code == 1, result.output
    assert "Error Security" in result.stderr


def test_inbox_lists_saves_and_acknowledges(app: FastAPI, live_server: str, tmp_path: Path) -> None:
    store: Store = app.state.store
    message_id, data = _message(
        MoveNotification(StudentRef(msix_id="104729384756"), "TX", "WA"), "TX"
    )
    fields = {"message_type": "MoveNotification", "message": data, "expires": None}
    store.call(store.messages.deliver, "WA", message_id, fields, now=datetime.now(UTC))
    credentials = _credentials(app, "WA")
    saved = tmp_path / "saved"
    result = CliRunner().invoke(
        cli, ["inbox", "--to", live_server, *credentials, "--save", str(saved), "--ack"]
    )
    assert result.exit_code == 0, result.output
    assert message_id in result.stdout
    assert "MoveNotification" in result.stdout
    kept = (saved / f"{message_id.removeprefix('urn:uuid:')}.xml").read_bytes()
    original = parse_message(data, max_bytes=len(data))
    assert parse_message(kept, max_bytes=len(data)).header == original.header
    entry = store.call(store.messages.entry, "WA", message_id)
    assert entry is not None
    assert entry["status"] == "acknowledged"


def test_endpoint_is_registered_and_deliver_once_pushes_the_mailbox(
    app: FastAPI, live_server: str, receiver: Receiver, settings: Settings
) -> None:
    credentials = _credentials(app, "WA")
    registered = CliRunner().invoke(
        cli, ["messages", "endpoint", "--to", live_server, *credentials, "--url", receiver.url]
    )
    assert registered.exit_code == 0, registered.output
    shown = json.loads(registered.stdout)
    assert (shown["mailbox"], shown["url"]) == ("WA", receiver.url)
    receiver.secret = shown["signing_secret"]

    store: Store = app.state.store
    message_id, data = _message(
        MoveNotification(StudentRef(msix_id="104729384756"), "TX", "WA"), "TX"
    )
    fields = {"message_type": "MoveNotification", "message": data, "expires": None}
    store.call(store.messages.deliver, "WA", message_id, fields, now=datetime.now(UTC))

    # `deliver` runs its loop with asyncio.run, as from a shell; a browser test earlier in the
    # session leaves Playwright's loop running on this thread, so the command gets its own.
    with ThreadPoolExecutor(max_workers=1) as thread:
        delivered = thread.submit(
            CliRunner().invoke,
            cli,
            ["messages", "deliver", "--once", "--data-dir", str(settings.data_dir)],
            env=DEMO,
        ).result()
    assert delivered.exit_code == 0, delivered.output
    assert "pushed 1: 1 acknowledged" in delivered.stdout
    assert receiver.message_ids() == [message_id]
    assert receiver.signatures_valid == [True]
    entry = store.call(store.messages.entry, "WA", message_id)
    assert entry is not None
    assert entry["status"] == "acknowledged"

    removed = CliRunner().invoke(
        cli, ["messages", "endpoint", "--to", live_server, *credentials, "--remove"]
    )
    assert removed.exit_code == 0, removed.output
    assert store.call(store.messages.endpoint, "WA") is None


def test_requeue_gives_a_dead_letter_new_attempts(settings: Settings) -> None:
    store = Store(settings)
    try:
        store.call(store.messages.deliver, "WA", "urn:uuid:dead", {}, now=datetime.now(UTC))
        command = ["messages", "requeue", "WA", "urn:uuid:dead"]
        data_dir = ["--data-dir", str(settings.data_dir)]
        missing = CliRunner().invoke(cli, [*command, *data_dir], env=DEMO)
        assert missing.exit_code != 0  # pending, not dead: nothing to requeue
        now = datetime.now(UTC)
        (lease,) = store.call(
            store.messages.lease_due, ["WA"], now=now, until=now + timedelta(minutes=2)
        )
        store.call(
            store.messages.settle,
            "WA",
            "urn:uuid:dead",
            lease["lease_id"],
            status="dead",
            now=datetime.now(UTC),
        )
        requeued = CliRunner().invoke(cli, [*command, *data_dir], env=DEMO)
        assert requeued.exit_code == 0, requeued.output
        entry = store.call(store.messages.entry, "WA", "urn:uuid:dead")
        assert entry is not None
        assert (entry["status"], entry["attempts"]) == ("pending", 0)
    finally:
        store.close()
