"""`msix worklist escalate`: one escalation round now (the app runs them periodically)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from hub.services import worklists
from hub.store import Store

worklist_app = typer.Typer(help="Worklists: escalation rounds.")


@worklist_app.command("escalate")
def escalate_command(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory")] = None,
) -> None:
    """Move items that waited out their level up one level (queueing their notices); approve
    validations that waited out the state level."""
    from hub.cli import settings_from

    settings = settings_from(data_dir)
    store = Store(settings)
    try:
        changed = store.call(worklists.escalate, store, settings, now=datetime.now(UTC))
    finally:
        store.close()
    typer.echo(f"{len(changed)} items escalated or auto-approved")
