"""Access tokens for the client-credentials grant, and client assertions (SMART Backend Services).

Access tokens are short-lived JWTs (RFC 9068 shape, header `typ: at+jwt`) signed with HS256. The
key is derived from `settings.secret_key` for this one purpose, so a token can never be mistaken
for another value signed with the same secret (a UI session, say). The hub is both the
authorization and the resource server, so `iss` and `aud` are both `settings.token_issuer`.

Every check takes `now` so tests control the clock; PyJWT's own clock checks are switched off and
done here instead.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import jwt

from hub.config import Settings
from hub.errors import (
    AuthenticationError,
    ConfigurationError,
    Issue,
    IssueCode,
    ValidationError,
    error,
)
from hub.security._documents import as_utc
from hub.security.caller import Caller
from hub.security.clients import ASSERTION_ALGORITHMS, Client
from hub.security.oauth import InvalidClientError, InvalidScopeError
from hub.security.roles import Jurisdiction
from hub.security.scopes import Scope, any_grants
from hub.security.stores import ReplayCache

# Names of an algorithm and a media type, not secrets (ruff S105 false positives).
ACCESS_TOKEN_ALGORITHM = "HS256"  # noqa: S105
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# Clocks of a client and the hub disagree a little; more than this is a broken clock.
CLOCK_SKEW = timedelta(seconds=30)
_KEY_PURPOSE = b"msix-hub access token v1"
_REQUIRED_CLAIMS = ["iss", "sub", "aud", "iat", "exp", "jti", "scope"]
_VERIFIED_TOKENS = 4096  # tokens whose verified claims are kept (a few hundred bytes each)
_ASSERTION_CLAIMS = ["iss", "sub", "aud", "exp", "jti"]
_MAX_JTI_LENGTH = 255


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """What the token endpoint answers (RFC 6749 §5.1), plus the id and expiry for the audit."""

    access_token: str
    expires_in: int
    scope: str
    token_id: str
    expires_at: datetime
    token_type: str = "bearer"  # noqa: S105 (RFC 6749 token type)


def issue_token(
    client: Client, requested_scopes: Iterable[str], settings: Settings, *, now: datetime
) -> IssuedToken:
    """Sign an access token for an authenticated client.

    Granted scopes are the requested ones when the client's registered scopes cover each of them
    (`system/*.read` covers `system/Patient.rs`); no request means every registered scope. A
    scope beyond the registration fails the whole request with `invalid_scope`, rather than
    silently issuing less than was asked for.
    """
    if not client.active:
        raise InvalidClientError(f"client {client.client_id!r} is revoked")
    requested = list(dict.fromkeys(requested_scopes))
    granted = requested or list(client.scopes)
    allowed = client.allowed_scopes
    issues: list[Issue] = []
    for text in requested:
        try:
            scope = Scope.parse(text)
        except ValidationError as exc:
            issues += exc.issues
            continue
        if not any_grants(allowed, scope):
            issues.append(
                error(IssueCode.FORBIDDEN, f"scope {text!r} is not granted to this client", "scope")
            )
    if issues:
        raise InvalidScopeError(issues)
    now = as_utc(now)
    lifetime = timedelta(minutes=settings.access_token_minutes)
    expires_at = now + lifetime
    token_id = uuid.uuid4().hex
    claims: dict[str, Any] = {
        "iss": settings.token_issuer,
        "sub": client.client_id,
        "aud": settings.token_issuer,
        "client_id": client.client_id,
        "kind": "client",
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": token_id,
        "scope": " ".join(granted),
        "jurisdiction": client.jurisdiction.model_dump(exclude_none=True),
    }
    token = jwt.encode(
        claims,
        _signing_key(settings),
        algorithm=ACCESS_TOKEN_ALGORITHM,
        headers={"typ": ACCESS_TOKEN_TYPE},
    )
    return IssuedToken(
        access_token=token,
        expires_in=int(lifetime.total_seconds()),
        scope=claims["scope"],
        token_id=token_id,
        expires_at=expires_at,
    )


def verify_access_token(token: str, settings: Settings, *, now: datetime) -> Caller:
    """The caller a bearer token stands for; `AuthenticationError` when it cannot be trusted."""
    claims = dict(_verified_claims(token, _signing_key(settings), settings.token_issuer))
    now = as_utc(now)
    expires_at = _instant(claims, "exp")
    if now >= expires_at:
        raise AuthenticationError(
            [error(IssueCode.EXPIRED, "access token expired; request a new one", "Authorization")]
        )
    if _instant(claims, "iat") > now + CLOCK_SKEW:
        raise _bad_token("access token was issued in the future")
    try:
        return Caller(
            kind="user" if claims.get("kind") == "user" else "client",
            id=str(claims["sub"]),
            scopes=frozenset(str(claims["scope"]).split()),
            jurisdiction=Jurisdiction.model_validate(claims.get("jurisdiction") or {}),
            token_id=str(claims["jti"]),
        )
    except (ValidationError, ValueError, TypeError):
        raise _bad_token("access token claims are malformed") from None


@functools.lru_cache(maxsize=_VERIFIED_TOKENS)
def _verified_claims(token: str, key: bytes, issuer: str) -> Mapping[str, Any]:
    """The claims of a token whose header, signature, issuer and audience check out.

    Cached by (token, key, issuer): a client sends the same token with every request until it
    expires, and PyJWT's checks cost about half a millisecond (it inspects the token character
    by character, twice). Only a token that passed every check is cached (an exception is never
    cached); the clock checks are the caller's, on every use.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _bad_token("access token is not a well-formed JWT") from None
    if header.get("alg") != ACCESS_TOKEN_ALGORITHM or header.get("typ") != ACCESS_TOKEN_TYPE:
        raise _bad_token("not an access token of this hub")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ACCESS_TOKEN_ALGORITHM],
            audience=issuer,
            issuer=issuer,
            options={
                "require": _REQUIRED_CLAIMS,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise _bad_token("access token signature does not verify") from None
    except jwt.InvalidIssuerError:
        raise _bad_token("access token was issued by another issuer") from None
    except jwt.InvalidAudienceError:
        raise _bad_token("access token is meant for another audience") from None
    except jwt.PyJWTError as exc:
        raise _bad_token(f"access token is malformed: {exc}") from None
    return MappingProxyType(claims)


def assertion_client_id(assertion: str) -> str:
    """The client an assertion claims to come from (its `iss`), read before verifying it, so
    the keys to verify it with can be looked up. Nothing else is trusted from it yet."""
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidClientError("client_assertion is not a well-formed JWT") from None
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise InvalidClientError("client_assertion has no 'iss' (the client_id)")
    return issuer


def verify_client_assertion(
    assertion: str,
    client: Client,
    token_url: str,
    settings: Settings,
    *,
    now: datetime,
    replay_cache: ReplayCache,
) -> None:
    """Check a `private_key_jwt` client assertion as SMART Backend Services requires.

    Signed RS384 or ES384 by a key in the client's JWKS (picked by `kid`); `iss` and `sub` are
    the client_id; `aud` is the token endpoint URL; `exp` is in the future but no more than
    `client_assertion_max_minutes` away; `jti` has not been seen before. Raises
    `InvalidClientError` naming the first check that failed.
    """
    if not client.active:
        raise InvalidClientError(f"client {client.client_id!r} is revoked")
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise InvalidClientError("client_assertion is not a well-formed JWT") from None
    algorithm = header.get("alg")
    if algorithm not in ASSERTION_ALGORITHMS:
        raise InvalidClientError(
            f"client_assertion alg {algorithm!r}; use one of {sorted(ASSERTION_ALGORITHMS)}"
        )
    if str(header.get("typ", "JWT")).upper() != "JWT":
        raise InvalidClientError("client_assertion typ must be 'JWT'")
    key = _assertion_key(client, header.get("kid"), str(algorithm))
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            key,
            algorithms=[str(algorithm)],
            audience=token_url,
            issuer=client.client_id,
            options={
                "require": _ASSERTION_CLAIMS,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise InvalidClientError("client_assertion signature does not verify") from None
    except jwt.InvalidAudienceError:
        raise InvalidClientError(f"client_assertion 'aud' must be {token_url}") from None
    except jwt.InvalidIssuerError:
        raise InvalidClientError("client_assertion 'iss' must be the client_id") from None
    except jwt.PyJWTError as exc:
        raise InvalidClientError(f"client_assertion is malformed: {exc}") from None
    if claims["sub"] != client.client_id:
        raise InvalidClientError("client_assertion 'sub' must be the client_id")
    now = as_utc(now)
    try:
        expires_at = _instant(claims, "exp")
    except AuthenticationError:
        raise InvalidClientError("client_assertion 'exp' is not a number") from None
    if now >= expires_at:
        raise InvalidClientError("client_assertion expired")
    longest = timedelta(minutes=settings.client_assertion_max_minutes)
    if expires_at > now + longest + CLOCK_SKEW:
        raise InvalidClientError(
            f"client_assertion 'exp' is more than {settings.client_assertion_max_minutes} "
            "minutes away"
        )
    jti = claims["jti"]
    if not isinstance(jti, str) or not jti or len(jti) > _MAX_JTI_LENGTH:
        raise InvalidClientError("client_assertion 'jti' must be a non-empty string")
    if not replay_cache.remember(f"{client.client_id}\n{jti}", expires_at=expires_at, now=now):
        raise InvalidClientError("client_assertion 'jti' was already used")


class MemoryReplayCache:
    """A `ReplayCache` in this process's memory, bounded in size.

    Enough for one API process. Several processes sharing a data dir or a MongoDB need a shared
    cache (a store collection with a unique key on client_id + jti), or a replay could be played
    against a second process. When full of unexpired entries it refuses new assertions rather
    than forget a live one (fail closed); entries live at most `client_assertion_max_minutes`.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self._max_entries = max_entries
        self._expiry: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def remember(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        with self._lock:
            seen_until = self._expiry.get(key)
            if seen_until is not None and seen_until > now:
                return False
            if len(self._expiry) >= self._max_entries:
                self._expiry = {k: exp for k, exp in self._expiry.items() if exp > now}
            if len(self._expiry) >= self._max_entries:
                raise InvalidClientError("too many recent client assertions; retry in a minute")
            self._expiry[key] = expires_at
            return True

    def __len__(self) -> int:
        return len(self._expiry)


def _assertion_key(client: Client, kid: object, algorithm: str) -> Any:
    keys = [
        key
        for key in (client.jwks or {}).get("keys", [])
        if isinstance(key, dict) and key.get("kty") == ("RSA" if algorithm == "RS384" else "EC")
    ]
    if kid is not None:
        keys = [key for key in keys if key.get("kid") == kid]
    elif len(keys) > 1:
        raise InvalidClientError("client_assertion needs a 'kid': the client has several keys")
    if not keys:
        raise InvalidClientError(
            f"no registered {algorithm} key for this client"
            + (f" with kid {kid!r}" if kid is not None else "")
        )
    try:
        return jwt.PyJWK.from_dict(keys[0], algorithm=algorithm).key
    except (jwt.PyJWKError, jwt.InvalidKeyError):
        raise InvalidClientError("the registered key cannot verify this algorithm") from None


def _signing_key(settings: Settings) -> bytes:
    secret = settings.secret_key.get_secret_value()
    if not secret:
        raise ConfigurationError("MSIX_SECRET_KEY is empty: access tokens cannot be signed")
    # HMAC as a key-derivation step (HKDF-Expand with one block): a 32-byte key for one purpose.
    return hmac.new(secret.encode(), _KEY_PURPOSE, hashlib.sha256).digest()


def _instant(claims: dict[str, Any], name: str) -> datetime:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad_token(f"access token claim {name!r} is not a number")
    return datetime.fromtimestamp(value, UTC)


def _bad_token(message: str) -> AuthenticationError:
    return AuthenticationError([error(IssueCode.SECURITY, message, "Authorization")])
