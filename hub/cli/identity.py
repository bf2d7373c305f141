"""`msix identity ...`: measure (and, with the matching engine, train) identity resolution."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from hub.services.identity_eval import evaluate
from hub.store import Store

identity_app = typer.Typer(help="Identity resolution: evaluation against a ground truth.")


@identity_app.command("eval")
def eval_command(
    truth: Annotated[
        Path, typer.Option("--truth", exists=True, dir_okay=False, help="truth.jsonl of msix synth")
    ],
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory")] = None,
) -> None:
    """Compare the store's children with a ground-truth file: pairwise precision, recall, F1,
    twins or siblings merged, near-match review share. Prints one JSON object."""
    from hub.cli import settings_from

    rows = [orjson.loads(line) for line in truth.read_bytes().splitlines() if line.strip()]
    store = Store(settings_from(data_dir))
    try:
        result = store.call(evaluate, store, rows)
    finally:
        store.close()
    typer.echo(orjson.dumps(result.as_dict()).decode())
