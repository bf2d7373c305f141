"""`msix mail ...`: send the worklist notices waiting in the outbox; list them."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from hub.services.worklist_mail import send_due, smtp_sender
from hub.store import Store

mail_app = typer.Typer(help="Worklist notices by e-mail (MSIX_SMTP_HOST, MSIX_SMTP_PORT, ...).")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Data directory")]


@mail_app.command("send")
def send_command(
    every: Annotated[
        float, typer.Option(min=0, help="Repeat every N seconds until stopped; 0: once")
    ] = 0,
    data_dir: DataDir = None,
) -> None:
    """Send the notices that are due through MSIX_SMTP_HOST; failed sends are retried later."""
    from hub.cli import settings_from

    settings = settings_from(data_dir)
    if not settings.smtp_host:
        typer.echo("MSIX_SMTP_HOST is not set: notices stay queued", err=True)
        raise typer.Exit(2)
    store = Store(settings)
    try:
        sender = smtp_sender(settings)
        while True:
            report = send_due(store, settings, sender, now=datetime.now(UTC))
            typer.echo(f"sent {report.sent}, to retry {report.retrying}, failed {report.failed}")
            if every <= 0:
                break
            time.sleep(every)
    finally:
        store.close()


@mail_app.command("list")
def list_command(
    status: Annotated[
        str | None, typer.Option(help="queued, sending, sent or failed (default: all)")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """The newest notices: when queued, status, attempts, recipient, item and level."""
    from hub.cli import settings_from

    store = Store(settings_from(data_dir))
    try:
        notices = store.call(store.mail.list, status=status)
    finally:
        store.close()
    for notice in notices:
        error = f"  {notice['last_error']}" if notice.get("last_error") else ""
        typer.echo(
            f"{notice['queued_at']:%Y-%m-%d %H:%M}  {notice['status']:<7}  "
            f"{notice['attempts']}  {notice['to']}  {notice['item']}  {notice['level']}{error}"
        )
