"""E-mail on arrival: who is told when a worklist item reaches a level, what the notice says
(nothing about the child), and sending through real SMTP on loopback with retries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.config import Settings
from hub.security import AuditAgent, AuditWriter, Caller, Jurisdiction, Role, create_user, disable
from hub.services import worklists
from hub.services.consolidation import find_child_by_state_id
from hub.services.housekeeping import run_housekeeping
from hub.services.regions import declare_regions
from hub.services.worklist_mail import MAX_ATTEMPTS, send_due, smtp_sender
from hub.store import Store
from tests.unit.services.ingest_helpers import STATE, ingest_bytes, jsonl
from tests.unit.services.smtp_sink import smtp_sink

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def _latest_district(record: dict[str, Any]) -> str:
    closed = [e for e in record.get("enrollments", []) if e.get("withdrawal_date")]
    return str(max(closed, key=lambda e: e["withdrawal_date"])["district_id"])


def _user(store: Store, username: str, role: Role, jurisdiction: str) -> None:
    store.call(
        create_user,
        store.users,
        username=username,
        full_name=f"Synthetic {username}",
        email=f"{username}@example.invalid",
        roles=[role],
        jurisdiction=Jurisdiction.parse(jurisdiction),
        password="correct horse battery staple 42",
        now=NOW,
    )


@pytest.fixture
def merge_item(
    store: Store, tx_records: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A merge of two stored TX children awaiting validation, routed to a district whose
    region is declared, with administrators at every level (and some who must not hear)."""
    picked = [
        record
        for record in tx_records
        if any(e.get("withdrawal_date") for e in record.get("enrollments", []))
    ][:2]
    ingest_bytes(store, jsonl(picked))
    ids = [
        store.call(find_child_by_state_id, store, STATE, r["student_id"]["value"]) for r in picked
    ]
    district = _latest_district(picked[1])
    declared = "district_id,region\n" + "".join(f"{_latest_district(r)},Valley\n" for r in picked)
    store.call(declare_regions, store, STATE, declared, agent=AuditAgent("user", "t"), now=NOW)
    _user(store, "ana", Role.DATA_ADMIN_STATE, STATE)  # initiates, so never told to validate
    _user(store, "sam", Role.DATA_ADMIN_STATE, STATE)
    _user(store, "dina", Role.DATA_ADMIN_DISTRICT, f"{STATE}/Valley/{district}")
    _user(store, "dora", Role.DATA_ADMIN_DISTRICT, f"{STATE}/Valley/{district}")
    store.call(disable, store.users, "dora", now=NOW)
    _user(store, "dave", Role.DATA_ADMIN_DISTRICT, f"{STATE}/Valley/0000001")  # another district
    _user(store, "rita", Role.DATA_ADMIN_REGIONAL, f"{STATE}/Valley")
    _user(store, "reg", Role.PRIMARY_USER, f"{STATE}/Valley/{district}")  # no worklist
    _user(store, "wes", Role.DATA_ADMIN_STATE, "WA")
    ana = Caller(
        "user", "ana", frozenset(), Jurisdiction.parse(STATE), frozenset({Role.DATA_ADMIN_STATE})
    )
    master, other = (str(msix_id) for msix_id in ids)
    item = store.call(
        worklists.initiate_merge,
        store,
        ana,
        master=master,
        others=[other],
        now=NOW,
        audit=AuditWriter("test-hub"),
    )
    return item, picked


def _queued(store: Store) -> list[tuple[str, str]]:
    return sorted((n["username"], n["level"]) for n in store.call(store.mail.list, status="queued"))


