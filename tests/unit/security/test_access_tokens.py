from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import jwt
import pytest
from pydantic import SecretStr

from hub.config import Settings
from hub.errors import AuthenticationError, ConfigurationError, IssueCode
from hub.security import (
    Client,
    InvalidClientError,
    InvalidScopeError,
    Jurisdiction,
    issue_token,
    verify_access_token,
)

ClientOf = Callable[..., Client]
SCOPES = ["system/*.read", "system/Immunization.write", "msix/messages.write"]


def test_issued_token_verifies_to_the_client_as_caller(
    client_of: ClientOf, token_settings: Settings, now: datetime
) -> None:
    issued = issue_token(client_of(SCOPES), [], token_settings, now=now)
    assert issued.token_type == "bearer"
    assert issued.expires_in == token_settings.access_token_minutes * 60
    assert issued.scope == " ".join(SCOPES)
    caller = verify_access_token(issued.access_token, token_settings, now=now)
    assert caller.kind == "client"
    assert caller.id == "tx-sis"
    assert caller.scopes == frozenset(SCOPES)
    assert caller.jurisdiction == Jurisdiction(state="TX")
    assert caller.token_id == issued.token_id
    assert caller.grants("system/Patient.rs")
    assert not caller.grants("system/Patient.write")


def test_token_claims_follow_rfc_9068(
    client_of: ClientOf, token_settings: Settings, now: datetime
) -> None:
    issued = issue_token(client_of(SCOPES), ["system/Patient.read"], token_settings, now=now)
    header = jwt.get_unverified_header(issued.access_token)
    claims = jwt.decode(issued.access_token, options={"verify_signature": False})
    assert header == {"alg": "HS256", "typ": "at+jwt"}
    assert claims["iss"] == claims["aud"] == token_settings.token_issuer
    assert claims["sub"] == claims["client_id"] == "tx-sis"
    assert claims["exp"] - claims["iat"] == token_settings.access_token_minutes * 60
    assert claims["scope"] == "system/Patient.read"
    assert claims["jurisdiction"] == {"state": "TX"}
    assert len(claims["jti"]) == 32


def test_granted_scopes_are_the_requested_ones_the_client_holds(
    client_of: ClientOf, token_settings: Settings, now: datetime
) -> None:
    requested = ["system/Patient.rs", "system/Condition.read", "system/Patient.rs"]
    issued = issue_token(client_of(SCOPES), requested, token_settings, now=now)
    assert issued.scope == "system/Patient.rs system/Condition.read"


def test_scope_beyond_the_registration_is_invalid_scope(
    client_of: ClientOf, token_settings: Settings, now: datetime
) -> None:
    with pytest.raises(InvalidScopeError) as caught:
        issue_token(
            client_of(SCOPES),
            ["system/Patient.read", "system/Patient.write", "not a scope"],
            token_settings,
            now=now,
        )
    assert caught.value.oauth_error == "invalid_scope"
    assert len(caught.value.issues) == 2


def test_revoked_client_gets_no_token(
    client_of: ClientOf, token_settings: Settings, now: datetime
) -> None:
    with pytest.raises(InvalidClientError):
        issue_token(client_of(SCOPES, status="revoked"), [], token_settings, now=now)


def test_token_expires_after_its_lifetime(
    client_of: ClientOf, token_settings: Settings, now: datetime
) -> None:
    issued = issue_token(client_of(SCOPES), [], token_settings, now=now)
    just_before = now + timedelta(minutes=token_settings.access_token_minutes, seconds=-1)
    verify_access_token(issued.access_token, token_settings, now=just_before)
    with pytest.raises(AuthenticationError) as caught:
        verify_access_token(issued.access_token, token_settings, now=issued.expires_at)
    assert caught.value.issues[0].code is IssueCode.EXPIRED


def test_token_from_the_future_is_refused(
    client_of: ClientOf, token_settings: Settings, now: datetime
) -> None:
    issued = issue_token(client_of(SCOPES), [], token_settings, now=now + timedelta(minutes=5))
    with pytest.raises(AuthenticationError, match="future"):
        verify_access_token(issued.access_token, token_settings, now=now)


