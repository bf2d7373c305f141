"""Loading suites and requirements: YAML checked by `conformance/suite.schema.json`, then by the
rules a schema cannot state (known checks and their parameters, defined variables, earlier
steps, known requirement ids, unique ids). Every mistake of every file is reported at once, each
located as `conformance/fhir.yaml:42 groups[0].tests[3].steps[1].checks[0]`."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema

from hub.conformance._paths import PathError, json_steps, references_in, xml_steps
from hub.conformance._registry import REGISTRY
from hub.conformance._suite import (
    Capture,
    CheckCall,
    Group,
    Precondition,
    Request,
    Requirement,
    Step,
    Suite,
    TestDef,
)
from hub.conformance._yaml import Pointer, line_of, load_with_lines, pointer_text
from hub.errors import Issue, IssueCode, ValidationError, error

CONFORMANCE_DIR = Path(__file__).resolve().parents[2] / "conformance"
"""The folder of suites, their schema and the requirements list."""
SCHEMA_PATH = CONFORMANCE_DIR / "suite.schema.json"
REQUIREMENTS_PATH = CONFORMANCE_DIR / "requirements.csv"
BUILTIN_VARIABLES = ("client_id", "target")
"""Variables every run sets: the client id it authenticates with and the target URL."""

LEVELS = ("SHALL", "SHOULD", "MAY")
_COLUMNS = ["id", "source", "level", "text", "untested_reason"]
_STEP_REFERENCES = ("same_body_as", "same_status_as", "fhir_same_entries_as")


class SuiteError(ValidationError):
    """A suite or requirements file with mistakes; `issues` lists every one, located."""


@functools.cache
def suite_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(CONFORMANCE_DIR.parent))
    except ValueError:
        return str(path)


def load_requirements(path: Path = REQUIREMENTS_PATH) -> dict[str, Requirement]:
    """The requirements list: `#` lines are its header; then a CSV with `_COLUMNS`."""
    shown = _shown(path)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    body_start = next((n for n, line in enumerate(lines) if not line.startswith("#")), len(lines))
    reader = csv.DictReader(io.StringIO("".join(lines[body_start:])))
    issues: list[Issue] = []
    if reader.fieldnames != _COLUMNS:
        issues.append(
            error(IssueCode.STRUCTURE, f"columns must be {','.join(_COLUMNS)}", f"{shown}:1")
        )
        raise SuiteError(issues)
    found: dict[str, Requirement] = {}
    for row in reader:
        where = f"{shown}:{body_start + reader.line_num}"
        values = {name: (row.get(name) or "").strip() for name in _COLUMNS}
        if not values["id"] or not values["text"] or not values["source"]:
            issues.append(error(IssueCode.REQUIRED, "id, source and text are required", where))
        if values["level"] not in LEVELS:
            issues.append(
                error(IssueCode.VALUE, f"level {values['level']!r} not in {LEVELS}", where)
            )
        if values["id"] in found:
            issues.append(error(IssueCode.DUPLICATE, f"duplicate id {values['id']}", where))
        found[values["id"]] = Requirement(**values)
    if issues:
        raise SuiteError(issues)
    return found


def suite_paths(folder: Path = CONFORMANCE_DIR) -> list[Path]:
    return sorted(folder.glob("*.yaml"))


def load_suites(
    paths: Iterable[Path], requirements: dict[str, Requirement] | None = None
) -> list[Suite]:
    """Load several suite files; raise one `SuiteError` with the mistakes of all of them."""
    suites: list[Suite] = []
    issues: list[Issue] = []
    owners: dict[str, str] = {}
    for path in paths:
        try:
            suite = load_suite(path, requirements)
        except SuiteError as exc:
            issues.extend(exc.issues)
            continue
        for test in suite.tests:
            if test.id in owners:
                where = f"{_shown(path)} test {test.id}"
                message = f"test id {test.id} is also used in {owners[test.id]}"
                issues.append(error(IssueCode.DUPLICATE, message, where))
            owners[test.id] = _shown(path)
        suites.append(suite)
    if issues:
        raise SuiteError(issues)
    return suites


def load_suite(path: Path, requirements: dict[str, Requirement] | None = None) -> Suite:
    """Load one suite file, checking it against the schema, the check registry and, when given,
    the requirements list."""
    raw = path.read_bytes()
    return parse_suite(raw.decode("utf-8"), _shown(path), requirements, path=path)


def parse_suite(
    text: str,
    shown: str,
    requirements: dict[str, Requirement] | None = None,
    *,
    path: Path | None = None,
) -> Suite:
    import yaml

    try:
        document, lines = load_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise SuiteError(
            [error(IssueCode.STRUCTURE, f"not YAML: {exc}", f"{shown}:{line}")]
        ) from None
    checker = _Checker(shown, lines, requirements)
    for problem in jsonschema.Draft202012Validator(suite_schema()).iter_errors(document):
        checker.add(tuple(problem.absolute_path), problem.message)
    suite = checker.build(document) if isinstance(document, dict) else None
    if checker.issues or suite is None:
        raise SuiteError(checker.issues or [error(IssueCode.STRUCTURE, "empty suite", shown)])
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Suite(**{**suite.__dict__, "path": path, "sha256": sha})


class _Checker:
    def __init__(
        self, shown: str, lines: dict[Pointer, int], requirements: dict[str, Requirement] | None
    ) -> None:
        self.shown, self.lines, self.requirements = shown, lines, requirements
        self.issues: list[Issue] = []
        self.defined: set[str] = set(BUILTIN_VARIABLES)
        self.steps: set[str] = set()

    def add(self, pointer: Pointer, message: str) -> None:
        where = f"{self.shown}:{line_of(self.lines, pointer)}"
        text = pointer_text(pointer)
        issue = error(IssueCode.INVALID, message, f"{where} {text}" if text else where)
        if issue not in self.issues:
            self.issues.append(issue)

    def build(self, doc: dict[str, Any]) -> Suite:
        variables = _dict(doc.get("variables"))
        self.defined |= set(variables)
        groups: list[Group] = []
        test_ids: set[str] = set()
        for g, group in enumerate(_list(doc.get("groups"))):
            tests: list[TestDef] = []
            for t, test in enumerate(_list(_dict(group).get("tests"))):
                pointer: Pointer = ("groups", g, "tests", t)
                built = self._test(_dict(test), pointer, str(_dict(group).get("id", "")))
                if built.id in test_ids:
                    self.add((*pointer, "id"), f"duplicate test id {built.id}")
                test_ids.add(built.id)
                tests.append(built)
            groups.append(
                Group(
                    str(_dict(group).get("id", "")),
                    str(_dict(group).get("title", "")),
                    tuple(tests),
                )
            )
        return Suite(
            id=str(doc.get("suite", "")),
            title=str(doc.get("title", "")),
            description=str(doc.get("description", "")),
            version=str(doc.get("version", "")),
            groups=tuple(groups),
            variables={str(k): str(v) for k, v in variables.items()},
            capability_path=str(doc.get("capability_path", "/fhir/metadata")),
            token_path=str(doc.get("token_path", "/auth/token")),
        )

    def _test(self, test: dict[str, Any], pointer: Pointer, group: str) -> TestDef:
        test_id = str(test.get("id", ""))
        for r, requirement in enumerate(_list(test.get("requirements"))):
            if self.requirements is not None and requirement not in self.requirements:
                self.add((*pointer, "requirements", r), f"unknown requirement id {requirement!r}")
        local: set[str] = set()
        steps: list[Step] = []
        for s, step in enumerate(_list(test.get("steps"))):
            built = self._step(_dict(step), (*pointer, "steps", s), test_id, local)
            if built.id in local:
                self.add((*pointer, "steps", s, "id"), f"duplicate step id {built.id}")
            local.add(built.id)
            self.steps.add(f"{test_id}.{built.id}")
            steps.append(built)
        requires = tuple(
            Precondition(**{k: str(v) for k, v in _dict(item).items()})
            for item in _list(test.get("requires"))
            if isinstance(item, dict) and "resource" in item
        )
        return TestDef(
            id=test_id,
            title=str(test.get("title", "")),
            description=str(test.get("description", "")).strip(),
            requirements=tuple(str(r) for r in _list(test.get("requirements"))),
            steps=tuple(steps),
            group=group,
            requires=requires,
        )

    def _step(self, step: dict[str, Any], pointer: Pointer, test_id: str, local: set[str]) -> Step:
        generate = {str(k): str(v) for k, v in _dict(step.get("generate")).items()}
        self.defined |= set(generate)
        request = _dict(step.get("request"))
        self._references(request, (*pointer, "request"))
        captures: list[Capture] = []
        for name, spec in _dict(step.get("capture")).items():
            for source, path in _dict(spec).items():
                if source not in ("json", "xml", "header"):
                    continue
                self._path(source, str(path), (*pointer, "capture", name, source))
                prefix = str(_dict(spec).get("strip_prefix", ""))
                captures.append(Capture(str(name), str(source), str(path), prefix))
            self.defined.add(str(name))
        checks = [
            self._check(call, (*pointer, "checks", c), local)
            for c, call in enumerate(_list(step.get("checks")))
        ]
        return Step(
            id=str(step.get("id", "")),
            request=Request(**request),
            checks=tuple(call for call in checks if call is not None),
            captures=tuple(captures),
            generate=generate,
        )

    def _check(self, call: Any, pointer: Pointer, local: set[str]) -> CheckCall | None:
        if not isinstance(call, dict) or len(call) != 1:
            return None  # the schema reported it
        name, written = next(iter(call.items()))
        spec = REGISTRY.get(str(name))
        if spec is None:
            self.add(pointer, f"unknown check {name!r}; known: {', '.join(sorted(REGISTRY))}")
            return None
        params = spec.normalise(written)
        for problem in jsonschema.Draft202012Validator(spec.schema).iter_errors(params):
            self.add((*pointer, name, *problem.absolute_path), f"{name}: {problem.message}")
        self._references(params, (*pointer, name))
        if "path" in params and isinstance(params["path"], str):
            notation = "xml" if name.startswith(("xml_", "message_")) else "json"
            self._path(notation, params["path"], (*pointer, name, "path"))
        if name in _STEP_REFERENCES and isinstance(params.get("step"), str):
            target = params["step"]
            if target not in local and target not in self.steps:
                self.add((*pointer, name), f"{name}: no earlier step {target!r}")
        return CheckCall(str(name), params, f"{self.shown}:{line_of(self.lines, pointer)}")

    def _references(self, value: Any, pointer: Pointer) -> None:
        for name in references_in(value):
            if name not in self.defined:
                self.add(
                    pointer, f"variable {name!r} is not defined by the suite or an earlier step"
                )

    def _path(self, notation: str, path: str, pointer: Pointer) -> None:
        try:
            xml_steps(path) if notation == "xml" else json_steps(path)
        except PathError as exc:
            self.add(pointer, str(exc))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}