def test_each_level_tells_exactly_its_own_administrators_once(
    store: Store, settings: Settings, merge_item: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    item, _ = merge_item
    assert item["level"] == "district"
    assert _queued(store) == [("dina", "district")]

    days = timedelta(days=settings.worklist_escalation_days)
    store.call(worklists.escalate, store, settings, now=NOW + days)
    store.call(worklists.escalate, store, settings, now=NOW + days)  # nothing new to tell
    assert _queued(store) == [("dina", "district"), ("rita", "region")]

    store.call(worklists.escalate, store, settings, now=NOW + 2 * days)
    assert _queued(store) == [("dina", "district"), ("rita", "region"), ("sam", "state")]


def test_a_notice_names_the_item_and_nothing_about_the_child(
    store: Store, settings: Settings, merge_item: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    item, records = merge_item
    with smtp_sink() as sink:
        sending = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": sink.port})
        report = send_due(store, sending, smtp_sender(sending), now=NOW)
        again = send_due(store, sending, smtp_sender(sending), now=NOW + timedelta(hours=1))

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    assert again.sent == 0  # sent once, never again
    (message,) = sink.received
    assert message["To"] == "dina@example.invalid"
    assert item["_id"] in message["Subject"]
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    assert item["_id"] in body
    assert "district" in body
    for record in records:
        identity = record["identity"]
        for value in (identity["first_name"], identity["last_name_1"], identity["birth_date"]):
            assert value not in body
            assert value not in message["Subject"]
        assert record["student_id"]["value"] not in body
    assert store.call(store.mail.list, status="sent")[0]["attempts"] == 1


def test_a_refused_notice_is_retried_with_back_off_then_given_up(
    store: Store, settings: Settings, merge_item: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    with smtp_sink() as sink:
        sink.refuse_recipients = True
        sending = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": sink.port})
        clock = NOW
        for attempt in range(1, MAX_ATTEMPTS + 1):
            report = send_due(store, sending, smtp_sender(sending), now=clock)
            (notice,) = store.call(store.mail.list)
            assert notice["attempts"] == attempt
            assert "SMTPRecipientsRefused" in notice["last_error"]
            if attempt < MAX_ATTEMPTS:
                assert (report.retrying, notice["status"]) == (1, "queued")
                wait = notice["next_attempt_at"].replace(tzinfo=UTC) - clock
                assert wait == timedelta(minutes=2 ** (attempt - 1))
                # not due before then
                early = send_due(store, sending, smtp_sender(sending), now=clock + wait / 2)
                assert early.retrying == 0
                clock += wait
            else:
                assert (report.failed, notice["status"]) == (1, "failed")
        assert sink.received == []


def test_a_claimed_notice_is_not_claimed_twice_until_its_lease_runs_out(
    store: Store, merge_item: tuple[dict[str, Any], list[dict[str, Any]]]
) -> None:
    lease = timedelta(minutes=5)
    first = store.call(store.mail.claim, now=NOW, lease=lease, limit=10)
    assert [n["username"] for n in first] == ["dina"]
    assert store.call(store.mail.claim, now=NOW, lease=lease, limit=10) == []
    retaken = store.call(store.mail.claim, now=NOW + lease, lease=lease, limit=10)
    assert [n["username"] for n in retaken] == ["dina"]  # a sender that died lets it go


def test_housekeeping_escalates_waiting_items_and_sends_their_notices(
    store: Store,
    settings: Settings,
    merge_item: tuple[dict[str, Any], list[dict[str, Any]]],
    run_async: Callable[[Coroutine[Any, Any, None]], None],
) -> None:
    """The app's background rounds, run for real on a short interval with the clock a month
    on: the item moves up one level and both waiting notices go out through SMTP."""
    item, _ = merge_item

    async def run_rounds(sending: Settings) -> None:
        stop = asyncio.Event()
        later = NOW + timedelta(days=30)
        task = asyncio.create_task(run_housekeeping(store, sending, stop, clock=lambda: later))
        await asyncio.sleep(0.5)
        stop.set()
        await task

    with smtp_sink() as sink:
        sending = settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": sink.port, "housekeeping_minutes": 0.002}
        )
        run_async(run_rounds(sending))  # on its own thread: see the fixture

    assert store.call(store.worklist.get, item["_id"])["level"] == "region"
    assert sorted(message["To"] for message in sink.received) == [
        "dina@example.invalid",
        "rita@example.invalid",
    ]
