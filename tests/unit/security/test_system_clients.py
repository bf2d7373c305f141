"""System clients through the real store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hub.errors import ConflictError, ValidationError
from hub.security import (
    ClientRecords,
    ClientStatus,
    Jurisdiction,
    create_client,
    get_client,
    list_clients,
    revoke,
    rotate_secret,
    set_jwks,
    verify_secret,
)
from hub.security.clients import check_jwks
from hub.store import Store

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
JwkOf = Callable[[PrivateKey, str], dict[str, Any]]
TX = Jurisdiction(state="TX")


def _create(store: Store, now: datetime, **extra: Any) -> tuple[Any, str | None]:
    clients: ClientRecords = store.clients  # the store satisfies the protocol structurally
    arguments: dict[str, Any] = {
        "name": "Texas MEP system (synthetic)",
        "scopes": ["system/*.read", "msix/ingest.write"],
        "jurisdiction": TX,
        "now": now,
        "client_id": "tx-sis",
        **extra,
    }
    return store.call(lambda: create_client(clients, **arguments))


def test_secret_is_returned_once_and_only_its_hash_is_stored(store: Store, now: datetime) -> None:
    client, secret = _create(store, now)
    assert secret is not None
    assert len(secret) >= 43  # 32 random bytes, base64url
    stored = store.call(store.clients.get, "tx-sis")
    assert stored is not None
    assert secret not in repr(stored)
    assert stored["secret_hash"].startswith("$argon2id$")
    assert verify_secret(client, secret)
    assert not verify_secret(client, secret + "x")
    assert not verify_secret(None, secret)


def test_generated_client_ids_are_distinct(store: Store, now: datetime) -> None:
    first, _ = _create(store, now, client_id=None)
    second, _ = _create(store, now, client_id=None)
    assert first.client_id != second.client_id
    assert {c.client_id for c in store.call(list_clients, store.clients, "TX")} == {
        first.client_id,
        second.client_id,
    }


def test_client_id_is_unique(store: Store, now: datetime) -> None:
    _create(store, now)
    with pytest.raises(ConflictError):
        _create(store, now)


def test_create_client_reports_every_problem_at_once(store: Store, now: datetime) -> None:
    with pytest.raises(ValidationError) as caught:
        _create(
            store,
            now,
            client_id="!",
            name="",
            scopes=["patient/Patient.read", "nonsense"],
            with_secret=False,
        )
    locations = [issue.location for issue in caught.value.issues]
    assert locations.count("scope") + locations.count("scopes") == 2
    assert {"client_id", "name", "jwks"} <= set(locations)


def test_revoked_client_secret_no_longer_verifies(store: Store, now: datetime) -> None:
    _, secret = _create(store, now)
    revoked = store.call(revoke, store.clients, "tx-sis", now=now)
    assert revoked.status is ClientStatus.REVOKED
    assert revoked.revoked_at == now
    assert secret is not None
    assert not verify_secret(revoked, secret)
    with pytest.raises(ConflictError):
        store.call(rotate_secret, store.clients, "tx-sis", now=now)


def test_rotated_secret_replaces_the_old_one(store: Store, now: datetime) -> None:
    _, old = _create(store, now)
    client, new = store.call(rotate_secret, store.clients, "tx-sis", now=now)
    assert old is not None
    assert new != old
    assert verify_secret(client, new)
    assert not verify_secret(client, old)


def test_key_only_client_has_no_secret(
    store: Store, now: datetime, ec_key: PrivateKey, jwk_of: JwkOf
) -> None:
    jwks = {"keys": [jwk_of(ec_key, "k1")]}
    client, secret = _create(store, now, jwks=jwks, with_secret=False)
    assert secret is None
    assert client.secret_hash is None
    assert store.call(get_client, store.clients, "tx-sis").jwks == jwks


def test_keys_can_be_replaced(
    store: Store, now: datetime, ec_key: PrivateKey, rsa_key: PrivateKey, jwk_of: JwkOf
) -> None:
    _create(store, now)
    jwks = {"keys": [jwk_of(ec_key, "old"), jwk_of(rsa_key, "new")]}
    assert store.call(set_jwks, store.clients, "tx-sis", jwks, now=now).jwks == jwks


def test_public_p384_and_rsa_2048_keys_are_accepted(
    ec_key: PrivateKey, rsa_key: PrivateKey, jwk_of: JwkOf
) -> None:
    assert check_jwks({"keys": [jwk_of(ec_key, "a"), jwk_of(rsa_key, "b")]}) == []


def test_unsuitable_keys_are_refused_each_with_its_reason(jwk_of: JwkOf) -> None:
    p256 = jwk_of(ec.generate_private_key(ec.SECP256R1()), "p256")
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (refused)
    short_rsa = jwk_of(weak, "short")
    private = {**jwk_of(ec.generate_private_key(ec.SECP384R1()), "private"), "d": "AAAA"}
    duplicate_kid = jwk_of(ec.generate_private_key(ec.SECP384R1()), "p256")
    symmetric = {"kty": "oct", "k": "c2VjcmV0", "kid": "oct"}
    edwards = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    keys = [p256, short_rsa, private, duplicate_kid, symmetric, {**edwards, "kid": "ed"}]
    issues = check_jwks({"keys": keys})
    messages = " | ".join(issue.message for issue in issues)
    for reason in ("P-384", "2048", "private key", "appears twice", "only RSA"):
        assert reason in messages
    assert check_jwks({"keys": []})[0].location == "jwks.keys"
