"""Search, the consolidated record, its print and historical views, worklists and reports over
HTTP (TestClient against the real app and embedded store; children ingested through the real
ingest service)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hub.security import Role
from hub.store import Document, Store
from tests.integration.web_records import (
    GUADALUPE,
    PASSWORD,
    account,
    birth_date,
    child_of,
    load_guadalupe,
    near_match,
)

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_CHILD_LINK = re.compile(r'href="/children/(\d{12})"')


@pytest.fixture
def web(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def store(web: TestClient) -> Store:
    opened: Store = web.app.state.store  # type: ignore[attr-defined]
    return opened


@pytest.fixture
def guadalupe(store: Store) -> str:
    for username, role in (
        ("registrar1", Role.SECONDARY_USER),
        ("nurse1", Role.PRIMARY_USER),
        ("da-tx", Role.DATA_ADMIN_STATE),
        ("da-tx-2", Role.DATA_ADMIN_STATE),
        ("ua-tx", Role.USER_ADMIN_STATE),
    ):
        account(store, username, role)
    return load_guadalupe(store)


def _token(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = _CSRF.search(page.text)
    assert found is not None
    return found.group(1)


def _sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    answer = client.post(
        "/signin",
        data={"username": username, "password": PASSWORD, "csrf_token": _token(client, "/signin")},
    )
    assert answer.status_code == 303, answer.text


def _search(client: TestClient, **fields: str) -> Any:
    by = fields.pop("by", "demographics")
    return client.post(
        "/search", data={"by": by, **fields, "csrf_token": _token(client, "/search")}
    )


def _swapped(iso: str) -> str:
    return f"{iso[:4]}-{iso[8:10]}-{iso[5:7]}"


def _audit(store: Store, action: str) -> list[Document]:
    def read() -> list[Document]:
        return [
            doc
            for doc in store.engine.db["audit"].find({})
            if any(code["code"] == action for code in doc["event"]["subtype"])
        ]

    return store.call(read)


# -- search ---------------------------------------------------------------------------------


def test_a_misspelled_name_finds_the_child_and_the_search_is_audited_without_the_terms(
    web: TestClient, store: Store, guadalupe: str
) -> None:
    _sign_in(web, "registrar1")
    answer = _search(
        web, first_name="Guadelupe", last_name_1="Hernandes", birth_date=birth_date("TX")
    )
    assert answer.status_code == 200, answer.text
    assert _CHILD_LINK.findall(answer.text)[0] == guadalupe
    (event,) = _audit(store, "search")
    assert guadalupe in event["entity_msix_ids"]
    stored = str(event["event"])
    assert "Guadelupe" not in stored
    assert "Hernandes" not in stored
    assert birth_date("TX") not in stored


def test_a_birth_date_with_day_and_month_swapped_finds_the_child(
    web: TestClient, guadalupe: str
) -> None:
    _sign_in(web, "registrar1")
    answer = _search(
        web, first_name="Guadalupe", last_name_1="Hernández", birth_date=_swapped(birth_date("TX"))
    )
    assert _CHILD_LINK.findall(answer.text)[0] == guadalupe


def test_a_nickname_finds_the_child(web: TestClient, guadalupe: str) -> None:
    _sign_in(web, "registrar1")
    nickname = _search(web, first_name="Lupe", last_name_1="Hernandez", birth_date=birth_date("TX"))
    assert _CHILD_LINK.findall(nickname.text)[0] == guadalupe


def test_names_without_a_birth_date_find_the_child_through_its_blocking_keys(
    web: TestClient, store: Store, guadalupe: str
) -> None:
    child = store.call(store.students.get, guadalupe)
    assert child is not None
    assert child["blocking_keys"]  # stored by the ingest's identity step
    _sign_in(web, "registrar1")
    by_names = _search(web, first_name="Guadalupe", last_name_1="Hernandez", last_name_2="Ruiz")
    assert guadalupe in _CHILD_LINK.findall(by_names.text)


def test_the_result_list_shows_only_what_is_needed_to_pick_the_child(
    web: TestClient, guadalupe: str
) -> None:
    _sign_in(web, "registrar1")
    answer = _search(
        web, first_name="Guadalupe", last_name_1="Hernandez", birth_date=birth_date("TX")
    )
    results = answer.text[answer.text.index('id="results"') :]
    assert "Hernández Ruiz, Guadalupe" in results
    assert birth_date("TX") in results
    for detail in ("Rosa", "Weslaco", "Itzel", "Mission"):
        assert detail not in results  # parents, birthplace, middle name, schools wait


def test_search_by_msix_id_and_by_state_student_id(web: TestClient, guadalupe: str) -> None:
    _sign_in(web, "registrar1")
    by_id = _search(web, by="msix_id", msix_id=guadalupe)
    assert _CHILD_LINK.findall(by_id.text) == [guadalupe]
    by_state = _search(web, by="state_id", id_state="tx", state_student_id="TX-GUADALUPE")
    assert _CHILD_LINK.findall(by_state.text) == [guadalupe]
    mistyped = guadalupe[:-1] + str((int(guadalupe[-1]) + 1) % 10)
    refused = _search(web, by="msix_id", msix_id=mistyped)
    assert refused.status_code == 422
    assert "check digit" in refused.text


def test_a_search_with_too_little_is_refused_with_a_located_message(
    web: TestClient, guadalupe: str
) -> None:
    _sign_in(web, "registrar1")
    answer = _search(web, last_name_1="Hernandez")
    assert answer.status_code == 422
    assert 'href="#birth_date"' in answer.text
    assert _CHILD_LINK.findall(answer.text) == []


# -- the consolidated record ------------------------------------------------------------------


def test_the_record_shows_provenance_moves_timeline_credits_and_is_audited(
    web: TestClient, store: Store, guadalupe: str
) -> None:
    _sign_in(web, "registrar1")
    page = web.get(f"/children/{guadalupe}")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Guadalupe Hernández Ruiz</h1>" in html
    assert "TX TX-GUADALUPE" in html  # provenance of the identity values
    for heading in (
        "Qualifying moves and eligibility",
        "Enrollment history",
        "Courses and credits",
        "Totals by subject area",
        "Assessments",
        "Health flags",
    ):
        assert heading in html
    assert '<svg class="chart timeline"' in html
    assert "style=" not in html  # the policy forbids inline styles
    (event,) = _audit(store, "view")
    assert event["entity_msix_ids"] == [guadalupe]


def test_a_registrar_sees_health_flags_but_not_immunizations_while_a_nurse_sees_both(
    web: TestClient, guadalupe: str
) -> None:
    _sign_in(web, "registrar1")
    registrar = web.get(f"/children/{guadalupe}").text
    assert "Immunization record on file" in registrar
    assert 'id="immunizations"' not in registrar
    assert "not shown for your role" in registrar
    _sign_in(web, "nurse1")
    nurse = web.get(f"/children/{guadalupe}").text
    assert 'id="immunizations"' in nurse
    assert "not shown for your role" not in nurse


def test_the_print_view_has_no_navigation_or_forms_and_is_audited_as_a_print(
    web: TestClient, store: Store, guadalupe: str
) -> None:
    _sign_in(web, "registrar1")
    page = web.get(f"/children/{guadalupe}/print")
    assert page.status_code == 200
    assert "Consolidated record for enrollment" in page.text
    assert "<nav" not in page.text
    assert "<form" not in page.text
    assert 'href="/static/hub.css"' in page.text
    (event,) = _audit(store, "print")
    assert event["entity_msix_ids"] == [guadalupe]


def test_the_historical_view_shows_each_state_record_with_its_versions(
    web: TestClient, store: Store, guadalupe: str
) -> None:
    _sign_in(web, "nurse1")
    page = web.get(f"/children/{guadalupe}/history")
    assert page.status_code == 200
    assert "TX record TX-GUADALUPE" in page.text
    assert "Versions of TX TX-GUADALUPE" in page.text
    assert "tx-web.jsonl" in page.text


def test_an_unknown_child_is_a_404_page(web: TestClient, guadalupe: str) -> None:
    _sign_in(web, "registrar1")
    assert web.get("/children/123456789012").status_code == 404


def test_a_user_administrator_cannot_open_a_childs_record(web: TestClient, guadalupe: str) -> None:
    _sign_in(web, "ua-tx")
    assert web.get(f"/children/{guadalupe}").status_code == 403
    assert web.get("/search").status_code == 403


# -- move notices ---------------------------------------------------------------------------


def test_a_move_notice_sent_from_the_record_reaches_the_destination_inbox_once(
    web: TestClient, store: Store, guadalupe: str
) -> None:
    account(store, "registrar-wa", Role.SECONDARY_USER, "WA")
    _sign_in(web, "nurse1")
    record_page = web.get(f"/children/{guadalupe}").text
    message_id = re.search(r'name="message_id" value="([^"]+)"', record_page)
    assert message_id is not None
    form = {
        "to_state": "wa",
        "school": "Yakima Valley Elementary",
        "expected_arrival": "2026-12-07",
        "comments": "Family follows the apple harvest.",
        "message_id": message_id.group(1),
    }
    for _ in range(2):  # a resubmitted form is the same message: one notice
        sent = web.post(
            f"/children/{guadalupe}/move-notice",
            data={**form, "csrf_token": _token(web, f"/children/{guadalupe}")},
        )
        assert sent.status_code == 303
        assert sent.headers["location"].endswith("notice=move-notice-sent")
    assert "No move notice" in web.get("/notices").text  # TX receives nothing

    _sign_in(web, "registrar-wa")
    inbox = web.get("/notices").text
    assert inbox.count(f'href="/children/{guadalupe}"') == 1
    assert "Yakima Valley Elementary" in inbox
    answer = web.post(
        "/notices/acknowledge",
        data={"message_id": message_id.group(1), "csrf_token": _token(web, "/notices")},
    )
    assert answer.status_code == 303
    assert "acknowledged</span>" in web.get("/notices").text
    (event,) = [e for e in _audit(store, "move-notice") if "acknowledged" in str(e["event"])]
    assert event["entity_msix_ids"] == [guadalupe]


def test_a_move_notice_to_the_senders_own_state_is_refused_at_the_field(
    web: TestClient, guadalupe: str
) -> None:
    _sign_in(web, "nurse1")
    refused = web.post(
        f"/children/{guadalupe}/move-notice",
        data={"to_state": "TX", "csrf_token": _token(web, f"/children/{guadalupe}")},
    )
    assert refused.status_code == 422
    assert "name the state the child moves to" in refused.text


def test_a_registrar_has_no_move_notice_form(web: TestClient, guadalupe: str) -> None:
    _sign_in(web, "registrar1")
    assert "Send a move notice" not in web.get(f"/children/{guadalupe}").text


# -- worklists --------------------------------------------------------------------------------


def test_a_near_match_shows_both_records_and_the_engines_evidence(
    web: TestClient, store: Store, guadalupe: str
) -> None:
    item = near_match(store)
    _sign_in(web, "da-tx")
    listing = web.get("/worklist")
    assert f"/worklist/{item['_id']}" in listing.text
    page = web.get(f"/worklist/{item['_id']}")
    assert page.status_code == 200
    assert "Villanueva" in page.text
    assert "Villanueba" in page.text
    for comparison in ("first name", "surname", "birth date"):
        assert f'<th scope="row">{comparison}</th>' in page.text
    assert re.search(r"[+-]\d+\.\d\d</td>", page.text)  # weights
    assert "Escalation level" in page.text


def test_deciding_same_child_opens_a_merge_validation_and_different_children_closes_it(
    web: TestClient, store: Store, guadalupe: str
) -> None:
    item = near_match(store)
    _sign_in(web, "da-tx")
    token = _token(web, f"/worklist/{item['_id']}")
    answer = web.post(
        f"/worklist/{item['_id']}/decide",
        data={"same_child": "yes", "master": item["msix_ids"][-1], "csrf_token": token},
    )
    assert answer.status_code == 303
    decided = store.call(store.worklist.get, item["_id"])
    assert (decided["status"], decided["outcome"]) == ("closed", "same-child")
    validation = store.call(store.worklist.get, decided["validation"])
    assert validation["kind"] == "validate_near_match_merge"
    again = web.post(
        f"/worklist/{item['_id']}/decide",
        data={"same_child": "no", "csrf_token": _token(web, f"/worklist/{item['_id']}")},
    )
    assert again.status_code == 409
    assert "already decided" in again.text


def test_the_two_person_rule_refuses_the_initiator_and_lets_another_administrator_merge(
    web: TestClient, store: Store, guadalupe: str
) -> None:
    item = near_match(store)
    texas, washington = child_of(store, "TX", "TX-MATEO"), child_of(store, "WA", "WA-MATEO")
    _sign_in(web, "da-tx")
    asked = web.post(
        f"/children/{texas}/merge",
        data={"others": washington, "csrf_token": _token(web, f"/children/{texas}")},
    )
    assert asked.status_code == 303
    (validation,) = store.call(
        store.worklist.find, {"kind": "validate_user_merge", "status": "open"}
    )
    page = web.get(f"/worklist/{validation['_id']}")
    assert "two-person rule" in page.text
    refused = web.post(
        f"/worklist/{validation['_id']}/validate",
        data={"approve": "yes", "csrf_token": _token(web, f"/worklist/{validation['_id']}")},
    )
    assert refused.status_code == 403
    assert "the initiator of a merge or split cannot validate it" in refused.text
    assert store.call(store.students.resolve, washington)["_id"] == washington  # not merged

    _sign_in(web, "da-tx-2")
    approved = web.post(
        f"/worklist/{validation['_id']}/validate",
        data={"approve": "yes", "csrf_token": _token(web, f"/worklist/{validation['_id']}")},
    )
    assert approved.status_code == 303
    assert store.call(store.students.resolve, washington)["_id"] == texas  # retired alias
    by_old_id = _search(web, by="msix_id", msix_id=washington)
    assert _CHILD_LINK.findall(by_old_id.text) == [texas]
    assert f"asked for {washington}, merged" in by_old_id.text
    del item


def test_a_split_is_picked_in_the_historical_view(
    web: TestClient, store: Store, guadalupe: str
) -> None:
    near_match(store)
    texas, washington = child_of(store, "TX", "TX-MATEO"), child_of(store, "WA", "WA-MATEO")

    def merged() -> None:
        from datetime import UTC, datetime

        from hub.services import merge_split

        merge_split.merge(store, texas, [washington], now=datetime.now(UTC))

    store.call(merged)
    _sign_in(web, "nurse1")
    history = web.get(f"/children/{texas}/history")
    assert 'value="WA:WA-MATEO"' in history.text
    answer = web.post(
        f"/children/{texas}/split",
        data={"records": "WA:WA-MATEO", "csrf_token": _token(web, f"/children/{texas}/history")},
    )
    assert answer.status_code == 303
    (split,) = store.call(store.worklist.find, {"kind": "validate_user_split", "status": "open"})
    assert split["groups"] == [["WA:WA-MATEO"]]


def test_the_worklist_is_for_data_administrators_only(web: TestClient, guadalupe: str) -> None:
    _sign_in(web, "nurse1")
    assert web.get("/worklist").status_code == 403
    assert 'href="/worklist"' not in web.get("/").text


# -- reports ----------------------------------------------------------------------------------


def test_reports_draw_svg_charts_with_their_numbers_beside_them(
    web: TestClient, store: Store, guadalupe: str
) -> None:
    near_match(store)
    _sign_in(web, "da-tx")
    page = web.get("/reports")
    assert page.status_code == 200
    html = page.text
    assert html.count('<svg class="chart"') == 6
    assert html.count('<table class="report-table">') == 6
    for title in (
        "Children by state and month",
        "New MSIX IDs",
        "Worklist aging",
        "Ingest rejection rate by state",
        "Timeliness",
    ):
        assert title in html
    aging = html[html.index('id="worklist-aging"') :]
    assert '<th scope="row">0–2 days</th><td class="num">1</td>' in aging
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "style=" not in html
    assert GUADALUPE["first_name"] not in html  # counts, never children


def test_reports_need_the_reports_permission(web: TestClient, guadalupe: str) -> None:
    _sign_in(web, "registrar1")
    assert web.get("/reports").status_code == 403
    _sign_in(web, "ua-tx")
    assert web.get("/reports").status_code == 200
