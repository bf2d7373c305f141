"""`msix send FILE --to URL` and `msix inbox --to URL`: a school system's side of /messages.

Both sign in with client credentials (`POST /auth/token`), then talk XML. Every answer is
checked as the hub checks what it receives (envelope and body schemas, payload digest) before it
is printed. Exit codes: 0 an answer that is not an Error, 1 an Error message, 2 an answer that
is not a valid message (or no answer at all).
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from hub.errors import HubError
from hub.messages.bodies import ErrorBody
from hub.messages.body_xml import read_body
from hub.messages.envelope import parse_message, read_mailbox

EXIT_OK, EXIT_ERROR_MESSAGE, EXIT_INVALID = 0, 1, 2
_MAX_ANSWER = 16 * 1024 * 1024
_TIMEOUT = 60

Url = Annotated[str, typer.Option("--to", help="The hub's base URL, e.g. http://127.0.0.1:8000")]
ClientId = Annotated[str, typer.Option("--client-id", envvar="MSIX_CLIENT_ID", help="client_id")]
ClientSecret = Annotated[
    str, typer.Option("--client-secret", envvar="MSIX_CLIENT_SECRET", help="client secret")
]


def send(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The XML message")],
    to: Url,
    client_id: ClientId,
    client_secret: ClientSecret,
) -> None:
    """Send one XML message to POST /messages; print the hub's answer after checking it."""
    token = _token(to, client_id, client_secret)
    status, answer = _call(
        f"{to.rstrip('/')}/messages",
        "POST",
        token,
        data=file.read_bytes(),
        content_type="application/xml",
    )
    if status == 204:
        typer.echo("accepted; acknowledgements are not answered", err=True)
        raise typer.Exit(EXIT_OK)
    typer.echo(answer.decode("utf-8", errors="replace"))
    raise typer.Exit(_check_answer(status, answer))


def inbox(
    to: Url,
    client_id: ClientId,
    client_secret: ClientSecret,
    since: Annotated[
        datetime | None, typer.Option(help="Messages received after this UTC instant")
    ] = None,
    message_type: Annotated[str | None, typer.Option("--type", help="Only this type")] = None,
    save: Annotated[Path | None, typer.Option(help="Write each message to this folder")] = None,
    ack: Annotated[bool, typer.Option("--ack", help="Acknowledge each message read")] = False,
) -> None:
    """List your state's mailbox (GET /messages), optionally saving and acknowledging each."""
    token = _token(to, client_id, client_secret)
    query = {key: value for key, value in (("type", message_type),) if value}
    if since is not None:
        query["since"] = since.isoformat()
    url = f"{to.rstrip('/')}/messages"
    status, page = _call(f"{url}?{urllib.parse.urlencode(query)}", "GET", token)
    if status != 200:
        typer.echo(page.decode("utf-8", errors="replace"), err=True)
        raise typer.Exit(EXIT_ERROR_MESSAGE)
    try:
        entries, more = read_mailbox(page, max_bytes=_MAX_ANSWER)
    except HubError as exc:
        typer.echo(f"the mailbox page is not valid: {exc}", err=True)
        raise typer.Exit(EXIT_INVALID) from exc
    for entry, message in entries:
        header = message.header
        typer.echo(
            f"{entry.received.isoformat()}  {entry.status:<12}  {header.message_type:<16}  "
            f"{header.message_id}  from {header.sender.state or '-'} {header.sender.organization}"
        )
        if save is not None:
            save.mkdir(parents=True, exist_ok=True)
            name = header.message_id.removeprefix("urn:uuid:")
            (save / f"{name}.xml").write_bytes(message.data)
        if ack:
            quoted = urllib.parse.quote(header.message_id, safe="")
            _call(f"{url}/{quoted}/ack", "POST", token)
    if more:
        typer.echo("more messages wait: ask again with --since the last time shown", err=True)
    raise typer.Exit(EXIT_OK)


def _check_answer(status: int, answer: bytes) -> int:
    try:
        body = read_body(parse_message(answer, max_bytes=_MAX_ANSWER))
    except HubError as exc:
        typer.echo(f"HTTP {status}: the answer is not a valid message: {exc}", err=True)
        return EXIT_INVALID
    if isinstance(body, ErrorBody):
        typer.echo(f"HTTP {status}: Error {body.type}", err=True)
        return EXIT_ERROR_MESSAGE
    typer.echo(f"HTTP {status}: {type(body).__name__} (valid)", err=True)
    return EXIT_OK


def _token(base: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    form = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
    request = urllib.request.Request(  # noqa: S310 - the operator names the hub's URL
        f"{base.rstrip('/')}/auth/token",
        data=form,
        method="POST",
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # noqa: S310
            return str(json.loads(response.read())["access_token"])
    except urllib.error.HTTPError as exc:
        typer.echo(f"sign-in failed (HTTP {exc.code}): {exc.read()[:500]!r}", err=True)
        raise typer.Exit(EXIT_INVALID) from exc
    except urllib.error.URLError as exc:
        typer.echo(f"cannot reach {base}: {exc.reason}", err=True)
        raise typer.Exit(EXIT_INVALID) from exc


def _call(
    url: str, method: str, token: str, *, data: bytes | None = None, content_type: str = ""
) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/xml"}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # noqa: S310
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())
    except urllib.error.URLError as exc:
        typer.echo(f"cannot reach {url}: {exc.reason}", err=True)
        raise typer.Exit(EXIT_INVALID) from exc
