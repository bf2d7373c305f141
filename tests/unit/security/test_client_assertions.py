"""private_key_jwt client assertions (SMART Backend Services) with real EC P-384 and RSA keys."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hub.config import Settings
from hub.security import (
    Client,
    InvalidClientError,
    MemoryReplayCache,
    assertion_client_id,
    verify_client_assertion,
)

TOKEN_URL = "https://hub.example.org/auth/token"
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
JwkOf = Callable[[PrivateKey, str], dict[str, Any]]
ClientOf = Callable[..., Client]


def _assertion(
    key: PrivateKey,
    now: datetime,
    *,
    kid: str | None = "k1",
    algorithm: str | None = None,
    **overrides: Any,
) -> str:
    claims: dict[str, Any] = {
        "iss": "tx-sis",
        "sub": "tx-sis",
        "aud": TOKEN_URL,
        "exp": int((now + timedelta(minutes=4)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    algorithm = algorithm or ("ES384" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS384")
    headers = {"kid": kid} if kid else {}
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


@pytest.fixture(params=["ec", "rsa"])
def key(request: pytest.FixtureRequest) -> PrivateKey:
    fixture: PrivateKey = request.getfixturevalue(f"{request.param}_key")
    return fixture


@pytest.fixture
def client(key: PrivateKey, jwk_of: JwkOf, client_of: ClientOf) -> Client:
    return client_of(["system/*.read"], jwks={"keys": [jwk_of(key, "k1")]})


def _verify(
    assertion: str,
    client: Client,
    settings: Settings,
    now: datetime,
    cache: MemoryReplayCache | None = None,
) -> None:
    verify_client_assertion(
        assertion,
        client,
        TOKEN_URL,
        settings,
        now=now,
        replay_cache=cache if cache is not None else MemoryReplayCache(),
    )


def test_valid_assertion_is_accepted(
    key: PrivateKey, client: Client, token_settings: Settings, now: datetime
) -> None:
    assertion = _assertion(key, now)
    assert assertion_client_id(assertion) == "tx-sis"
    _verify(assertion, client, token_settings, now)


def test_single_key_may_be_used_without_kid(
    key: PrivateKey, client: Client, token_settings: Settings, now: datetime
) -> None:
    _verify(_assertion(key, now, kid=None), client, token_settings, now)


def test_replayed_jti_is_refused(
    key: PrivateKey, client: Client, token_settings: Settings, now: datetime
) -> None:
    cache = MemoryReplayCache()
    assertion = _assertion(key, now)
    _verify(assertion, client, token_settings, now, cache)
    with pytest.raises(InvalidClientError, match="already used"):
        _verify(assertion, client, token_settings, now + timedelta(seconds=1), cache)
    # The same jti in a new assertion is a replay too.
    jti = jwt.decode(assertion, options={"verify_signature": False})["jti"]
    with pytest.raises(InvalidClientError, match="already used"):
        _verify(_assertion(key, now, jti=jti), client, token_settings, now, cache)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"aud": "https://elsewhere.example.org/token"}, "'aud' must be"),
        ({"iss": "ca-sis"}, "'iss' must be the client_id"),
        ({"sub": "ca-sis"}, "'sub' must be the client_id"),
        ({"jti": None}, "jti"),
        ({"exp": None}, "exp"),
    ],
)
def test_assertion_with_wrong_claims_is_refused(
    overrides: dict[str, Any],
    message: str,
    key: PrivateKey,
    client: Client,
    token_settings: Settings,
    now: datetime,
) -> None:
    with pytest.raises(InvalidClientError, match=message):
        _verify(_assertion(key, now, **overrides), client, token_settings, now)


def test_expired_assertion_is_refused(
    key: PrivateKey, client: Client, token_settings: Settings, now: datetime
) -> None:
    assertion = _assertion(key, now, exp=int((now - timedelta(seconds=1)).timestamp()))
    with pytest.raises(InvalidClientError, match="expired"):
        _verify(assertion, client, token_settings, now)


def test_assertion_living_longer_than_allowed_is_refused(
    key: PrivateKey, client: Client, token_settings: Settings, now: datetime
) -> None:
    too_far = now + timedelta(minutes=token_settings.client_assertion_max_minutes, seconds=45)
    with pytest.raises(InvalidClientError, match="minutes away"):
        _verify(_assertion(key, now, exp=int(too_far.timestamp())), client, token_settings, now)


def test_assertion_signed_by_an_unregistered_key_is_refused(
    key: PrivateKey, client: Client, token_settings: Settings, now: datetime
) -> None:
    stranger: PrivateKey = (
        ec.generate_private_key(ec.SECP384R1())
        if isinstance(key, ec.EllipticCurvePrivateKey)
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    with pytest.raises(InvalidClientError, match="signature does not verify"):
        _verify(_assertion(stranger, now), client, token_settings, now)


def test_assertion_naming_an_unknown_kid_is_refused(
    key: PrivateKey, client: Client, token_settings: Settings, now: datetime
) -> None:
    with pytest.raises(InvalidClientError, match="kid 'k9'"):
        _verify(_assertion(key, now, kid="k9"), client, token_settings, now)


def test_algorithms_outside_rs384_and_es384_are_refused(
    rsa_key: rsa.RSAPrivateKey,
    jwk_of: JwkOf,
    client_of: ClientOf,
    token_settings: Settings,
    now: datetime,
) -> None:
    client = client_of(["system/*.read"], jwks={"keys": [jwk_of(rsa_key, "k1")]})
    with pytest.raises(InvalidClientError, match="alg 'RS256'"):
        _verify(_assertion(rsa_key, now, algorithm="RS256"), client, token_settings, now)
    hmac_signed = jwt.encode(
        {"iss": "tx-sis", "sub": "tx-sis", "aud": TOKEN_URL, "jti": "j", "exp": 1},
        "h" * 48,
        algorithm="HS384",
    )
    with pytest.raises(InvalidClientError, match="alg 'HS384'"):
        _verify(hmac_signed, client, token_settings, now)


def test_client_without_keys_cannot_use_assertions(
    key: PrivateKey, client_of: ClientOf, token_settings: Settings, now: datetime
) -> None:
    with pytest.raises(InvalidClientError, match="no registered"):
        _verify(_assertion(key, now), client_of(["system/*.read"]), token_settings, now)


def test_revoked_client_assertion_is_refused(
    key: PrivateKey, jwk_of: JwkOf, client_of: ClientOf, token_settings: Settings, now: datetime
) -> None:
    revoked = client_of(["system/*.read"], jwks={"keys": [jwk_of(key, "k1")]}, status="revoked")
    with pytest.raises(InvalidClientError, match="revoked"):
        _verify(_assertion(key, now), revoked, token_settings, now)


def test_malformed_assertion_names_no_client() -> None:
    with pytest.raises(InvalidClientError):
        assertion_client_id("not-a-jwt")


def test_replay_cache_forgets_expired_entries_and_fails_closed_when_full(now: datetime) -> None:
    cache = MemoryReplayCache(max_entries=2)
    soon = now + timedelta(minutes=1)
    assert cache.remember("a", expires_at=soon, now=now)
    assert cache.remember("b", expires_at=soon, now=now)
    with pytest.raises(InvalidClientError, match="too many"):
        cache.remember("c", expires_at=soon, now=now)
    later = now + timedelta(minutes=2)
    assert cache.remember("c", expires_at=later + timedelta(minutes=1), now=later)
    assert len(cache) == 1
    assert cache.remember("a", expires_at=later + timedelta(minutes=1), now=later)
