"""System clients (state data systems, school systems, clinics) for SMART Backend Services.

A client authenticates with a secret (`client_secret_basic`) or with a JWT signed by one of its
registered public keys (`private_key_jwt`). Only the argon2 hash of a secret is stored; the secret
itself is returned once, at creation or rotation. Keys are registered as a JWKS document; the hub
never fetches a `jwks_uri`, so no network call happens during authentication.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import Field

from hub.errors import ConflictError, Issue, IssueCode, NotFoundError, ValidationError, error
from hub.security._documents import StoredModel, as_utc
from hub.security.passwords import burn_verification_time, hash_password, verify_password
from hub.security.roles import Jurisdiction
from hub.security.scopes import SYSTEM_CONTEXTS, Scope, parse_scopes
from hub.security.stores import ClientRecords, Document

# SMART Backend Services: RS384 and ES384 SHALL be supported; the hub accepts only those.
ASSERTION_ALGORITHMS: frozenset[str] = frozenset({"RS384", "ES384"})
_KEY_TYPES = {"RSA": "RS384", "EC": "ES384"}
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})
MIN_RSA_BITS = 2048
_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,127}$")


class ClientStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class Client(StoredModel):
    """A registered system client as stored in `clients` (`_id` is the client_id)."""

    client_id: str
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str]
    jurisdiction: Jurisdiction
    status: ClientStatus = ClientStatus.ACTIVE
    secret_hash: str | None = Field(default=None, repr=False)
    jwks: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status is ClientStatus.ACTIVE

    @property
    def allowed_scopes(self) -> list[Scope]:
        return parse_scopes(self.scopes)

    def to_document(self) -> Document:
        document = self.model_dump(mode="python")
        document["status"] = self.status.value
        return document

    @classmethod
    def from_document(cls, document: Document) -> Client:
        return cls.model_validate({k: v for k, v in document.items() if k != "_id"})


def new_client_secret() -> str:
    """256 random bits, URL-safe, shown to the operator once."""
    return secrets.token_urlsafe(32)


def create_client(
    clients: ClientRecords,
    *,
    name: str,
    scopes: list[str],
    jurisdiction: Jurisdiction,
    now: datetime,
    client_id: str | None = None,
    jwks: dict[str, Any] | None = None,
    with_secret: bool = True,
) -> tuple[Client, str | None]:
    """Register a client; returns it with its plain secret (None when `with_secret` is False).

    A client needs a secret, a JWKS, or both. Every problem is reported at once.
    """
    client_id = client_id or f"msix-{secrets.token_hex(8)}"
    issues: list[Issue] = []
    if not _CLIENT_ID.match(client_id):
        issues.append(
            error(IssueCode.VALUE, "client_id must be 3-128 of A-Z a-z 0-9 . _ -", "client_id")
        )
    if not name.strip():
        issues.append(error(IssueCode.REQUIRED, "name is required", "name"))
    issues += _check_scopes(scopes)
    if jwks is not None:
        issues += check_jwks(jwks)
    if jwks is None and not with_secret:
        issues.append(
            error(IssueCode.REQUIRED, "a client needs a secret or a JWKS to authenticate", "jwks")
        )
    if issues:
        raise ValidationError(issues)
    secret = new_client_secret() if with_secret else None
    now = as_utc(now)
    client = Client(
        client_id=client_id,
        name=name.strip(),
        scopes=list(dict.fromkeys(scopes)),
        jurisdiction=jurisdiction,
        secret_hash=hash_password(secret) if secret else None,
        jwks=jwks,
        created_at=now,
        updated_at=now,
    )
    clients.insert(client.to_document())
    return client, secret


def get_client(clients: ClientRecords, client_id: str) -> Client:
    document = clients.get(client_id)
    if document is None:
        raise NotFoundError(f"no client {client_id!r}", "client_id")
    return Client.from_document(document)


def find_client(clients: ClientRecords, client_id: str) -> Client | None:
    document = clients.get(client_id)
    return None if document is None else Client.from_document(document)


def list_clients(clients: ClientRecords, state: str | None = None) -> list[Client]:
    return [Client.from_document(document) for document in clients.list(state)]


def revoke(clients: ClientRecords, client_id: str, *, now: datetime) -> Client:
    """Stop a client for good: no new tokens. Tokens already issued expire within minutes."""
    client = get_client(clients, client_id)
    if not client.active:
        return client
    now = as_utc(now)
    changes: Document = {"status": ClientStatus.REVOKED.value, "revoked_at": now, "updated_at": now}
    return Client.from_document(clients.update(client_id, changes))


def rotate_secret(clients: ClientRecords, client_id: str, *, now: datetime) -> tuple[Client, str]:
    """Replace the secret; the old one stops working at once. Returns the new plain secret."""
    client = get_client(clients, client_id)
    if not client.active:
        raise ConflictError(f"client {client_id!r} is revoked", "client_id")
    secret = new_client_secret()
    changes: Document = {"secret_hash": hash_password(secret), "updated_at": as_utc(now)}
    return Client.from_document(clients.update(client_id, changes)), secret


def set_jwks(
    clients: ClientRecords, client_id: str, jwks: dict[str, Any], *, now: datetime
) -> Client:
    """Register new public keys (key rotation keeps old and new side by side for a while)."""
    issues = check_jwks(jwks)
    if issues:
        raise ValidationError(issues)
    get_client(clients, client_id)
    changes: Document = {"jwks": jwks, "updated_at": as_utc(now)}
    return Client.from_document(clients.update(client_id, changes))


def verify_secret(client: Client | None, secret: str) -> bool:
    """True when `secret` is this active client's secret. Takes as long for an unknown client."""
    if client is None or client.secret_hash is None:
        burn_verification_time()
        return False
    # Verify before looking at the status, so a revoked client answers as slowly as any other.
    matches = verify_password(client.secret_hash, secret)
    return matches and client.active


