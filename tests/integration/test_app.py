from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz_answers_ok_with_the_store_kind(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["store"] == "embedded"


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/auth/token" in schema["paths"]
    assert "/healthz" in schema["paths"]


def test_unknown_route_is_an_operation_outcome(client: TestClient) -> None:
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "not-found"


def test_oversize_body_is_refused_before_any_route_reads_it(client: TestClient) -> None:
    limit = client.app.state.settings.max_request_bytes  # type: ignore[attr-defined]
    response = client.post("/auth/token", content=b"x" * (limit + 1))
    assert response.status_code == 413
    assert response.json()["issue"][0]["code"] == "too-long"
