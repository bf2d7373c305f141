"""Fixtures for hub.security: settings that can sign tokens, a fixed clock, client keys."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import SecretStr

from hub.config import Settings
from hub.security import Client, Jurisdiction

NOW = datetime(2025, 9, 2, 14, 30, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    """A fixed instant; tests move time by adding to it."""
    return NOW


@pytest.fixture
def token_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", secret_key=SecretStr("s" * 48))


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwk_of() -> Callable[[ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, str], dict[str, Any]]:
    return public_jwk


@pytest.fixture
def client_of() -> Callable[..., Client]:
    return make_client


def public_jwk(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    else:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid}


def make_client(
    scopes: list[str],
    *,
    client_id: str = "tx-sis",
    jwks: dict[str, Any] | None = None,
    status: str = "active",
) -> Client:
    """A client value as loaded from the store (token checks need no storage)."""
    return Client.model_validate(
        {
            "client_id": client_id,
            "name": "Texas state MEP system (synthetic)",
            "scopes": scopes,
            "jurisdiction": Jurisdiction(state="TX"),
            "status": status,
            "jwks": jwks,
            "created_at": NOW,
            "updated_at": NOW,
        }
    )