def check_jwks(jwks: dict[str, Any]) -> list[Issue]:
    """A JWKS of public RSA (2048 bits or more) or EC P-384 keys, each with a distinct `kid`."""
    keys = jwks.get("keys")
    if not isinstance(keys, list) or not keys:
        return [error(IssueCode.REQUIRED, "a JWKS needs a non-empty 'keys' list", "jwks.keys")]
    issues: list[Issue] = []
    kids: set[str] = set()
    for number, key in enumerate(keys):
        where = f"jwks.keys[{number}]"
        if not isinstance(key, dict):
            issues.append(error(IssueCode.STRUCTURE, "a key must be a JSON object", where))
            continue
        kid = key.get("kid")
        if not isinstance(kid, str) or not kid:
            issues.append(error(IssueCode.REQUIRED, "every key needs a 'kid'", f"{where}.kid"))
        elif kid in kids:
            issues.append(error(IssueCode.DUPLICATE, f"kid {kid!r} appears twice", f"{where}.kid"))
        kids.add(str(kid))
        problem = _key_problem(key)
        if problem:
            issues.append(error(IssueCode.SECURITY, problem, where))
    return issues


def _key_problem(key: dict[str, Any]) -> str | None:
    if _PRIVATE_MEMBERS & key.keys():
        return "private key material; register public keys only"
    algorithm = _KEY_TYPES.get(str(key.get("kty")))
    if algorithm is None or key.get("alg", algorithm) != algorithm:
        return "only RSA keys for RS384 and EC P-384 keys for ES384 are accepted"
    if algorithm == "ES384" and key.get("crv") != "P-384":
        return "EC keys must be on curve P-384 (ES384)"
    try:
        public = jwt.PyJWK.from_dict(key, algorithm=algorithm).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
        return f"unusable key: {exc}"
    if isinstance(public, rsa.RSAPublicKey) and public.key_size < MIN_RSA_BITS:
        return f"RSA keys must have at least {MIN_RSA_BITS} bits (NIST SP 800-131A)"
    return None


def _check_scopes(scopes: list[str]) -> list[Issue]:
    if not scopes:
        return [error(IssueCode.REQUIRED, "at least one scope is required", "scopes")]
    issues: list[Issue] = []
    for text in scopes:
        try:
            scope = Scope.parse(text)
        except ValidationError as exc:
            issues += exc.issues
            continue
        if scope.context not in SYSTEM_CONTEXTS:
            issues.append(
                error(
                    IssueCode.VALUE,
                    f"scope {text!r}: a system client holds system/ or msix/ scopes",
                    "scope",
                )
            )
    return issues
