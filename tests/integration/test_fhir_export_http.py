"""FHIR Bulk Data `$export` over HTTP: kick-off, status polling, manifest, NDJSON files,
jurisdiction scoping, `_type` and `_since`, cancel, errors and audit."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import orjson
import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.config import Settings
from hub.errors import NotFoundError
from hub.fhir import validate_resource
from tests.integration.fhir_data import (
    READ_ALL,
    add_child,
    condition,
    immunization,
    put,
    store_of,
    token,
)

ASYNC = {"Prefer": "respond-async"}


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(demo=True, data_dir=tmp_path_factory.mktemp("fhir-export") / "var")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def kids(http: TestClient) -> dict[str, str]:
    store = store_of(http)
    rosa = add_child(
        store,
        [("TX", "TX0004417"), ("WA", "9004417")],
        first_name="Rosa",
        last_name_1="Quintanilla",
        sex="Female",
        birth_date="2014-03-09",
    )
    jose = add_child(
        store, [("WA", "9001234")], first_name="José", last_name_1="Núñez", birth_date="2012-07-01"
    )
    ana = add_child(
        store, [("TX", "TX0000077")], first_name="Ana", last_name_1="Quintero", sex="Female"
    )
    put(store, immunization(rosa, "TX", "001", cvx="03", day="2015-04-02"))
    put(store, immunization(rosa, "TX", "002", cvx="20", day="2016-06-01"))
    put(store, immunization(jose, "WA", "003"))
    put(store, immunization(ana, "TX", "004"))
    put(store, condition(rosa, "WA", "010"))
    put(store, condition(ana, "TX", "012"))
    return {"rosa": rosa, "jose": jose, "ana": ana}


def _kick_off(
    http: TestClient, path: str = "$export", state: str | None = "WA", **params: str
) -> str:
    response = http.get(
        f"/fhir/{path}", params=params, headers={**ASYNC, **token(http, READ_ALL, state)}
    )
    assert response.status_code == 202, response.text
    status_url = response.headers["Content-Location"]
    assert "/fhir/$export-status/" in status_url
    return status_url


def _finished(http: TestClient, status_url: str, state: str | None = "WA") -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = http.get(status_url, headers=token(http, READ_ALL, state))
        if response.status_code == 200:
            manifest: dict[str, Any] = response.json()
            return manifest
        assert response.status_code == 202, response.text
        assert response.headers["X-Progress"]
        time.sleep(0.02)
    raise AssertionError("the export did not finish in 30 s")


def _files(
    http: TestClient, manifest: dict[str, Any], state: str | None = "WA"
) -> dict[str, list[dict[str, Any]]]:
    """Each output file's resources, by type, checking media type and NDJSON lines."""
    found: dict[str, list[dict[str, Any]]] = {}
    for item in manifest["output"]:
        response = http.get(item["url"], headers=token(http, READ_ALL, state))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/fhir+ndjson")
        lines = response.content.splitlines()
        assert response.content.endswith(b"\n")
        resources = [orjson.loads(line) for line in lines]
        assert all(r["resourceType"] == item["type"] for r in resources)
        assert item["count"] == len(resources)
        found[item["type"]] = resources
    return found


def _ids(files: dict[str, list[dict[str, Any]]], resource_type: str) -> set[str]:
    return {resource["id"] for resource in files.get(resource_type, [])}


def test_a_state_client_exports_its_own_children_only(
    http: TestClient, kids: dict[str, str]
) -> None:
    status_url = _kick_off(http)
    manifest = _finished(http, status_url)
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"].endswith("/fhir/$export")
    assert manifest["transactionTime"].endswith("Z")
    assert manifest["error"] == []
    assert [item["type"] for item in manifest["output"]] == ["Patient", "Immunization", "Condition"]
    files = _files(http, manifest)
    # WA's children: Rosa (linked to TX and WA) and José, with all their health data, also the
    # immunizations Texas recorded for Rosa; none of Ana (TX only).
    assert _ids(files, "Patient") == {kids["rosa"], kids["jose"]}
    assert _ids(files, "Immunization") == {"imm-tx-001", "imm-tx-002", "imm-wa-003"}
    assert _ids(files, "Condition") == {"con-wa-010"}
    for resources in files.values():
        for resource in resources:
            problems = [i for i in validate_resource(resource) if i.severity.value == "error"]
            assert problems == [], (resource["id"], problems)


def test_a_national_client_exports_every_child(http: TestClient, kids: dict[str, str]) -> None:
    files = _files(http, _finished(http, _kick_off(http, state=None), None), None)
    # (Every child: the `_since` test may have added a Kansas one.)
    assert _ids(files, "Patient") >= set(kids.values())
    assert _ids(files, "Immunization") == {"imm-tx-001", "imm-tx-002", "imm-wa-003", "imm-tx-004"}
    assert _ids(files, "Condition") - {"con-ks-020", "con-ks-021"} == {"con-wa-010", "con-tx-012"}


