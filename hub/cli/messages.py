"""`msix send FILE --to URL` and `msix inbox --to URL`: a school system's side of /messages;
`msix messages endpoint|deliver|requeue`: push endpoints and the delivery worker.

`send`, `inbox` and `messages endpoint` sign in with client credentials (`POST /auth/token`).
Every answer is checked as the hub checks what it receives (envelope and body schemas, payload
digest) before it is printed. Exit codes: 0 an answer that is not an Error, 1 an Error message
(or a refusal), 2 an answer that is not a valid message (or no answer at all).

`messages deliver` and `messages requeue` work on the hub's own store (`--data-dir` or
`MSIX_MONGODB_URI`), as the operator of the hub.
"""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from hub.api.push import HttpPusher
from hub.config import load_settings
from hub.errors import HubError
from hub.messages.bodies import ErrorBody
from hub.messages.body_xml import read_body
from hub.messages.envelope import parse_message, read_mailbox
from hub.services.delivery import RetryPolicy, deliver_due, requeue_dead_letter, run_delivery
from hub.store import Store

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


messages_app = typer.Typer(
    help="Push endpoints and push delivery of the message mailboxes.", no_args_is_help=True
)
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory (default: MSIX_DATA_DIR or ./var)")
]


@messages_app.command("endpoint")
def endpoint(
    to: Url,
    client_id: ClientId,
    client_secret: ClientSecret,
    url: Annotated[
        str | None, typer.Option("--url", help="Register this https URL for your mailbox")
    ] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Stop pushing; pull again")] = False,
) -> None:
    """Show, register (--url) or remove (--remove) your state's push endpoint.

    Registering prints the signing secret once: keep it to check X-MSIX-Signature on each push.
    """
    token = _token(to, client_id, client_secret)
    address = f"{to.rstrip('/')}/messages/endpoint"
    if url is not None and remove:
        typer.echo("give --url or --remove, not both", err=True)
        raise typer.Exit(EXIT_INVALID)
    if url is not None:
        data = json.dumps({"url": url}).encode()
        status, answer = _call(address, "PUT", token, data=data, content_type="application/json")
    elif remove:
        status, answer = _call(address, "DELETE", token)
    else:
        status, answer = _call(address, "GET", token)
    if status >= 300:
        typer.echo(f"HTTP {status}: {answer.decode('utf-8', errors='replace')[:2000]}", err=True)
        raise typer.Exit(EXIT_ERROR_MESSAGE)
    if answer:
        typer.echo(json.dumps(json.loads(answer), indent=2))
    else:
        typer.echo("removed: your mailbox is pulled", err=True)
    raise typer.Exit(EXIT_OK)


@messages_app.command("deliver")
def deliver(
    data_dir: DataDir = None,
    once: Annotated[bool, typer.Option("--once", help="One round, then exit")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between rounds")] = 5.0,
    max_attempts: Annotated[int, typer.Option(min=1, help="Attempts before a dead letter")] = 3,
) -> None:
    """Push due mailbox entries to registered endpoints (a worker beside `msix serve`).

    Safe to run in several processes, and beside the app's own worker: entries are leased.
    """
    overrides: dict[str, object] = {} if data_dir is None else {"data_dir": data_dir}
    store = Store(load_settings(**overrides))
    policy = RetryPolicy(max_attempts=max_attempts)
    try:
        asyncio.run(_deliver(store, policy, once=once, interval=interval))
    except KeyboardInterrupt:
        pass
    finally:
        store.close()


async def _deliver(store: Store, policy: RetryPolicy, *, once: bool, interval: float) -> None:
    pusher = HttpPusher()
    try:
        if once:
            report = await deliver_due(store, datetime.now(UTC), send=pusher, policy=policy)
            typer.echo(
                f"pushed {report.leased}: {report.acknowledged} acknowledged, "
                f"{report.delivered} delivered, {report.retrying} to retry, {report.dead} dead"
            )
            return
        await run_delivery(store, pusher, asyncio.Event(), interval=interval, policy=policy)
    finally:
        await pusher.aclose()


@messages_app.command("requeue")
def requeue(
    mailbox: Annotated[str, typer.Argument(help="The mailbox (state code)")],
    message_id: Annotated[str, typer.Argument(help="The dead letter's MessageId")],
    data_dir: DataDir = None,
) -> None:
    """Give a dead letter a fresh set of push attempts, due now."""
    overrides: dict[str, object] = {} if data_dir is None else {"data_dir": data_dir}
    store = Store(load_settings(**overrides))
    try:
        store.call(requeue_dead_letter, store, mailbox.upper(), message_id, now=datetime.now(UTC))
    finally:
        store.close()
    typer.echo(f"{message_id} is due again in mailbox {mailbox.upper()}")


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
