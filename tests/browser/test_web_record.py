"""Search, the consolidated record, print, health visibility, near matches and the two-person rule
in Debian's Chromium. Children are ingested through the real ingest service; no page runs script.
"""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from hub.security import Role
from hub.store import Store
from tests.integration.web_records import (
    PASSWORD,
    account,
    birth_date,
    child_of,
    load_guadalupe,
    near_match,
)


@pytest.fixture
def hub(app: FastAPI, live_server: str) -> Store:
    store: Store = app.state.store
    for username, role in (
        ("registrar1", Role.SECONDARY_USER),
        ("nurse1", Role.PRIMARY_USER),
        ("da-tx", Role.DATA_ADMIN_STATE),
        ("da-tx-2", Role.DATA_ADMIN_STATE),
    ):
        account(store, username, role)
    return store


def _sign_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def _search_by_name(page: Page, base: str, first: str, last: str, born: str) -> None:
    page.goto(f"{base}/search")
    page.get_by_label("First name", exact=True).fill(first)
    page.get_by_label("Last name 1 (paternal)", exact=True).fill(last)
    page.get_by_label("Birth date", exact=True).fill(born)
    page.get_by_role("button", name="Search by name").click()


def test_a_misspelled_name_finds_the_child_whose_record_opens_and_prints(
    page: Page, live_server: str, hub: Store
) -> None:
    msix_id = load_guadalupe(hub)
    _sign_in(page, live_server, "registrar1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    _search_by_name(page, live_server, "Guadelupe", "Hernandes", birth_date("TX"))
    results = page.get_by_role("table")
    expect(page.get_by_role("heading", name=re.compile("found"))).to_have_text("1 child found")
    results.get_by_role("link", name="Hernández Ruiz, Guadalupe").click()
    expect(page).to_have_url(f"{live_server}/children/{msix_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Guadalupe Hernández Ruiz")
    expect(page.get_by_role("heading", name="Courses and credits")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Enrollments across states"))).to_be_visible()
    page.get_by_role("link", name="Print for the enrolling school").click()
    expect(page).to_have_url(f"{live_server}/children/{msix_id}/print")
    expect(page.get_by_role("navigation")).to_have_count(0)
    page.emulate_media(media="print")
    expect(page.get_by_role("link", name="Back to the record")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    pdf = page.pdf()  # the print stylesheet lays the record out on paper
    assert pdf.startswith(b"%PDF")


def test_a_birth_date_with_day_and_month_swapped_finds_the_child(
    page: Page, live_server: str, hub: Store
) -> None:
    msix_id = load_guadalupe(hub)
    born = birth_date("TX")
    _sign_in(page, live_server, "registrar1")
    _search_by_name(
        page, live_server, "Guadalupe", "Hernandez", f"{born[:4]}-{born[8:]}-{born[5:7]}"
    )
    first = page.get_by_role("table").get_by_role("row").nth(1)
    expect(first).to_contain_text("Hernández Ruiz, Guadalupe")
    expect(first).to_contain_text(msix_id)


def test_a_registrar_cannot_see_immunizations_while_a_nurse_can(
    page: Page, live_server: str, hub: Store
) -> None:
    msix_id = load_guadalupe(hub)
    _sign_in(page, live_server, "registrar1")
    page.goto(f"{live_server}/children/{msix_id}")
    expect(page.get_by_role("heading", name="Health flags")).to_be_visible()
    expect(page.get_by_text("not shown for your role")).to_be_visible()
    expect(page.get_by_role("table", name="Immunizations")).to_have_count(0)
    _sign_in(page, live_server, "nurse1")
    page.goto(f"{live_server}/children/{msix_id}")
    expect(page.get_by_role("table", name="Immunizations")).to_be_visible()
    expect(page.get_by_text("not shown for your role")).to_have_count(0)


def test_a_data_administrator_resolves_a_near_match(
    page: Page, live_server: str, hub: Store
) -> None:
    item = near_match(hub)
    _sign_in(page, live_server, "da-tx")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    page.get_by_role("link", name="Near match").first.click()
    expect(page).to_have_url(f"{live_server}/worklist/{item['_id']}")
    expect(page.get_by_role("table").first).to_contain_text("Villanueba")
    expect(page.get_by_role("rowheader", name="birth date", exact=True)).to_be_visible()
    page.get_by_role("button", name="Different children").click()
    expect(page.get_by_role("status")).to_contain_text("Decided: different children")
    decided = hub.call(hub.worklist.get, item["_id"])
    assert decided["outcome"] == "different-children"


def test_the_two_person_rule_on_a_merge(page: Page, live_server: str, hub: Store) -> None:
    near_match(hub)
    texas, washington = child_of(hub, "TX", "TX-MATEO"), child_of(hub, "WA", "WA-MATEO")
    _sign_in(page, live_server, "da-tx")
    page.goto(f"{live_server}/children/{texas}")
    page.get_by_label(re.compile("MSIX ID\\(s\\) to merge")).fill(washington)
    page.get_by_role("button", name="Request merge").click()
    expect(page.get_by_role("status")).to_contain_text("Merge requested")
    page.goto(f"{live_server}/worklist")
    page.get_by_role("link", name="Validate user merge").click()
    expect(page.get_by_text("two-person rule")).to_be_visible()
    page.get_by_role("button", name="Approve").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("the initiator of a merge or split cannot validate it")
    assert hub.call(hub.students.resolve, washington)["_id"] == washington  # not merged

    _sign_in(page, live_server, "da-tx-2")
    page.goto(f"{live_server}/worklist")
    page.get_by_role("link", name="Validate user merge").click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("Approved")
    page.goto(f"{live_server}/children/{washington}")
    expect(page.get_by_role("status")).to_contain_text(f"was merged into {texas}")


def test_sending_and_acknowledging_a_move_notice(page: Page, live_server: str, hub: Store) -> None:
    msix_id = load_guadalupe(hub)
    account(hub, "registrar-wa", Role.SECONDARY_USER, "WA")
    _sign_in(page, live_server, "nurse1")
    page.goto(f"{live_server}/children/{msix_id}")
    page.get_by_label("Moving to (state)").fill("WA")
    page.get_by_label("Destination school (if known)").fill("Yakima Valley Elementary")
    page.get_by_label("Expected arrival").fill("2026-12-07")
    page.get_by_role("button", name="Send move notice").click()
    expect(page.get_by_role("status")).to_contain_text("Move notice sent")

    _sign_in(page, live_server, "registrar-wa")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Move notices").click()
    row = page.get_by_role("row", name=re.compile(msix_id))
    expect(row).to_contain_text("TX → WA")
    expect(row).to_contain_text("Yakima Valley Elementary")
    row.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status")).to_have_text("Acknowledged.")
    expect(page.get_by_role("row", name=re.compile(msix_id))).to_contain_text("acknowledged")
