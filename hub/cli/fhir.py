"""`msix fhir ...`: maintenance of the FHIR door's derived resources."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from hub.services.patients import refresh_all_patients
from hub.store import Store

fhir_app = typer.Typer(help="FHIR resources derived by the hub.")


@fhir_app.command("refresh-patients")
def refresh_patients(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory")] = None,
) -> None:
    """(Re)write the Patient of every child from its consolidated identity; unchanged Patients
    keep their version. Run after a load that bypassed the identity step, or a migration."""
    from hub.cli import settings_from

    store = Store(settings_from(data_dir))
    try:
        changed = store.call(lambda: refresh_all_patients(store, now=datetime.now(UTC)))
    finally:
        store.close()
    typer.echo(f"{changed} Patient(s) written")