def test_group_export_is_the_children_of_a_state(http: TestClient, kids: dict[str, str]) -> None:
    status_url = _kick_off(http, "Group/state-TX/$export", state=None)
    files = _files(http, _finished(http, status_url, None), None)
    assert _ids(files, "Patient") == {kids["rosa"], kids["ana"]}
    assert _ids(files, "Condition") == {"con-wa-010", "con-tx-012"}
    # A state client's Group export is its own state's, and no other.
    own = _files(http, _finished(http, _kick_off(http, "Group/state-WA/$export")))
    assert _ids(own, "Patient") == {kids["rosa"], kids["jose"]}
    response = http.get(
        "/fhir/Group/state-TX/$export", headers={**ASYNC, **token(http, READ_ALL, "WA")}
    )
    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"
    unknown = http.get("/fhir/Group/migrants/$export", headers={**ASYNC, **token(http, READ_ALL)})
    assert unknown.status_code == 404


def test_type_and_since_filters(http: TestClient, kids: dict[str, str]) -> None:
    manifest = _finished(http, _kick_off(http, _type="Immunization"))
    assert [item["type"] for item in manifest["output"]] == ["Immunization"]
    assert _ids(_files(http, manifest), "Immunization") == {
        "imm-tx-001",
        "imm-tx-002",
        "imm-wa-003",
    }
    both = _finished(http, _kick_off(http, _type="Condition,Patient"))
    assert [item["type"] for item in both["output"]] == ["Patient", "Condition"]
    # Nothing changed after a day in the future: an empty export.
    empty = _finished(http, _kick_off(http, _since="2999-01-01T00:00:00Z"))
    assert empty["output"] == []
    # A resource written after `_since` is the only one exported.
    # (A Kansas child of its own, so the other tests' exports keep their contents.)
    store = store_of(http)
    lena = add_child(store, [("KS", "KS0000001")], first_name="Lena", last_name_1="Ruiz")
    put(store, condition(lena, "KS", "020"))
    time.sleep(0.01)  # the store keeps milliseconds: `_since` falls strictly between the two
    stamp = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    put(store, condition(lena, "KS", "021"))
    recent = _files(http, _finished(http, _kick_off(http, state="KS", _since=stamp), "KS"), "KS")
    assert set(recent) == {"Condition"}
    assert _ids(recent, "Condition") == {"con-ks-021"}


def test_refusals(http: TestClient, kids: dict[str, str]) -> None:
    wa = token(http, READ_ALL)
    missing_prefer = http.get("/fhir/$export", headers=wa)
    assert missing_prefer.status_code == 400
    assert missing_prefer.json()["issue"][0]["expression"] == ["Prefer"]
    assert http.get("/fhir/$export", headers=ASYNC).status_code == 401
    narrow = token(http, ["system/Immunization.read"])
    assert http.get("/fhir/$export", headers={**ASYNC, **narrow}).status_code == 403
    allowed = http.get("/fhir/$export?_type=Immunization", headers={**ASYNC, **narrow})
    assert allowed.status_code == 202
    everything = token(http, ["system/*.read"])
    assert http.get("/fhir/$export", headers={**ASYNC, **everything}).status_code == 202
    for query in ("_type=Observation", "_since=yesterday", "_outputFormat=text/csv", "x=1"):
        response = http.get(f"/fhir/$export?{query}", headers={**ASYNC, **wa})
        assert response.status_code == 400, query
        assert response.json()["resourceType"] == "OperationOutcome"


def test_status_and_files_belong_to_the_client_that_started(
    http: TestClient, kids: dict[str, str]
) -> None:
    status_url = _kick_off(http)
    manifest = _finished(http, status_url)
    file_url = manifest["output"][0]["url"]
    other = token(http, READ_ALL, "TX")
    assert http.get(status_url, headers=other).status_code == 403
    assert http.get(file_url, headers=other).status_code == 403
    assert http.delete(status_url, headers=other).status_code == 403
    assert http.get(file_url).status_code == 401
    assert http.get(status_url).status_code == 401
    # DELETE discards a finished export: status and files are gone.
    assert http.delete(status_url, headers=token(http, READ_ALL)).status_code == 202
    assert http.get(status_url, headers=token(http, READ_ALL)).status_code == 404
    assert http.get(file_url, headers=token(http, READ_ALL)).status_code == 404


