"""The `msix` command: an edge that reads the environment and prints; logic lives below."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from hub import native
from hub.cli.accounts import clients_app, users_app
from hub.cli.conformance import conformance_app
from hub.cli.fhir import fhir_app
from hub.cli.identity import identity_app
from hub.cli.mail import mail_app
from hub.cli.messages import inbox, messages_app, send
from hub.cli.regions import regions_app
from hub.cli.worklist import worklist_app
from hub.config import Settings, load_settings
from hub.errors import HubError

app = typer.Typer(
    name="msix",
    help="MSIX Hub: Migrant Student Information Exchange.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(users_app, name="users")
app.add_typer(clients_app, name="clients")
app.add_typer(conformance_app, name="conformance")
app.command("send")(send)
app.command("inbox")(inbox)
app.add_typer(messages_app, name="messages")
app.add_typer(identity_app, name="identity")
app.add_typer(fhir_app, name="fhir")
app.add_typer(regions_app, name="regions")
app.add_typer(mail_app, name="mail")
app.add_typer(worklist_app, name="worklist")

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory (default: MSIX_DATA_DIR or ./var)")
]


def settings_from(data_dir: Path | None, *, demo: bool | None = None) -> Settings:
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if demo is not None:
        overrides["demo"] = demo
    return load_settings(**overrides)


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn

    # Worker processes rebuild settings from the environment, so hand them ours that way.
    os.environ["MSIX_DATA_DIR"] = str(settings.data_dir)
    os.environ["MSIX_DEMO"] = "1" if settings.demo else "0"
    if settings.mongodb_uri:
        os.environ["MSIX_MONGODB_URI"] = settings.mongodb_uri
    if settings.secret_key.get_secret_value():
        os.environ["MSIX_SECRET_KEY"] = settings.secret_key.get_secret_value()
    typer.echo(f"hot modules: {native.status()}")  # compiled twins or plain sources (slower)
    uvicorn.run(
        "hub.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Serve the API and UI."""
    _serve(settings_from(data_dir), host, port, workers)


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="Output directory")] = Path("var/synth"),
    children: Annotated[int, typer.Option(min=1, help="Number of children")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed; same seed, same files")] = 2026,
    native: Annotated[
        bool,
        typer.Option(
            "--native",
            help="Write the sample states' native files (TX, FL, CA, WA) instead of records.jsonl",
        ),
    ] = False,
) -> None:
    """Write synthetic records (canonical records.jsonl or native state files) and truth.jsonl."""
    if native:
        _synth_native(out, seed, children)
        return
    from hub.synth import write_dataset

    summary = write_dataset(out, seed=seed, count=children)
    typer.echo(
        f"wrote {summary.children} children, {summary.records} state records to {out} "
        f"(records.jsonl, truth.jsonl)"
    )


def _synth_native(out: Path, seed: int, children: int) -> None:
    from hub.synth.native import write_native

    summary = write_native(out, seed=seed, count=children)
    names = ", ".join(f"{file.path.name} ({file.records})" for file in summary.files)
    typer.echo(
        f"wrote {summary.children} children, {summary.records} state records to {out}: "
        f"{names}, {summary.truth_path.name}"
    )


@app.command("ingest")
def ingest_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The state file")],
    state: Annotated[str, typer.Option("--state", help="Reporting state (USPS code)")],
    file_format: Annotated[
        str | None,
        typer.Option("--format", help="canonical-jsonl or native (default: native if mapped)"),
    ] = None,
    ack: Annotated[
        Path | None, typer.Option("--ack", help="Folder for FILE.ack.xml/.ack.json")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Map, validate, match and store one state file; write its acknowledgement.

    Exit code 0: all records accepted; 1: some rejected (quarantined); 2: file rejected.
    """
    from hub.cli.ingest import run_ingest

    code = run_ingest(settings_from(data_dir), file, state.upper(), file_format, ack)
    raise typer.Exit(code)


@app.command()
def demo(
    data_dir: Annotated[Path, typer.Option(help="Demo data dir (emptied first)")] = Path(
        "var/demo"
    ),
    children: Annotated[int, typer.Option(min=1, help="Synthetic children to load")] = 300,
    seed: Annotated[int, typer.Option(help="Seed for the synthetic children")] = 2026,
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve once the data is ready")
    ] = True,
) -> None:
    """Prepare a fresh demo data dir with synthetic children, users and a client; then serve."""
    from hub.cli.demo import prepare_demo

    if data_dir.exists():
        shutil.rmtree(data_dir)
    settings = settings_from(data_dir, demo=True)
    credentials = prepare_demo(settings, children=children, seed=seed)
    url = f"http://{host}:{port}"
    typer.echo(credentials.describe(url))
    if serve_after:
        _serve(settings, host, port, workers=1)


@app.command("validate")
def validate_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A FHIR JSON file")],
    profile: Annotated[
        str | None,
        typer.Option(help="Canonical URL of the profile (default: the MSIX profile of the type)"),
    ] = None,
) -> None:
    """Validate a FHIR JSON resource against the published MSIX profiles; print the outcome.

    Exit code 0: no errors; 1: the resource has errors; 2: the file is not a JSON resource.
    """
    from hub.cli.validate import run_validate

    raise typer.Exit(run_validate(file, profile))


def main() -> None:
    """Console entry point: hub errors print as located messages with exit code 2."""
    try:
        app()
    except HubError as exc:
        for issue in exc.issues:
            where = f"{issue.location}: " if issue.location else ""
            typer.echo(f"error: {where}{issue.message}", err=True)
        sys.exit(2)
