"""`msix identity ...`: measure (and, with the matching engine, train) identity resolution."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from hub.services.identity_eval import evaluate
from hub.store import Store

identity_app = typer.Typer(
    help="Identity resolution: evaluation against a ground truth, training, re-keying."
)


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


@identity_app.command("train")
def train_command(
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="Where to write weights")],
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory")] = None,
    seed: Annotated[int, typer.Option(help="Sampling seed; same data and seed, same weights")] = 0,
) -> None:
    """Estimate the match weights (m, u, prior) by EM from the store's linked records, without
    labels, and write them as JSON. Point MSIX_IDENTITY_WEIGHTS at the file to use them."""
    from hub.cli import settings_from
    from hub.identity import TrainingOptions, build_profile, train, write_weights

    store = Store(settings_from(data_dir))
    try:
        linked = store.call(lambda: list(store.students.iter_linked_identities()))
    finally:
        store.close()
    if len(linked) < 100:
        typer.echo(f"only {len(linked)} linked records: too few to estimate weights", err=True)
        raise typer.Exit(1)
    profiles = [
        build_profile(identity, state=state, state_student_id=sid)
        for state, sid, identity in linked
    ]
    weights = train(profiles, options=TrainingOptions(seed=seed))
    write_weights(weights, out)
    typer.echo(f"trained on {len(profiles)} records; weights written to {out}")


@identity_app.command("rekey")
def rekey_command(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Data directory")] = None,
) -> None:
    """Recompute every child's blocking keys from its linked records: run once after an upgrade
    that changed the blocking rules (docs/identity.md). Safe to re-run."""
    from hub.cli import settings_from
    from hub.services.identity import rekey_children

    store = Store(settings_from(data_dir))
    try:
        changed = store.call(rekey_children, store)
    finally:
        store.close()
    typer.echo(f"{changed} child(ren) re-keyed")
