"""`msix regions ...`: a state declares which of its districts belong to which region."""

from __future__ import annotations

import csv
import getpass
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from hub.errors import HubError
from hub.security import AuditAgent
from hub.services.regions import HEADER, declare_regions
from hub.store import Store

regions_app = typer.Typer(help="Regions: the district -> region table each state declares.")

_STATE = re.compile(r"^[A-Z]{2}$")


def _state(value: str) -> str:
    if not _STATE.match(value):
        raise typer.BadParameter("a 2-letter USPS code, upper case")
    return value


State = Annotated[
    str, typer.Option("--state", callback=_state, help="The declaring state (USPS code)")
]
DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Data directory")]


@regions_app.command("load")
def load_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV: district_id,region")
    ],
    state: State,
    data_dir: DataDir = None,
) -> None:
    """Replace the state's regions with the file's. Worklist items opened from now on go to the
    district, then its region, then the state. A file with any mistake changes nothing (exit 2)."""
    from hub.cli import settings_from

    text = file.read_text(encoding="utf-8-sig")
    store = Store(settings_from(data_dir))
    try:
        agent = AuditAgent("user", f"console:{getpass.getuser()}")
        declared, previous = store.call(
            declare_regions, store, state, text, agent=agent, now=datetime.now(UTC)
        )
    except HubError as exc:
        for issue in exc.issues:
            rule = f" [{issue.rule}]" if issue.rule else ""
            typer.echo(f"error: {file.name}: {issue.location}: {issue.message}{rule}", err=True)
        raise typer.Exit(2) from exc
    finally:
        store.close()
    typer.echo(f"{state}: {declared} districts declared (previously {previous})")


@regions_app.command("show")
def show_command(state: State, data_dir: DataDir = None) -> None:
    """Print the state's declaration as CSV (the format `load` reads)."""
    from hub.cli import settings_from

    store = Store(settings_from(data_dir))
    try:
        regions = store.call(store.regions.of_state, state)
    finally:
        store.close()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(regions.items())
    typer.echo(out.getvalue(), nl=False)
