"""`msix conformance run` (suites against any server) and `msix conformance check-file` (a
vendor's native state file against its mapping and the canonical rules, storing nothing).

Both write JUnit XML, results.json and a self-contained HTML page through the same reporters.
Exit codes: `run` 0 when nothing failed or erred, 1 otherwise; `check-file` 0 every record
passes, 1 some records fail, 2 the file is rejected as a whole.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from hub.conformance import RunResult, TestResult
    from hub.errors import Issue
    from hub.mapping import MappedRecord

EXIT_PASSED, EXIT_FAILED, EXIT_FILE_REJECTED = 0, 1, 2
STATE_FILE_SUITE = "state-file"
STATE_FILE_REQUIREMENTS = "map-"
_PENDING_MSIX_ID = "000000000000"  # health resources are checked before any identity exists

conformance_app = typer.Typer(
    help="Conformance: run suites against a server, or check a state file.", no_args_is_help=True
)


class SuiteChoice(StrEnum):
    FHIR = "fhir"
    MESSAGES = "messages"
    ALL = "all"


def _pairs(values: list[str], separator: str, what: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition(separator)
        if not sep or not name or not rest:
            raise typer.BadParameter(f"{value!r} is not {what}")
        found[name] = rest
    return found


def _progress(result: TestResult, done: int, total: int) -> None:
    from hub.conformance import Status

    counter = f"[{done:>3}/{total}]" if total else f"[{done:>4}]"
    line = f"{counter} {result.status.value.upper():<5} {result.id}  {result.title}"
    if result.status is not Status.PASS and result.message:
        line += f"\n          {result.message[:300]}"
    typer.echo(line)


def _summary(run: RunResult, written: list[Path]) -> None:
    counts = ", ".join(f"{count} {status}" for status, count in run.counts().items() if count)
    coverage = run.coverage()
    tested = sum(item.tested for item in coverage)
    typer.echo(f"\n{len(run.tests)} tests: {counts or 'none'}")
    typer.echo(f"requirements tested: {tested}/{len(coverage)}")
    typer.echo(f"reports: {', '.join(str(path) for path in written)}")


@conformance_app.command("run")
def run_command(
    target: Annotated[str, typer.Option("--target", help="Base URL of the server under test")],
    suite: Annotated[SuiteChoice, typer.Option("--suite", help="Which suite")] = SuiteChoice.ALL,
    client_id: Annotated[
        str | None, typer.Option("--client-id", envvar="MSIX_CONFORMANCE_CLIENT_ID")
    ] = None,
    client_secret: Annotated[
        str | None, typer.Option("--client-secret", envvar="MSIX_CONFORMANCE_CLIENT_SECRET")
    ] = None,
    report: Annotated[
        Path, typer.Option("--report", help="Folder for junit.xml, results.json, report.html")
    ] = Path("conformance-report"),
    var: Annotated[
        list[str] | None, typer.Option("--var", help="NAME=VALUE: fix a suite variable")
    ] = None,
    client: Annotated[
        list[str] | None,
        typer.Option("--client", help="Another client a suite names (NAME=ID:SECRET)"),
    ] = None,
    test: Annotated[
        list[str] | None, typer.Option("--test", help="Run only this test id (repeatable)")
    ] = None,
    suite_file: Annotated[
        list[Path] | None,
        typer.Option("--suite-file", exists=True, dir_okay=False, help="Run this suite file"),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per request")] = 30.0,
) -> None:
    """Run conformance suites against a server; exit code 1 on any fail or error."""
    import httpx2

    from hub.conformance import (
        Credentials,
        load_requirements,
        load_suites,
        run_suites,
        suite_paths,
        write_reports,
    )

    if (client_id is None) != (client_secret is None):
        raise typer.BadParameter("give both --client-id and --client-secret, or neither")
    requirements = load_requirements()
    paths = suite_file or [
        path for path in suite_paths() if suite is SuiteChoice.ALL or path.stem == suite.value
    ]
    suites = load_suites(paths, requirements)
    credentials = Credentials(client_id, client_secret) if client_id and client_secret else None
    others = {
        name: Credentials(*pair.split(":", 1))
        for name, pair in _pairs(client or [], "=", "NAME=ID:SECRET").items()
        if ":" in pair
    }
    typer.echo(f"conformance: {', '.join(s.id for s in suites)} against {target}")
    with httpx2.Client(base_url=target, timeout=timeout) as http:
        run = run_suites(
            suites,
            http,
            target=target,
            requirements=requirements,
            credentials=credentials,
            clients=others,
            variables=_pairs(var or [], "=", "NAME=VALUE"),
            only=set(test) if test else None,
            progress=_progress,
        )
    _summary(run, write_reports(run, report))
    raise typer.Exit(EXIT_FAILED if run.failed else EXIT_PASSED)


@conformance_app.command("check-file")
def check_file_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The native file")],
    state: Annotated[str, typer.Option("--state", help="Reporting state (USPS code)")],
    report: Annotated[
        Path, typer.Option("--report", help="Folder for junit.xml, results.json, report.html")
    ] = Path("conformance-report"),
    mappings_dir: Annotated[
        Path | None,
        typer.Option("--mappings", file_okay=False, help="Folder of state mappings"),
    ] = None,
) -> None:
    """Check a state's native file against its mapping and the canonical rules; store nothing.

    Exit code 0: every record passes; 1: some records fail; 2: the file is rejected as a whole.
    """
    from hub.conformance import Status, write_reports

    run = check_state_file(file, state.upper(), mappings_dir, progress=_progress)
    _summary(run, write_reports(run, report))
    if run.test("file").status is not Status.PASS:
        raise typer.Exit(EXIT_FILE_REJECTED)
    raise typer.Exit(EXIT_FAILED if run.failed else EXIT_PASSED)


def check_state_file(
    path: Path,
    state: str,
    mappings_dir: Path | None = None,
    *,
    today: date | None = None,
    progress: Callable[[TestResult, int, int], None] | None = None,
) -> RunResult:
    """One test per record (mapping issues, own state, FHIR health entries, education-record
    XML) and one for the file as a whole. Nothing is stored."""
    from hub.conformance import RunResult, load_requirements
    from hub.mapping import MAPPINGS_DIR, FileRejected, load_mapping, map_file

    mapping_path = (mappings_dir or MAPPINGS_DIR) / state.lower() / "mapping.yaml"
    if not mapping_path.is_file():
        typer.echo(f"error: no mapping for {state} ({mapping_path})", err=True)
        raise typer.Exit(EXIT_FILE_REJECTED)
    mapping = load_mapping(mapping_path)
    requirements = {
        key: value
        for key, value in load_requirements().items()
        if key.startswith(STATE_FILE_REQUIREMENTS)
    }
    started = _instant()
    tests: list[TestResult] = []
    file_issues: list[Issue] = []
    try:
        for mapped in map_file(mapping, path, today=today):
            tests.append(_record_test(mapped, state))
            if progress is not None:
                progress(tests[-1], len(tests), 0)
    except FileRejected as exc:
        file_issues = list(exc.issues)
    tests.insert(0, _file_test(path, file_issues, len(tests)))
    return RunResult(
        title=f"MSIX state file conformance: {path.name} ({state})",
        target=str(path),
        suites=[STATE_FILE_SUITE],
        started=started,
        finished=_instant(),
        tests=tests,
        requirements=list(requirements.values()),
        manifest={"file": str(path), "state": state, "mapping": str(mapping_path)},
    )


def _instant() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _shown(issue: Issue) -> str:
    where = f"{issue.location}: " if issue.location else ""
    rule = f" [{issue.rule}]" if issue.rule else ""
    return f"{issue.severity.value} {where}{issue.message}{rule}"


def _raise_on(issues: list[Issue]) -> str | None:
    """The one way a state-file check says how it went: errors raise, warnings are the note."""
    errors = [issue for issue in issues if issue.is_error]
    if errors:
        raise AssertionError("; ".join(_shown(issue) for issue in errors))
    warnings = [issue for issue in issues if not issue.is_error]
    return "; ".join(_shown(issue) for issue in warnings) or None


def _file_test(path: Path, issues: list[Issue], records: int) -> TestResult:
    from hub.conformance import CheckResult, Status, StepResult, TestResult, decide

    verdict = decide(lambda: _raise_on(issues) or f"{records} records read")
    check = CheckResult("file_readable", {"file": path.name}, verdict.status, verdict.message)
    return TestResult(
        id="file",
        title="The file can be read as a whole",
        description="Encoding, header, structure, counts and limits of the whole file.",
        requirements=("map-file-level", "map-all-at-once"),
        suite=STATE_FILE_SUITE,
        group="file",
        status=verdict.status,
        message=verdict.message if verdict.status is not Status.PASS else "",
        steps=[StepResult("read", verdict.status, verdict.message, checks=[check])],
    )


def _record_test(mapped: MappedRecord, state: str) -> TestResult:
    from hub.conformance import CheckResult, Skipped, Status, StepResult, TestResult, decide, worst
    from hub.errors import ValidationError
    from hub.fhir import condition_resource, immunization_resource, validate_structure
    from hub.messages import load_schema, record_to_xml, validate

    record = mapped.record
    prefix = f"record[{mapped.record_number}]"
    sid = mapped.state_student_id or (record.student_id.value if record else None)

    def built() -> None:
        if record is None:
            raise Skipped("no data: the mapping could not build a record")

    def own_state() -> str | None:
        built()
        assert record is not None
        if record.student_id.state != state:
            raise AssertionError(
                f"{prefix}.student_id.state: the record is reported by "
                f"{record.student_id.state!r}, the file is from {state}"
            )
        return None

    def health() -> str | None:
        built()
        assert record is not None
        issues: list[Issue] = []
        for kind, entries, build in (
            ("immunizations", record.immunizations, immunization_resource),
            ("conditions", record.conditions, condition_resource),
        ):
            for index, entry in enumerate(entries):
                resource = build(_PENDING_MSIX_ID, state, sid or "-", entry)  # type: ignore[arg-type]
                issues += [i.at(f"{prefix}.{kind}[{index}]") for i in validate_structure(resource)]
        return _raise_on(issues) or f"{len(record.immunizations) + len(record.conditions)} entries"

    def education_xml() -> str | None:
        built()
        assert record is not None
        try:
            element = record_to_xml(record)
        except ValidationError as exc:
            return _raise_on(list(exc.issues))
        return _raise_on(validate(load_schema("education-record.xsd"), element))

    checks = [
        ("mapping_and_canonical_rules", lambda: _raise_on(mapped.issues)),
        ("own_state", own_state),
        ("health_entries_fhir", health),
        ("education_record_xml", education_xml),
    ]
    results = [
        CheckResult(name, {}, verdict.status, verdict.message)
        for name, action in checks
        for verdict in [decide(action)]
    ]
    status = worst(check.status for check in results)
    failing = next((c for c in results if c.status is not Status.PASS), None)
    line = f" (line {mapped.line})" if mapped.line else ""
    return TestResult(
        id=f"record-{mapped.record_number}",
        title=f"record {mapped.record_number}{line}: state student id {sid or 'missing'}",
        description="Mapped through the state's mapping, then checked against the canonical rules.",
        requirements=(
            "map-record-located",
            "map-canonical-rules",
            "map-own-state",
            "map-health-fhir",
            "map-education-xml",
            "map-unmapped-codes",
        ),
        suite=STATE_FILE_SUITE,
        group="records",
        status=status,
        message=f"{failing.name}: {failing.message}" if failing else "",
        steps=[StepResult("record", status, checks=results)],
    )
