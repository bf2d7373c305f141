"""FHIR searches over HTTP: US Core parameter combinations, GET/POST and reference parity,
includes, `_summary=count`, unknown parameters, `$everything`, history and audit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.config import Settings
from hub.fhir import validate_resource
from hub.services.fhir_writes import projection_of
from tests.integration.fhir_data import (
    FHIR_JSON,
    READ_ALL,
    add_child,
    condition,
    immunization,
    put,
    store_of,
    token,
)


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # One app and one data set for the module: these tests only read (the history test writes
    # a resource of its own).
    settings = Settings(demo=True, data_dir=tmp_path_factory.mktemp("fhir-search") / "var")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def kids(http: TestClient) -> dict[str, str]:
    store = store_of(http)
    rosa = add_child(
        store,
        [("TX", "TX0004417"), ("WA", "9004417")],
        first_name="Rosa",
        middle_name="Elena",
        last_name_1="Quintanilla",
        last_name_2="Ortega",
        sex="Female",
        birth_date="2014-03-09",
    )
    jose = add_child(
        store,
        [("WA", "9001234")],
        first_name="José",
        last_name_1="Núñez",
        sex="Male",
        birth_date="2012-07-01",
    )
    ana = add_child(
        store,
        [("TX", "TX0000077")],
        first_name="Ana",
        last_name_1="Quintero",
        sex="Female",
        birth_date="2014-11-20",
    )
    put(store, immunization(rosa, "TX", "001", cvx="03", day="2015-04-02"))
    put(store, immunization(rosa, "TX", "002", cvx="20", day="2016-06-01"))
    put(store, immunization(jose, "WA", "003", cvx="03", day="2013-08-01"))
    put(store, condition(rosa, "WA", "010"))
    put(store, condition(rosa, "WA", "011", category="health-concern"))
    put(store, condition(ana, "TX", "012"))
    return {"rosa": rosa, "jose": jose, "ana": ana}


def _ids(bundle: dict[str, Any], mode: str = "match") -> list[str]:
    return [
        entry["resource"]["id"]
        for entry in bundle.get("entry", [])
        if entry["search"]["mode"] == mode
    ]


def _search(http: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = http.get(f"/fhir/{path}", params=params, headers=token(http, READ_ALL))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "Bundle"
    assert body["type"] == "searchset"
    return body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "quint"}, {"rosa", "ana"}),
        ({"name": "ROSA"}, {"rosa"}),
        ({"name": "nunez"}, {"jose"}),  # accents folded
        ({"family": "Núñ"}, {"jose"}),
        ({"family": "quintanilla ort"}, {"rosa"}),
        ({"given": "elena"}, {"rosa"}),
        ({"given": "quint"}, set()),  # a family name is not a given name
        ({"family:exact": "Quintanilla Ortega"}, {"rosa"}),
        ({"family:exact": "quintanilla ortega"}, set()),
        ({"gender": "female"}, {"rosa", "ana"}),
        ({"gender": "http://hl7.org/fhir/administrative-gender|male"}, {"jose"}),
        ({"gender:not": "female"}, {"jose"}),
        ({"birthdate": "2014-03-09"}, {"rosa"}),
        ({"birthdate": "2014"}, {"rosa", "ana"}),
        ({"birthdate": "2014-11"}, {"ana"}),
        ({"birthdate": "gt2014-03-09"}, {"ana"}),
        ({"birthdate": "ge2014-03-09"}, {"rosa", "ana"}),
        ({"birthdate": "lt2014-03-09"}, {"jose"}),
        ({"birthdate": "le2014-03-09"}, {"rosa", "jose"}),
        ({"identifier": "urn:msix:state:WA:student|9001234"}, {"jose"}),
        ({"identifier": "TX0000077"}, {"ana"}),
        ({"identifier": "urn:msix:state:TX:student|"}, {"rosa", "ana"}),
        ({"name": "quint", "birthdate": "2014-11-20"}, {"ana"}),  # US Core birthdate+name
        ({"name": "quint", "gender": "female"}, {"rosa", "ana"}),  # US Core gender+name
        ({"family": "quint", "given": "ana"}, {"ana"}),
        ({"name": "rosa,jose"}, {"rosa", "jose"}),
    ],
)
def test_patient_search_parameters_and_combinations(
    http: TestClient, kids: dict[str, str], params: dict[str, str], expected: set[str]
) -> None:
    found = set(_ids(_search(http, "Patient", **params)))
    assert found == {kids[name] for name in expected}


def test_patient_search_by_id_and_the_msix_id_identifier(
    http: TestClient, kids: dict[str, str]
) -> None:
    assert _ids(_search(http, "Patient", _id=kids["jose"])) == [kids["jose"]]
    by_msix = _search(http, "Patient", identifier=f"urn:msix:msix-id|{kids['rosa']}")
    assert _ids(by_msix) == [kids["rosa"]]


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("Immunization", {"date": "2015"}, ["imm-tx-001"]),
        ("Immunization", {"date": "ge2015-01-01"}, ["imm-tx-001", "imm-tx-002"]),
        ("Immunization", {"status": "completed"}, ["imm-tx-001", "imm-tx-002"]),
        ("Immunization", {"vaccine-code": "http://hl7.org/fhir/sid/cvx|20"}, ["imm-tx-002"]),
        ("Immunization", {"vaccine-code": "03"}, ["imm-tx-001"]),
        ("Condition", {"category": "problem-list-item"}, ["con-wa-010"]),
        ("Condition", {"category": "health-concern"}, ["con-wa-011"]),
        ("Condition", {"clinical-status": "active"}, ["con-wa-010", "con-wa-011"]),
        ("Condition", {"code": "http://snomed.info/sct|195967001"}, ["con-wa-010", "con-wa-011"]),
        ("Condition", {"onset-date": "2016-05-01"}, ["con-wa-010", "con-wa-011"]),
        ("Condition", {"onset-date": "lt2016"}, []),
    ],
)
def test_health_searches_with_patient(
    http: TestClient,
    kids: dict[str, str],
    path: str,
    params: dict[str, str],
    expected: list[str],
) -> None:
    found = _ids(_search(http, path, patient=kids["rosa"], **params))
    assert sorted(found) == expected


@pytest.mark.parametrize("path", ["Immunization", "Condition"])
def test_patient_id_and_patient_reference_give_the_same_results(
    http: TestClient, kids: dict[str, str], path: str
) -> None:
    plain = _ids(_search(http, path, patient=kids["rosa"]))
    typed = _ids(_search(http, path, patient=f"Patient/{kids['rosa']}"))
    assert plain
    assert plain == typed
    absolute = _ids(_search(http, path, patient=f"http://testserver/fhir/Patient/{kids['rosa']}"))
    assert absolute == plain


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("Patient", {"name": "quint", "gender": "female"}),
        ("Immunization", {"patient": "ROSA", "date": "ge2015"}),
        ("Condition", {"patient": "ROSA", "category": "problem-list-item"}),
    ],
)
def test_get_and_post_search_give_the_same_bundle_entries(
    http: TestClient, kids: dict[str, str], path: str, params: dict[str, str]
) -> None:
    params = {k: kids["rosa"] if v == "ROSA" else v for k, v in params.items()}
    headers = token(http, READ_ALL)
    got = http.get(f"/fhir/{path}", params=params, headers=headers)
    posted = http.post(f"/fhir/{path}/_search", data=params, headers=headers)
    assert got.status_code == posted.status_code == 200
    assert _ids(got.json()) == _ids(posted.json())
    assert _ids(got.json())


def test_include_and_revinclude_add_the_referenced_resources(
    http: TestClient, kids: dict[str, str]
) -> None:
    included = _search(http, "Immunization", patient=kids["rosa"], _include="Immunization:patient")
    assert _ids(included, "include") == [kids["rosa"]]
    rev = _search(
        http,
        "Patient",
        _id=kids["rosa"],
        _revinclude=["Immunization:patient", "Condition:patient"],
    )
    assert _ids(rev) == [kids["rosa"]]
    assert sorted(_ids(rev, "include")) == [
        "con-wa-010",
        "con-wa-011",
        "imm-tx-001",
        "imm-tx-002",
    ]


def test_summary_count_answers_the_total_without_entries(
    http: TestClient, kids: dict[str, str]
) -> None:
    counted = _search(http, "Patient", gender="female", _summary="count")
    assert counted["total"] == 2
    assert "entry" not in counted
    assert "total" not in _search(http, "Patient", gender="female")


def test_count_pages_with_self_and_next_links(http: TestClient, kids: dict[str, str]) -> None:
    headers = token(http, READ_ALL)
    first = http.get("/fhir/Patient", params={"_count": 2}, headers=headers).json()
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert links["self"].startswith("http://testserver/fhir/Patient?_count=2")
    second = http.get(links["next"], headers=headers).json()
    assert "next" not in {link["relation"] for link in second["link"]}
    assert sorted(_ids(first) + _ids(second)) == sorted(kids.values())


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"Patient": "19"}, "Patient"),  # spark #436: must not return every Condition
        ({"patient": "x", "name:contains": "a"}, "name:contains"),
        ({"birthdate": "ap2014"}, "birthdate"),
        ({"_sort": "name"}, "_sort"),
        ({"_include": "Condition:asserter"}, "_include"),
    ],
)
def test_unknown_or_unsupported_parameters_are_refused_with_an_outcome(
    http: TestClient, kids: dict[str, str], params: dict[str, str], where: str
) -> None:
    response = http.get("/fhir/Condition", params=params, headers=token(http, READ_ALL))
    assert response.status_code == 400
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert where in [issue["expression"][0] for issue in body["issue"]]


def test_lenient_handling_ignores_unknown_parameters(
    http: TestClient, kids: dict[str, str]
) -> None:
    headers = {**token(http, READ_ALL), "Prefer": "handling=lenient"}
    response = http.get(
        "/fhir/Condition", params={"Patient": "19", "patient": kids["ana"]}, headers=headers
    )
    assert response.status_code == 200
    assert _ids(response.json()) == ["con-tx-012"]
    assert "Patient=19" not in response.json()["link"][0]["url"]


def test_search_needs_the_search_scope(http: TestClient, kids: dict[str, str]) -> None:
    response = http.get(
        "/fhir/Patient", params={"name": "rosa"}, headers=token(http, ["system/Patient.r"])
    )
    assert response.status_code == 403
    v2 = http.get(
        "/fhir/Patient", params={"name": "rosa"}, headers=token(http, ["system/Patient.rs"])
    )
    assert v2.status_code == 200


def test_everything_returns_the_patient_and_all_health_data(
    http: TestClient, kids: dict[str, str]
) -> None:
    response = http.get(f"/fhir/Patient/{kids['rosa']}/$everything", headers=token(http, READ_ALL))
    assert response.status_code == 200
    kinds = sorted(
        (entry["resource"]["resourceType"], entry["resource"]["id"])
        for entry in response.json()["entry"]
    )
    assert kinds == [
        ("Condition", "con-wa-010"),
        ("Condition", "con-wa-011"),
        ("Immunization", "imm-tx-001"),
        ("Immunization", "imm-tx-002"),
        ("Patient", kids["rosa"]),
    ]


def test_the_derived_patient_conforms_to_the_msix_profile(
    http: TestClient, kids: dict[str, str]
) -> None:
    response = http.get(f"/fhir/Patient/{kids['rosa']}", headers=token(http, READ_ALL))
    patient = response.json()
    assert [i["value"] for i in patient["identifier"]] == [kids["rosa"], "TX0004417", "9004417"]
    assert patient["name"][0] == {
        "use": "official",
        "family": "Quintanilla Ortega",
        "given": ["Rosa", "Elena"],
    }
    errors = [issue for issue in validate_resource(patient) if issue.is_error]
    assert errors == []


def test_type_and_instance_history(http: TestClient, kids: dict[str, str]) -> None:
    store = store_of(http)
    put(store, immunization(kids["jose"], "WA", "099", cvx="03", day="2015-04-02"))
    changed = immunization(kids["jose"], "WA", "099", cvx="03", day="2015-04-03")
    store.call(store.fhir.write, changed, projection_of(changed), if_match=1)
    headers = token(http, READ_ALL)
    instance = http.get("/fhir/Immunization/imm-wa-099/_history", headers=headers).json()
    assert instance["type"] == "history"
    assert [e["response"]["etag"] for e in instance["entry"]] == ['W/"2"', 'W/"1"']
    assert instance["entry"][1]["resource"]["occurrenceDateTime"] == "2015-04-02"
    typed = http.get("/fhir/Immunization/_history", params={"_count": 2}, headers=headers).json()
    assert len(typed["entry"]) == 2
    assert typed["entry"][0]["resource"]["occurrenceDateTime"] == "2015-04-03"
