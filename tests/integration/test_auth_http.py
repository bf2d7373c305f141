"""POST /auth/token, bearer tokens and scope checks, through the real app over HTTP.

Protected routes are probed two ways: `GET /auth/whoami` (any valid token; `?scope=` asks for
scopes through the same check the routers use) and a route added here that declares
`require_scopes("system/Patient.read")`, exactly as a FHIR route would.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from hub.api.deps import require_scopes
from hub.config import Settings
from hub.security import Caller, Client, Jurisdiction, create_client, issue_token
from hub.store import Store

TOKEN_URL = "http://testserver/auth/token"
PROBE = "/test-probe/patient-read"
SCOPES = ["system/Patient.rs", "msix/messages.write"]

PatientReader = Annotated[Caller, Depends(require_scopes("system/Patient.read"))]


async def _patient_read_probe(caller: PatientReader) -> dict[str, str]:
    return {"id": caller.id}


@pytest.fixture
def http(app: FastAPI) -> Iterator[TestClient]:
    app.add_api_route(PROBE, _patient_read_probe, methods=["GET"])
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


def _store(http: TestClient) -> Store:
    store: Store = http.app.state.store  # type: ignore[attr-defined]
    return store


def _settings(http: TestClient) -> Settings:
    settings: Settings = http.app.state.settings  # type: ignore[attr-defined]
    return settings


def _register(http: TestClient, **extra: Any) -> tuple[Client, str | None]:
    store = _store(http)
    arguments: dict[str, Any] = {
        "name": "Texas MEP system (synthetic)",
        "scopes": SCOPES,
        "jurisdiction": Jurisdiction(state="TX"),
        "now": datetime.now(UTC),
        "client_id": "tx-sis",
        **extra,
    }
    return store.call(lambda: create_client(store.clients, **arguments))


def _basic(client_id: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def _token(http: TestClient, secret: str, **form: str) -> Any:
    return http.post(
        "/auth/token",
        data={"grant_type": "client_credentials", **form},
        headers=_basic("tx-sis", secret),
    )


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _audit(http: TestClient) -> list[dict[str, Any]]:
    store = _store(http)
    return store.call(store.audit.recent)


def test_good_secret_gets_a_bearer_token_that_opens_protected_routes(http: TestClient) -> None:
    _, secret = _register(http)
    assert secret is not None
    response = _token(http, secret)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == _settings(http).access_token_minutes * 60
    assert body["scope"] == " ".join(SCOPES)

    whoami = http.get("/auth/whoami", headers=_bearer(body["access_token"]))
    assert whoami.status_code == 200
    assert whoami.json()["id"] == "tx-sis"
    assert whoami.json()["jurisdiction"] == "TX"
    assert whoami.json()["kind"] == "client"
    # The token holds the v2 form; the route asks for the v1 form: they are equivalent.
    assert http.get(PROBE, headers=_bearer(body["access_token"])).json() == {"id": "tx-sis"}


def test_token_request_and_its_outcome_are_audited(http: TestClient) -> None:
    _, secret = _register(http)
    assert secret is not None
    _token(http, secret)
    _token(http, "wrong")
    failure, success = _audit(http)
    assert success["outcome"] == "0"
    assert failure["outcome"] == "4"
    assert failure["outcomeDesc"].startswith("invalid_client")
    for event in (success, failure):
        assert event["agent"][0]["who"]["identifier"]["value"] == "tx-sis"
        assert {c["code"] for c in event["subtype"]} >= {"110122", "token"}
        assert secret not in str(event)


@pytest.mark.parametrize("who", ["wrong-secret", "unknown-client", "no-authentication"])
def test_failed_client_authentication_is_401_invalid_client(http: TestClient, who: str) -> None:
    _register(http)
    headers = {
        "wrong-secret": _basic("tx-sis", "not-the-secret"),
        "unknown-client": _basic("nobody", "not-the-secret"),
        "no-authentication": {},
    }[who]
    response = http.post("/auth/token", data={"grant_type": "client_credentials"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


def test_revoked_client_gets_no_token(http: TestClient) -> None:
    from hub.security import revoke

    _, secret = _register(http)
    assert secret is not None
    store = _store(http)
    store.call(lambda: revoke(store.clients, "tx-sis", now=datetime.now(UTC)))
    assert _token(http, secret).status_code == 401


def test_scope_beyond_the_registration_is_400_invalid_scope(http: TestClient) -> None:
    _, secret = _register(http)
    assert secret is not None
    response = _token(http, secret, scope="system/Patient.read system/Patient.write")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert "system/Patient.write" in response.json()["error_description"]


@pytest.mark.parametrize(
    ("request_kwargs", "error"),
    [
        ({"data": {"grant_type": "authorization_code"}}, "unsupported_grant_type"),
        ({"data": {"scope": "system/Patient.read"}}, "invalid_request"),
        ({"json": {"grant_type": "client_credentials"}}, "invalid_request"),
        (
            {"content": "grant_type=client_credentials&grant_type=client_credentials"},
            "invalid_request",
        ),
    ],
    ids=["other-grant", "no-grant-type", "json-body", "repeated-parameter"],
)
def test_malformed_token_request_is_400_in_rfc_6749_shape(
    http: TestClient, request_kwargs: dict[str, Any], error: str
) -> None:
    _, secret = _register(http)
    assert secret is not None
    headers = _basic("tx-sis", secret)
    if "content" in request_kwargs:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = http.post("/auth/token", headers=headers, **request_kwargs)
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_private_key_jwt_client_gets_a_token_once_per_assertion(
    http: TestClient, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    jwk = {**jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True), "kid": "k1"}
    _register(http, jwks={"keys": [jwk]}, with_secret=False)
    now = datetime.now(UTC)
    assertion = jwt.encode(
        {
            "iss": "tx-sis",
            "sub": "tx-sis",
            "aud": TOKEN_URL,
            "exp": int((now + timedelta(minutes=4)).timestamp()),
            "jti": uuid.uuid4().hex,
        },
        ec_key,
        algorithm="ES384",
        headers={"kid": "k1"},
    )
    form = {
        "grant_type": "client_credentials",
        "scope": "system/Patient.read",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }
    first = http.post("/auth/token", data=form)
    assert first.status_code == 200
    assert first.json()["scope"] == "system/Patient.read"
    replay = http.post("/auth/token", data=form)
    assert replay.status_code == 401
    assert "already used" in replay.json()["error_description"]


def test_expired_token_is_401(http: TestClient) -> None:
    client, _ = _register(http)
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    expired = issue_token(client, [], _settings(http), now=long_ago).access_token
    response = http.get("/auth/whoami", headers=_bearer(expired))
    assert response.status_code == 401
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.json()["issue"][0]["code"] == "expired"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_tampered_token_is_401(http: TestClient) -> None:
    client, _ = _register(http)
    token = issue_token(client, [], _settings(http), now=datetime.now(UTC)).access_token
    head, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for forged in (f"{head}.{payload}.{flipped}", f"{head}.{payload}x.{signature}"):
        assert http.get("/auth/whoami", headers=_bearer(forged)).status_code == 401
        assert http.get(PROBE, headers=_bearer(forged)).status_code == 401


def test_missing_or_non_bearer_credentials_are_401(http: TestClient) -> None:
    assert http.get("/auth/whoami").status_code == 401
    assert http.get(PROBE, headers=_basic("tx-sis", "secret")).status_code == 401


def test_missing_scope_is_403(http: TestClient) -> None:
    _, secret = _register(http)
    assert secret is not None
    token = _token(http, secret, scope="msix/messages.write").json()["access_token"]
    denied = http.get(PROBE, headers=_bearer(token))
    assert denied.status_code == 403
    assert denied.json()["issue"][0]["code"] == "forbidden"
    assert "system/Patient.read" in denied.json()["issue"][0]["diagnostics"]
    asked = http.get(
        "/auth/whoami", params={"scope": "system/Immunization.write"}, headers=_bearer(token)
    )
    assert asked.status_code == 403
    granted = http.get(
        "/auth/whoami", params={"scope": "msix/messages.write"}, headers=_bearer(token)
    )
    assert granted.status_code == 200


def test_smart_configuration_advertises_backend_services(http: TestClient) -> None:
    for path in ("/.well-known/smart-configuration", "/fhir/.well-known/smart-configuration"):
        config = http.get(path).json()
        assert config["token_endpoint"] == TOKEN_URL
        assert config["grant_types_supported"] == ["client_credentials"]
        assert set(config["token_endpoint_auth_methods_supported"]) == {
            "private_key_jwt",
            "client_secret_basic",
        }
        assert config["token_endpoint_auth_signing_alg_values_supported"] == ["ES384", "RS384"]
        assert "system/Patient.read" in config["scopes_supported"]
