"""The HTTP side of a run: tokens by OAuth2 client credentials, requests built from a suite's
`request:` block, and every exchange logged for the report (secrets redacted)."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx2

from hub.conformance._envelope import build_message
from hub.conformance._outcomes import Skipped
from hub.conformance._results import Exchange, logged_body, logged_headers
from hub.conformance._suite import Request
from hub.conformance._variables import Variables

_INVALID_TOKEN = "invalid.conformance.token"  # noqa: S105 (deliberately wrong, for 401 tests)


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Response:
    """A response as checks see it."""

    status: int
    headers: httpx2.Headers
    content: bytes
    url: str

    @property
    def media_type(self) -> str:
        value: str = self.headers.get("content-type", "")
        return value.partition(";")[0].strip().lower()


@dataclass
class Sent:
    """What a step sent: enough for checks that compare a reply with its request."""

    method: str
    url: str
    body: bytes
    message_id: str | None = None


class TokenError(Exception):
    """The token endpoint refused the run's own credentials."""


@dataclass
class Session:
    http: httpx2.Client
    credentials: Credentials | None
    token_path: str = "/auth/token"  # noqa: S105 (a path)
    others: dict[str, Credentials] = field(default_factory=dict)
    _tokens: dict[tuple[str, str], str] = field(default_factory=dict)

    def token(self, scope: str | None = None, client: str | None = None) -> str:
        """An access token for `scope` (None: every scope the client holds), cached per scope.

        Without credentials the test is skipped; a narrowed scope the client cannot get skips it
        too (there is no way to test with it); refusing the client's own credentials is an error.
        """
        key = (client or "", scope or "")
        if key in self._tokens:
            return self._tokens[key]
        credentials = self.credentials if client is None else self.others.get(client)
        if credentials is None:
            wanted = (
                "--client-id / --client-secret"
                if client is None
                else f"--client {client}=ID:SECRET"
            )
            raise Skipped(f"no data: no client credentials were given ({wanted})")
        pair = f"{quote(credentials.client_id)}:{quote(credentials.client_secret)}"
        form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
        response = self.http.post(
            self.token_path,
            data=form,
            headers={"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()},
        )
        if response.status_code != 200:
            detail = f"{self.token_path} answered {response.status_code}: {response.text[:300]}"
            if scope or client:
                raise Skipped(f"no token with scope {scope!r} could be obtained ({detail})")
            raise TokenError(detail)
        token = str(response.json()["access_token"])
        self._tokens[key] = token
        return token

    def _auth_headers(self, auth: Any) -> dict[str, str]:
        if auth == "none":
            return {}
        if auth == "invalid":
            return {"Authorization": f"Bearer {_INVALID_TOKEN}"}
        if isinstance(auth, dict):
            token = self.token(auth.get("scope"), auth.get("client"))
        else:
            token = self.token()
        return {"Authorization": f"Bearer {token}"}

    def send(
        self, request: Request, variables: Variables, log: list[Exchange] | None = None
    ) -> tuple[Exchange, Response, Sent]:
        """Send a suite request (variables substituted first; a missing one skips the step)."""
        path = variables.substitute(request.path)
        params = {
            name: [str(item) for item in value] if isinstance(value, list) else str(value)
            for name, value in variables.substitute(request.params).items()
        }
        headers = {**variables.substitute(request.headers)}
        headers.update(self._auth_headers(variables.substitute(request.auth)))
        content, message_id = self._body(request, variables, headers)
        return self.fetch(
            request.method, path, headers, content, params, message_id=message_id, log=log
        )

    def _body(
        self, request: Request, variables: Variables, headers: dict[str, str]
    ) -> tuple[bytes, str | None]:
        message_id: str | None = None
        content = b""
        if request.json is not None:
            content = json.dumps(variables.substitute(request.json)).encode("utf-8")
            headers.setdefault("Content-Type", request.content_type or "application/fhir+json")
        elif request.form is not None:
            content = urlencode(variables.substitute(request.form)).encode("ascii")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif request.message is not None:
            content, message_id = build_message(variables.substitute(request.message))
            headers.setdefault("Content-Type", request.content_type or "application/xml")
        elif request.text is not None:
            content = str(variables.substitute(request.text)).encode("utf-8")
            headers.setdefault("Content-Type", request.content_type or "application/xml")
        if request.nested_elements is not None:
            depth = request.nested_elements
            content = (
                b'<Message xmlns="urn:msix:message:1">'
                + b"<x>" * depth
                + b"</x>" * depth
                + b"</Message>"
            )
            headers.setdefault("Content-Type", request.content_type or "application/xml")
        if request.pad_to is not None and len(content) < request.pad_to:
            # Whitespace after the root element keeps XML well-formed while making it large.
            content += b" " * (request.pad_to - len(content))
        return content, message_id

    def fetch(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        content: bytes = b"",
        params: dict[str, Any] | None = None,
        *,
        message_id: str | None = None,
        log: list[Exchange] | None = None,
    ) -> tuple[Exchange, Response, Sent]:
        """Send one request, logged in `log` before it is sent; transport failures propagate
        (the test errs) with the failure recorded on the exchange."""
        prepared = self.http.build_request(
            method, url, headers=headers, content=content or None, params=params or None
        )
        exchange = Exchange(
            method=method,
            url=str(prepared.url),
            request_headers=logged_headers(dict(headers or {})),
            request_body=logged_body(content),
        )
        if log is not None:
            log.append(exchange)
        started = time.perf_counter()
        try:
            reply = self.http.send(prepared)
        except httpx2.HTTPError as exc:
            exchange.error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            exchange.elapsed_ms = (time.perf_counter() - started) * 1000
        exchange.status = reply.status_code
        exchange.response_headers = logged_headers(dict(reply.headers))
        exchange.response_body = logged_body(reply.content)
        response = Response(reply.status_code, reply.headers, reply.content, str(prepared.url))
        return exchange, response, Sent(method, str(prepared.url), content, message_id)
