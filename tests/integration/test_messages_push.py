"""Push delivery to a receiver's registered endpoint, against the loopback receiver of
`tests.integration.loopback_receiver` (a second FastAPI app on a real uvicorn port): signed
pushes, acknowledgements, back-off, dead letters, several workers, the app's own worker."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.api.push import HttpPusher, outcome_of
from hub.app import create_app
from hub.config import Settings
from hub.errors import ValidationError
from hub.messages.bodies import (
    AckLevel,
    Acknowledgement,
    AckResult,
    MoveNotification,
    StudentRef,
)
from hub.messages.body_xml import body_element
from hub.messages.envelope import (
    HUB,
    Header,
    MessageType,
    build_message,
    new_message_id,
    parse_message,
    read_mailbox,
)
from hub.messages.signature import verify_push_signature
from hub.services.delivery import (
    DeliveryReport,
    PushResult,
    RetryPolicy,
    check_endpoint_url,
    deliver_due,
)
from hub.store import Store
from tests.integration import messages_helpers as mh
from tests.integration.loopback_receiver import Receiver, free_port
from tests.integration.messages_helpers import MAX, READ, WRITE

Runner = Callable[[Coroutine[Any, Any, Any]], Any]
POLICY = RetryPolicy(max_attempts=3, first_delay=timedelta(seconds=30))


@pytest.fixture
def http(settings: Settings) -> Iterator[TestClient]:
    # No background worker: these tests run the delivery rounds themselves, at chosen times.
    quiet = settings.model_copy(update={"push_interval_seconds": 0})
    with TestClient(create_app(quiet)) as client:
        yield client


@pytest.fixture
def child(http: TestClient) -> str:
    records = mh.synthetic_records("TX", 1)
    mh.ingest(http, records)
    return mh.msix_id_of(http, records[0])


def _register(http: TestClient, receiver: Receiver, url: str | None = None) -> dict[str, str]:
    headers = mh.token(http, "WA", [READ])
    response = http.put("/messages/endpoint", json={"url": url or receiver.url}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mailbox"] == "WA"
    receiver.secret = body["signing_secret"]
    return headers


def _notify(http: TestClient, msix_id: str) -> tuple[str, bytes]:
    notice = MoveNotification(
        StudentRef(msix_id=msix_id), "TX", "WA", expected_arrival=date.today() + timedelta(days=4)
    )
    data = mh.message(notice, "TX")
    response = mh.send(http, data, mh.token(http, "TX", [WRITE]))
    assert response.status_code == 200, response.text
    return parse_message(data, max_bytes=MAX).header.message_id, data


def _round(
    run_async: Runner, store: Store, now: datetime, *, seed: int = 7, **options: Any
) -> DeliveryReport:
    async def go() -> DeliveryReport:
        pusher = HttpPusher(timeout=10)
        try:
            return await deliver_due(
                store, now, send=pusher, policy=POLICY, rng=random.Random(seed), **options
            )
        finally:
            await pusher.aclose()

    report: DeliveryReport = run_async(go())
    return report


def _entry(store: Store, message_id: str) -> dict[str, Any]:
    entry = store.call(store.messages.entry, "WA", message_id)
    assert entry is not None
    return entry


def test_pushed_notice_is_signed_unchanged_and_closed_by_the_receivers_acknowledgement(
    http: TestClient, receiver: Receiver, child: str, run_async: Runner
) -> None:
    washington = _register(http, receiver)
    message_id, sent = _notify(http, child)
    store = mh.store_of(http)

    report = _round(run_async, store, datetime.now(UTC))

    assert (report.leased, report.acknowledged) == (1, 1)
    ((data, headers),) = receiver.pushes
    assert data == sent  # the message as the sender sent it, MessageId included
    assert receiver.signatures_valid == [True]
    assert not verify_push_signature(
        "another secret", data, headers["x-msix-signature"], now=datetime.now(UTC)
    )
    assert (headers["content-type"], headers["x-msix-attempt"]) == ("application/xml", "1")
    assert _entry(store, message_id)["status"] == "acknowledged"
    pulled = http.get("/messages", headers=washington)
    assert read_mailbox(pulled.content, max_bytes=MAX)[0] == []
    assert _round(run_async, store, datetime.now(UTC)).leased == 0  # never pushed again


def test_failed_pushes_back_off_keep_the_message_id_and_end_as_a_pullable_dead_letter(
    http: TestClient, receiver: Receiver, child: str, run_async: Runner
) -> None:
    washington = _register(http, receiver)
    receiver.script = ["503", "503", "503"]
    message_id, _ = _notify(http, child)
    store = mh.store_of(http)
    start = datetime.now(UTC)

    first = _round(run_async, store, start)
    assert (first.leased, first.retrying) == (1, 1)
    retry_at = _entry(store, message_id)["next_attempt_at"].replace(tzinfo=UTC)
    assert timedelta(seconds=15) <= retry_at - start <= timedelta(seconds=30)
    assert _round(run_async, store, retry_at - timedelta(seconds=1)).leased == 0  # not yet due

    second = _round(run_async, store, retry_at)
    assert second.retrying == 1
    third_at = _entry(store, message_id)["next_attempt_at"].replace(tzinfo=UTC)
    assert timedelta(seconds=30) <= third_at - retry_at <= timedelta(seconds=60)

    third = _round(run_async, store, third_at)
    assert (third.leased, third.dead) == (1, 1)
    entry = _entry(store, message_id)
    assert (entry["status"], entry["attempts"], entry["last_error"]) == ("dead", 3, "HTTP 503")
    assert receiver.message_ids() == [message_id] * 3
    assert [headers["x-msix-attempt"] for _, headers in receiver.pushes] == ["1", "2", "3"]
    assert _round(run_async, store, third_at + timedelta(hours=2)).leased == 0

    # The dead letter still waits in the mailbox for a pull.
    entries, _ = read_mailbox(http.get("/messages", headers=washington).content, max_bytes=MAX)
    assert [(e.status, m.header.message_id) for e, m in entries] == [("dead", message_id)]


def test_accepted_push_without_acknowledgement_stays_delivered_until_the_receiver_acks(
    http: TestClient, receiver: Receiver, child: str, run_async: Runner
) -> None:
    washington = _register(http, receiver)
    receiver.script = ["202"]
    message_id, _ = _notify(http, child)
    store = mh.store_of(http)
    report = _round(run_async, store, datetime.now(UTC))
    assert report.delivered == 1
    assert _entry(store, message_id)["status"] == "delivered"
    assert _round(run_async, store, datetime.now(UTC) + timedelta(hours=1)).leased == 0
    assert http.post(f"/messages/{message_id}/ack", headers=washington).status_code == 204
    assert _entry(store, message_id)["status"] == "acknowledged"
    assert len(receiver.pushes) == 1


def test_rejecting_acknowledgement_is_a_dead_letter_at_once(
    http: TestClient, receiver: Receiver, child: str, run_async: Runner
) -> None:
    _register(http, receiver)
    receiver.script = ["reject"]
    message_id, _ = _notify(http, child)
    store = mh.store_of(http)
    assert _round(run_async, store, datetime.now(UTC)).dead == 1
    entry = _entry(store, message_id)
    assert (entry["status"], entry["attempts"]) == ("dead", 1)
    assert entry["last_error"] == "HTTP 200, rejected (not-found)"


def test_unreachable_endpoint_is_retried(
    http: TestClient, receiver: Receiver, child: str, run_async: Runner
) -> None:
    _register(http, receiver, url=f"http://127.0.0.1:{free_port()}/nobody-listens")
    message_id, _ = _notify(http, child)
    store = mh.store_of(http)
    assert _round(run_async, store, datetime.now(UTC)).retrying == 1
    entry = _entry(store, message_id)
    assert (entry["status"], entry["attempts"]) == ("pending", 1)
    assert entry["last_error"].startswith("unreachable")
    assert receiver.pushes == []


def test_two_workers_on_one_data_dir_push_every_entry_exactly_once(
    http: TestClient, receiver: Receiver, child: str, run_async: Runner, settings: Settings
) -> None:
    _register(http, receiver)
    sent = {_notify(http, child)[0] for _ in range(12)}
    other = Store(settings)  # a second process's engine on the same data dir
    try:

        async def both() -> list[DeliveryReport]:
            pusher = HttpPusher(timeout=10)
            try:
                now = datetime.now(UTC)
                rounds = [
                    deliver_due(store, now, send=pusher, policy=POLICY, limit=3)
                    for store in (mh.store_of(http), other, mh.store_of(http), other)
                ]
                return list(await asyncio.gather(*rounds))
            finally:
                await pusher.aclose()

        reports: list[DeliveryReport] = run_async(both())
    finally:
        other.close()
    assert sum(report.acknowledged for report in reports) == 12
    assert sorted(receiver.message_ids()) == sorted(sent)


def test_background_worker_of_the_app_pushes_on_its_own(
    settings: Settings, receiver: Receiver
) -> None:
    busy = settings.model_copy(update={"push_interval_seconds": 0.1})
    with TestClient(create_app(busy)) as http:
        records = mh.synthetic_records("TX", 1)
        mh.ingest(http, records)
        _register(http, receiver)
        message_id, _ = _notify(http, mh.msix_id_of(http, records[0]))
        store = mh.store_of(http)
        deadline = time.monotonic() + 20
        while _entry(store, message_id)["status"] != "acknowledged":
            assert time.monotonic() < deadline, "the app's push worker never delivered"
            time.sleep(0.05)
    assert receiver.message_ids() == [message_id]


def test_endpoint_registration_is_checked_and_can_be_read_and_removed(
    http: TestClient, receiver: Receiver
) -> None:
    reader = mh.token(http, "WA", [READ])
    refused = http.put(
        "/messages/endpoint", json={"url": "http://wa.example.test/inbox"}, headers=reader
    )
    assert refused.status_code == 422
    assert refused.json()["resourceType"] == "OperationOutcome"
    writer_only = mh.token(http, "WA", [WRITE])
    assert (
        http.put("/messages/endpoint", json={"url": receiver.url}, headers=writer_only).status_code
        == 403
    )
    assert http.get("/messages/endpoint", headers=reader).status_code == 404

    _register(http, receiver)
    shown = http.get("/messages/endpoint", headers=reader).json()
    assert (shown["url"], shown["signing_secret"]) == (receiver.url, None)
    assert http.get("/messages/endpoint", headers=mh.token(http, "CA", [READ])).status_code == 404
    assert http.delete("/messages/endpoint", headers=reader).status_code == 204
    assert http.get("/messages/endpoint", headers=reader).status_code == 404


@pytest.mark.parametrize(
    ("status", "answer", "expected"),
    [
        (503, b"", PushResult.RETRY),
        (429, b"", PushResult.RETRY),
        (404, b"", PushResult.REFUSED),
        (204, b"", PushResult.DELIVERED),
        (200, b"<not-a-message/>", PushResult.DELIVERED),
        (200, b"ack-of-another-message", PushResult.DELIVERED),
        (200, b"ack", PushResult.ACKNOWLEDGED),
    ],
)
def test_receiver_answer_maps_to_an_outcome(
    status: int, answer: bytes, expected: PushResult
) -> None:
    message_id = new_message_id()
    if answer.startswith(b"ack"):
        acknowledged = message_id if answer == b"ack" else new_message_id()
        header = Header(new_message_id(), MessageType.ACKNOWLEDGEMENT, HUB, HUB, datetime.now(UTC))
        ack = Acknowledgement(AckLevel.RECEIPT, AckResult.ACCEPTED, acknowledged)
        answer = build_message(header, body_element(ack))
    assert outcome_of(status, answer, message_id).result is expected


def test_retry_delays_grow_and_are_capped() -> None:
    policy = RetryPolicy(first_delay=timedelta(seconds=30), max_delay=timedelta(minutes=5))
    rng = random.Random(1)
    delays = [policy.delay(attempt, rng) for attempt in range(1, 8)]
    for attempt, delay in enumerate(delays, start=1):
        base = min(timedelta(minutes=5), timedelta(seconds=30) * 2 ** (attempt - 1))
        assert base / 2 <= delay <= base


def test_plain_http_outside_loopback_is_refused() -> None:
    assert check_endpoint_url(" https://wa.example.test/in ") == "https://wa.example.test/in"
    assert check_endpoint_url("http://[::1]:8080/in") == "http://[::1]:8080/in"
    for bad in (
        "http://10.0.0.8/in",
        "ftp://wa.example.test/in",
        "https://user:pw@wa.example.test/in",
        "/relative",
    ):
        with pytest.raises(ValidationError):
            check_endpoint_url(bad)