def _flip_signature_byte(token: str) -> str:
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0x01
    return ".".join([head, payload, base64.urlsafe_b64encode(raw).rstrip(b"=").decode()])


def _change_claim(token: str, name: str, value: object) -> str:
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims[name] = value
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return ".".join([head, encoded, signature])


@pytest.mark.parametrize(
    "tamper",
    [
        _flip_signature_byte,
        lambda token: _change_claim(token, "scope", "system/*.cruds"),
        lambda token: _change_claim(token, "sub", "ca-sis"),
        lambda token: _change_claim(token, "exp", 4_102_444_800),
    ],
    ids=["signature-byte", "scope-claim", "sub-claim", "exp-claim"],
)
def test_tampered_token_is_refused(
    tamper: Callable[[str], str], client_of: ClientOf, token_settings: Settings, now: datetime
) -> None:
    issued = issue_token(client_of(SCOPES), [], token_settings, now=now)
    with pytest.raises(AuthenticationError, match="signature does not verify"):
        verify_access_token(tamper(issued.access_token), token_settings, now=now)


def test_token_signed_with_another_secret_is_refused(
    client_of: ClientOf, token_settings: Settings, now: datetime, tmp_path: Path
) -> None:
    other = Settings(data_dir=tmp_path, secret_key=SecretStr("o" * 48))
    issued = issue_token(client_of(SCOPES), [], other, now=now)
    with pytest.raises(AuthenticationError, match="signature"):
        verify_access_token(issued.access_token, token_settings, now=now)


def test_token_of_another_issuer_is_refused(
    client_of: ClientOf, token_settings: Settings, now: datetime
) -> None:
    elsewhere = token_settings.model_copy(update={"token_issuer": "another-hub"})
    issued = issue_token(client_of(SCOPES), [], elsewhere, now=now)
    with pytest.raises(AuthenticationError, match="another issuer"):
        verify_access_token(issued.access_token, token_settings, now=now)


def test_token_signed_with_the_raw_secret_is_refused(
    token_settings: Settings, now: datetime
) -> None:
    # The signing key is derived for access tokens only; the bare secret signs nothing valid.
    claims = {
        "iss": token_settings.token_issuer,
        "aud": token_settings.token_issuer,
        "sub": "tx-sis",
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + 60,
        "jti": "x",
        "scope": "system/*.read",
    }
    forged = jwt.encode(
        claims,
        token_settings.secret_key.get_secret_value(),
        algorithm="HS256",
        headers={"typ": "at+jwt"},
    )
    with pytest.raises(AuthenticationError, match="signature"):
        verify_access_token(forged, token_settings, now=now)


@pytest.mark.parametrize(
    "token",
    ["", "not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."],
    ids=["empty", "word", "garbage-segments", "alg-none"],
)
def test_malformed_token_is_refused(token: str, token_settings: Settings, now: datetime) -> None:
    with pytest.raises(AuthenticationError):
        verify_access_token(token, token_settings, now=now)


def test_empty_secret_refuses_to_sign(client_of: ClientOf, tmp_path: Path, now: datetime) -> None:
    demo_without_secret = Settings(demo=True, data_dir=tmp_path)
    with pytest.raises(ConfigurationError):
        issue_token(client_of(SCOPES), [], demo_without_secret, now=now)


def test_a_token_verified_once_is_refused_after_the_secret_or_issuer_changes(
    client_of: ClientOf, token_settings: Settings, now: datetime
) -> None:
    """Verified tokens are remembered per key and issuer: rotating the secret (or moving the
    hub) must not let a token through on the strength of an earlier check."""
    issued = issue_token(client_of(SCOPES), [], token_settings, now=now)
    for _ in range(2):  # the second check is answered from what the first one verified
        assert verify_access_token(issued.access_token, token_settings, now=now).id == "tx-sis"
    rotated = token_settings.model_copy(update={"secret_key": SecretStr("r" * 48)})
    with pytest.raises(AuthenticationError, match="signature does not verify"):
        verify_access_token(issued.access_token, rotated, now=now)
    moved = token_settings.model_copy(update={"token_issuer": "another-hub"})
    with pytest.raises(AuthenticationError, match="another issuer"):
        verify_access_token(issued.access_token, moved, now=now)
