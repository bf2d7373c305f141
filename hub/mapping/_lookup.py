"""Code tables beside a mapping, and the `lookup` transform that reads them.

A code table is a CSV file in the state's mapping folder:

    # what: Texas grade codes -> MSIX grade levels
    # owner: TEA migrant data team
    # reviewed: 2026-11-28
    source_code,target_system,target_code,display
    K,grade-level,KG,Kindergarten

`target_system` names the hub code set the target code belongs to (a file of hub/model/codesets)
or is empty for free text; every target code is checked against its code set when the mapping
loads, so a table cannot smuggle an invalid code into the hub.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from hub.errors import Issue, IssueCode, error
from hub.mapping._registry import Arg, Context, LoadSite, TransformError, transform
from hub.model import all_codesets

TABLE_COLUMNS = ("source_code", "target_system", "target_code", "display")
TABLE_HEADERS = ("what", "owner", "reviewed")
UNMAPPED = {
    "fail": "the record gets an error issue and the field is left empty",
    "pass-through": "the source code is kept as it is, with a warning issue",
    "default": "the `default:` code is used, with a warning issue",
}


@dataclass(frozen=True)
class CodeTable:
    """A loaded code table: source code -> target code, and the code sets its targets use."""

    name: str
    codes: Mapping[str, str]
    folded: Mapping[str, str]
    systems: frozenset[str]


def load_table(path: Path, shown: str) -> tuple[CodeTable | None, list[Issue]]:
    """Read and check a code table; `shown` is how its path appears in issue locations."""
    issues: list[Issue] = []

    def fail(line: int, message: str) -> None:
        issues.append(error(IssueCode.INVALID, message, f"{shown}:{line}", "map.code-table"))

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        fail(1, "code tables are UTF-8 text")
        return None, issues
    headers: dict[str, str] = {}
    body = len(lines)
    for number, line in enumerate(lines, start=1):
        if not line.startswith("#"):
            body = number - 1
            break
        key, _, value = line.lstrip("#").strip().partition(":")
        headers[key.strip().lower()] = value.strip()
    for key in TABLE_HEADERS:
        if not headers.get(key):
            fail(1, f"missing '# {key}:' header line (what, owner, reviewed come first)")
    if headers.get("reviewed"):
        try:
            date.fromisoformat(headers["reviewed"])
        except ValueError:
            fail(1, "'# reviewed:' must be a YYYY-MM-DD date")
    rows = list(csv.reader(lines[body:]))
    if not rows or tuple(cell.strip() for cell in rows[0]) != TABLE_COLUMNS:
        fail(body + 1, f"the column row must be {','.join(TABLE_COLUMNS)}")
        return None, issues
    codes: dict[str, str] = {}
    systems: set[str] = set()
    codesets = all_codesets()
    for number, row in enumerate(rows[1:], start=body + 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(TABLE_COLUMNS):
            fail(number, f"a row has {len(TABLE_COLUMNS)} columns, this one {len(row)}")
            continue
        source, system, target, _display = (cell.strip() for cell in row)
        if not source or not target:
            fail(number, "source_code and target_code cannot be empty")
            continue
        if source in codes:
            fail(number, f"source code {source!r} appears twice")
            continue
        if system and system not in codesets:
            fail(number, f"target_system {system!r} is not a hub code set")
        elif system and not codesets[system].contains(target):
            fail(number, f"target code {target!r} is not in the hub code set {system!r}")
        codes[source] = target
        systems.add(system)
    folded = {source.casefold(): target for source, target in codes.items()}
    table = CodeTable(path.name, codes, folded, frozenset(systems))
    return (None if issues else table), issues


def _prepare_lookup(args: dict[str, Any], site: LoadSite) -> dict[str, Any]:
    name = args["table"]
    if args["unmapped"] == "default" and args.get("default") is None:
        site.problem("unmapped: default needs a default: code", "unmapped")
    if args["unmapped"] != "default" and args.get("default") is not None:
        site.problem("default: is used only with unmapped: default", "default")
    path = (site.mapping_dir / name).resolve()
    if not path.is_relative_to(site.mapping_dir.resolve()) or path.suffix != ".csv":
        site.problem("a code table is a .csv file in the mapping's own folder", "table")
        return args
    if not path.is_file():
        site.problem(f"code table {name} does not exist in {site.shown_dir}", "table")
        return args
    key = str(path)
    if key not in site.cache:
        table, issues = load_table(path, f"{site.shown_dir}/{name}")
        site.cache[key] = table
        site.extra_issues.extend(issues)
    table = site.cache[key]
    if not isinstance(table, CodeTable):
        return args
    wanted = site.target_codeset
    if wanted is not None:
        wrong = sorted(system for system in table.systems if system != wanted)
        if wrong:
            site.problem(
                f"{site.target_path} takes codes of {wanted!r} but {name} maps to "
                f"{', '.join(repr(system) for system in wrong)}",
                "table",
            )
        default = args.get("default")
        if default is not None and not all_codesets()[wanted].contains(default):
            site.problem(f"default {default!r} is not in the hub code set {wanted!r}", "default")
    return {**args, "table": table}


@transform(
    "lookup",
    doc="Translate a code through a code table beside the mapping.",
    prepare=_prepare_lookup,
    args={
        "table": Arg("text", "The CSV file name in the mapping's folder (`grades.csv`)."),
        "unmapped": Arg(
            "text",
            "What a code missing from the table does: "
            + "; ".join(f"`{key}`: {meaning}" for key, meaning in UNMAPPED.items())
            + ".",
            choices=tuple(UNMAPPED),
        ),
        "default": Arg("text", "The code used for unmapped codes with `unmapped: default`.", None),
        "ignore_case": Arg("bool", "Compare source codes without regard to case.", False),
    },
)
def lookup(
    value: str,
    context: Context,
    *,
    table: CodeTable,
    unmapped: str,
    default: str | None,
    ignore_case: bool,
) -> str:
    """Translate the source code (trimmed) into the hub's code with a code table (section 6,
    "Code tables"). Every code missing from the table is reported on its record, whatever the
    `unmapped` behaviour: an error issue with `fail` (the field stays empty), a warning with
    `pass-through` (the code is kept) or `default` (the default is used). The code itself is in
    the issue's value column, so a state sees each unmapped code it sent."""
    code = value.strip()
    found = table.folded.get(code.casefold()) if ignore_case else table.codes.get(code)
    if found is not None:
        return found
    if unmapped == "fail":
        raise TransformError(f"code is not in {table.name}")
    if unmapped == "pass-through":
        context.warn(f"code is not in {table.name}; passed through unchanged")
        return code
    context.warn(f"code is not in {table.name}; the default was used")
    if default is None:  # pragma: no cover - the loader requires it
        raise TransformError("no default code")
    return default