def _holding_store_thread(http: TestClient) -> threading.Event:
    """Occupy the store thread until the returned event is set (the export cannot progress)."""
    store = store_of(http)
    release, holding = threading.Event(), threading.Event()

    def hold() -> None:
        holding.set()
        release.wait(30)

    threading.Thread(target=store.call, args=(hold,), daemon=True).start()
    assert holding.wait(10)
    return release


def _kick_off_in_background(http: TestClient) -> tuple[threading.Thread, list[httpx2.Response]]:
    answers: list[httpx2.Response] = []
    headers = {**ASYNC, **token(http, READ_ALL)}
    thread = threading.Thread(
        target=lambda: answers.append(http.get("/fhir/$export", headers=headers))
    )
    thread.start()
    return thread, answers


def _job_dirs(http: TestClient) -> set[str]:
    root = store_of(http).settings.data_dir / "exports"
    return {path.name for path in root.iterdir()} if root.exists() else set()


def _new_job(http: TestClient, before: set[str]) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        new = _job_dirs(http) - before
        if new:
            return new.pop()
        time.sleep(0.01)
    raise AssertionError("no export job was created")


def test_status_answers_202_with_progress_while_running(
    http: TestClient, kids: dict[str, str]
) -> None:
    token(http, READ_ALL)  # the token's client is created before the store thread is held
    before = _job_dirs(http)
    release = _holding_store_thread(http)
    thread, answers = _kick_off_in_background(http)
    try:
        job_id = _new_job(http, before)
        # Status needs no store: it answers while the export waits for the store thread.
        status = http.get(f"/fhir/$export-status/{job_id}", headers=token(http, READ_ALL))
        assert status.status_code == 202
        assert status.headers["X-Progress"] == "queued"
    finally:
        release.set()
        thread.join(10)
    assert answers[0].status_code == 202
    manifest = _finished(http, answers[0].headers["Content-Location"])
    assert {item["type"] for item in manifest["output"]} == {"Patient", "Immunization", "Condition"}


def test_delete_cancels_a_running_export(http: TestClient, kids: dict[str, str]) -> None:
    token(http, READ_ALL)
    before = _job_dirs(http)
    release = _holding_store_thread(http)
    thread, answers = _kick_off_in_background(http)
    try:
        job_id = _new_job(http, before)
        status_url = f"/fhir/$export-status/{job_id}"
        assert http.delete(status_url, headers=token(http, READ_ALL)).status_code == 202
    finally:
        release.set()
        thread.join(10)
    assert answers[0].status_code == 202
    time.sleep(0.2)  # the export task, had it not stopped, would have written by now
    assert http.get(status_url, headers=token(http, READ_ALL)).status_code == 404
    assert job_id not in _job_dirs(http)


def test_each_export_is_audited(http: TestClient, kids: dict[str, str]) -> None:
    _finished(http, _kick_off(http, "Group/state-TX/$export", state=None), None)
    store = store_of(http)
    events = store.call(store.audit.search, msix_ids=[kids["ana"]], limit=100)
    exports = [event for event in events if event["action"] == "E"]
    assert exports, "no export AuditEvent names the exported child"
    assert all(event["outcome"] == "0" for event in exports)
    named = {entity["what"]["reference"] for event in exports for entity in event.get("entity", [])}
    assert f"Patient/{kids['ana']}" in named


def test_finished_exports_expire_and_are_purged(http: TestClient, kids: dict[str, str]) -> None:
    """The manifest says until when its files are kept (`Expires`); after that the status and
    the files answer 404 and housekeeping deletes the job's directory."""
    from email.utils import parsedate_to_datetime

    from hub.services.fhir_export import ExportJobs

    status_url = _kick_off(http, _type="Patient")
    manifest = _finished(http, status_url)
    response = http.get(status_url, headers=token(http, READ_ALL, "WA"))
    expires = parsedate_to_datetime(response.headers["Expires"])
    hours = (expires - datetime.now(UTC)).total_seconds() / 3600
    assert 23.9 < hours <= 24  # MSIX_EXPORT_RETENTION_HOURS (24)

    settings: Settings = http.app.state.settings  # type: ignore[attr-defined]
    jobs = ExportJobs(settings.data_dir)
    job_id = status_url.rsplit("/", 1)[1]
    assert jobs.purge_expired(expires.replace(second=0) - timedelta(minutes=1)) == []
    assert jobs.load(job_id)["status"] == "completed"
    later = expires + timedelta(seconds=1)
    with pytest.raises(NotFoundError, match="expired"):
        jobs.load(job_id, now=later)
    assert job_id in jobs.purge_expired(later)
    assert not jobs.directory(job_id).exists()
    assert http.get(status_url, headers=token(http, READ_ALL, "WA")).status_code == 404
    file_url = manifest["output"][0]["url"]
    assert http.get(file_url, headers=token(http, READ_ALL, "WA")).status_code == 404
