"""docs/mappings.md, rendered from the transform registry, the JSON Schema and the model.

`python -m hub.mapping.docs > docs/mappings.md` writes it; a unit test fails when the committed
file differs, so the published format cannot drift from the code that reads it.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from types import MappingProxyType
from typing import Any

from hub.mapping._docs_text import (
    EXAMPLE,
    EXAMPLE_SEX_TABLE,
    EXAMPLE_TABLE,
    FRAGMENTS,
    INTRO,
    PROSE,
)
from hub.mapping._lookup import TABLE_COLUMNS, UNMAPPED
from hub.mapping._registry import ARG_TYPE_NAMES, TransformSpec
from hub.mapping._schema import mapping_schema
from hub.mapping._targets import GROUPS, targets
from hub.mapping._transforms import TRANSFORMS

_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("text", ("trim", "collapse_spaces", "upper", "lower", "title_case", "strip_accents")),
    ("names", ("split_surname", "split_full_name")),
    ("dates", ("parse_date", "excel_serial_date", "month_year")),
    ("codes", ("lookup", "yes_no")),
    ("numbers", ("integer", "decimal", "digits_only", "zero_pad")),
    ("constants", ("constant", "default_if_blank", "concat")),
)

_SUMMARY_RULES = {
    "missing": "The declared {part} is there, in its place ({place}).",
    "position": "There is one {part}, and no record is on the wrong side of it.",
    "shape": "The {part} row fits its layout (cells, line length).",
    "state": "An `equals_state` field of the {part} is the mapping's state.",
    "value": "An `equals` field of the {part} is its text.",
    "count": "A `counts` field of the {part} is the number of children or rows the file holds "
    "(checked at its end).",
    "format": "A `format` field of the {part} is a valid date or time in that format.",
    "order": "A `before` field of the {part} comes strictly before the other (begin < end).",
}

ISSUE_RULES: MappingABC[str, str] = MappingProxyType(
    {
        # Load time: the mapping file and its code tables.
        "map.yaml": "The file is UTF-8 YAML with no duplicate keys and text keys only.",
        "map.header-comment": "The file begins with `# what:`, `# owner:`, `# reviewed:`.",
        "map.schema": "The file follows mappings/mapping.schema.json.",
        "map.format": "The format's own section is present, and no other format's.",
        "map.rule": "A rule has exactly one source (with xml: none, or `value`).",
        "map.target": "A rule writes a known canonical target, inside its own group.",
        "map.unknown-function": "Every transform function is one of the vocabulary.",
        "map.args": "Function arguments are known, present when required, of the right type; "
        "each step accepts what the step before it gives, and the last fits the target.",
        "map.when": "A condition has exactly one of equals, in, present, absent.",
        "map.rows": "A row filter has exactly one of equals, in; at run time a child has "
        "exactly one student row.",
        "map.group": "A group reads items one way, numbers them once, and uses its placeholder.",
        "map.layout": "Fixed-width columns of one line do not overlap and have distinct names; "
        "the type column is a common column; every field read is declared.",
        "map.xslt": "The stylesheet is in transforms/, compiles, and produces a StudentRecord.",
        "map.code-table": "A code table has its header, columns and rows right; target codes "
        "are in their hub code set.",
        "map.state": "One mapping per state.",
        "map.file": "The `file:` section fits the format (`rows` in line formats, `element` in "
        "xml; own columns as cell names or fixed-width columns); a check has exactly one kind, "
        "a valid format, and names fields of the summary's own layout when it has one.",
        # Run time: the file as a whole (FileRejected).
        "file.encoding": "Every line decodes in the declared encoding.",
        "file.header": "The CSV header names every column the mapping reads, each once.",
        "xml-no-doctype": "An XML file has no DOCTYPE.",
        "xml-well-formed": "An XML file is well-formed.",
        **{
            f"file.{part}-{kind}": text.format(part=part, place=place)
            for part, place in (("header", "the first record"), ("trailer", "the last record"))
            for kind, text in _SUMMARY_RULES.items()
        },
        "file.children-limit": "The file holds at most `file.limits.children` children.",
        # Run time: one record.
        "file.csv": "A CSV row is well quoted.",
        "file.row-shape": "A CSV row has as many cells as the header.",
        "file.short-line": "A fixed-width line is as long as the layout.",
        "file.json": "A JSON line holds one JSON object.",
        "map.key": "The student id is not blank.",
        "map.key-contiguous": "All rows of a child come together.",
        "map.action": "The action code is one of the mapping's codes.",
        "map.row-type": "Every row of a child has a type the mapping reads.",
        "map.type": "A field read as a single value is not a JSON object or array.",
        "map.group-limit": "One group of a child holds at most `file.limits.items_per_group` "
        "items.",
        "map.<function>": "A transform function could not turn the value into its result "
        "(error), or flagged it (warning), e.g. `map.parse_date`, `map.lookup`.",
        "mde.*": "The model's own rules: see docs/data-standard.md.",
    }
)


def render_mapping_docs() -> str:
    """The whole of docs/mappings.md."""
    parts = [
        INTRO,
        "## 1. A complete example\n",
        "`mappings/zz/mapping.yaml`, for a pipe-delimited file:\n",
        f"```yaml\n{EXAMPLE}```\n",
        "`mappings/zz/grades.csv` and `mappings/zz/sex.csv`, the code tables it uses:\n",
        f"```text\n{EXAMPLE_TABLE}```\n",
        f"```text\n{EXAMPLE_SEX_TABLE}```\n",
        *FRAGMENTS,
        "## 2. Keys of the file\n",
        "Generated from `mappings/mapping.schema.json`.\n",
        _schema_tables(),
        *PROSE,
        _groups_table(),
        _transforms_section(),
        _code_tables_section(),
        _targets_section(),
        _issues_section(),
    ]
    return "\n".join(part.rstrip("\n") + "\n" for part in parts)


def _schema_tables() -> str:
    schema = mapping_schema()
    defs = schema["$defs"]
    sections: list[tuple[str, dict[str, Any]]] = [("Top level", schema)]
    for key in ("csv", "fixed_width", "xml", "record"):
        sections.append((f"`{key}:`", schema["properties"][key]))
    fixed_width = schema["properties"]["fixed_width"]["properties"]
    sections.append(("`fixed_width.columns[]`", defs["column"]))
    sections.append(("`fixed_width.record_types:`", fixed_width["record_types"]))
    sections.append(("`record.action:`", defs["action"]))
    sections.append(
        (
            "Row filter (`record.rows`, `record.skip_rows`, group `rows`, `file.header.rows`)",
            defs["row_filter"],
        )
    )
    sections.append(("Rule (an item of `fields:` or of a group's `fields:`)", defs["rule"]))
    sections.append(("Group (an item of `groups:`)", defs["group"]))
    sections.append(("Condition (`when:`)", defs["condition"]))
    file_section = schema["properties"]["file"]
    sections.append(("`file:`", file_section))
    sections.append(("`file.header:`, `file.trailer:`", defs["summary"]))
    sections.append(("File check (an item of `file.header.checks`)", defs["file_check"]))
    sections.append(("`file.limits:`", file_section["properties"]["limits"]))
    out: list[str] = []
    for title, node in sections:
        out.append(f"### {title}\n")
        if node.get("description") and title != "Top level":
            out.append(f"{node['description']}\n")
        required = set(node.get("required", ()))
        out.append("| key | type | required | meaning |\n|---|---|---|---|")
        for key, prop in node.get("properties", {}).items():
            meaning = prop.get("description", "")
            if "$ref" in prop and not meaning:
                meaning = defs[prop["$ref"].rsplit("/", 1)[-1]].get("description", "")
            need = "yes" if key in required else ""
            out.append(f"| `{key}` | {_type_of(prop, defs)} | {need} | {_cell(meaning)} |")
        out.append("")
    return "\n".join(out)


def _type_of(node: dict[str, Any], defs: dict[str, Any]) -> str:
    if "enum" in node:
        return " \\| ".join(f"`{value}`" for value in node["enum"])
    if "const" in node:
        const = node["const"]
        return f"`{str(const).lower() if isinstance(const, bool) else const}`"
    if "$ref" in node:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        shown = {
            "row_filter": "row filter",
            "when": "condition or list",
            "action": "object",
            "summary": "object",
        }
        return shown.get(name, name)
    if "if" in node:
        return "`each` or row filter"
    kind = node.get("type")
    if kind == "array":
        items = node.get("items", {})
        if "anyOf" in items:
            return "list of " + " or ".join(_type_of(choice, defs) for choice in items["anyOf"])
        inner = items.get("type") or items.get("$ref", "").rsplit("/", 1)[-1] or "item"
        return f"list of {inner}"
    if isinstance(kind, list):
        return " or ".join(kind)
    return str(kind or "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _groups_table() -> str:
    lines = ["| group | canonical list | its targets start with |", "|---|---|---|"]
    for name, path in GROUPS.items():
        lines.append(f"| `{name}` | `{path}` | `{path}[].` |")
    return "\n".join(lines) + "\n"


def transform_order() -> list[tuple[str, list[TransformSpec]]]:
    """The functions by category, in the order the docs list them; unlisted ones come last."""
    listed = {name for _, names in _CATEGORIES for name in names}
    order = [(title, [TRANSFORMS[name] for name in names]) for title, names in _CATEGORIES]
    others = [spec for name, spec in TRANSFORMS.items() if name not in listed]
    return order + ([("Other", others)] if others else [])


def _transforms_section() -> str:
    out = [
        "## 5. Transform functions\n",
        "The closed vocabulary. A step is written `name` or `{fn: name, argument: value...}`. "
        "*Takes* is what the step accepts (source values are text); *gives* is what it returns. "
        "Unless noted, a blank value skips the step.\n",
        "| kind | function | takes -> gives | what it does |",
        "|---|---|---|---|",
    ]
    order = transform_order()
    for title, specs in order:
        for spec in specs:
            link = f"[`{spec.name}`](#fn-{spec.name})"
            kinds = f"{'/'.join(spec.accepts)} -> {spec.returns or 'the same'}"
            out.append(f"| {title} | {link} | {kinds} | {_cell(spec.summary)} |")
    out.append("")
    for _, specs in order:
        out.extend(_function_doc(spec) for spec in specs)
    return "\n".join(out)


def _function_doc(spec: TransformSpec) -> str:
    out = [f'<a id="fn-{spec.name}"></a>\n', f"### `{spec.name}`\n", f"{spec.doc}\n"]
    if spec.runs_on_blank:
        out.append("Runs on blank values too.\n")
    if spec.args:
        out.append("| argument | type | default | meaning |\n|---|---|---|---|")
        for name, arg in spec.args.items():
            default = "required" if arg.required else _literal(arg.default)
            meaning = arg.doc
            if arg.choices:
                meaning += " One of: " + ", ".join(f"`{choice}`" for choice in arg.choices) + "."
            out.append(f"| `{name}` | {ARG_TYPE_NAMES[arg.type]} | {default} | {_cell(meaning)} |")
        out.append("")
    else:
        out.append("No arguments.\n")
    return "\n".join(out)


def _literal(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return "`[]`" if not value else f"`{value}`"
    return f'`"{value}"`' if isinstance(value, str) else f"`{value!s}`"


def _code_tables_section() -> str:
    lines = [
        "## 6. Code tables\n",
        "A code table is a CSV file in the state's mapping folder, named by a `lookup` step. "
        "It starts with three comment lines, `# what:`, `# owner:` and `# reviewed: YYYY-MM-DD`, "
        f"then the column row `{','.join(TABLE_COLUMNS)}` and one row per source code.\n",
        "- `source_code`: the state's code, compared after trimming (and without case with "
        "`ignore_case: true`); each appears once.",
        "- `target_system`: the hub code set of the target (`grade-level`, `sex`, `cvx`...: the "
        "files of hub/model/codesets, listed in docs/data-standard.md), or empty for free text. "
        "It must be the code set of the element the rule writes.",
        "- `target_code`: the hub's code; it must be in `target_system`.",
        "- `display`: a label for people; not used by the engine.\n",
        "Every code table is checked when the mapping loads. What a code missing from the table "
        "does is declared at each `lookup` step with `unmapped:` (there is no silent default):\n",
        "| unmapped | effect |\n|---|---|",
    ]
    lines.extend(f"| `{key}` | {meaning} |" for key, meaning in UNMAPPED.items())
    lines.append(
        "\nEvery unmapped code is reported on its record as an issue with rule `map.lookup`, "
        "located at the source field, with the code in the value column. A golden example "
        "carrying a new unmapped code therefore fails CI.\n"
    )
    return "\n".join(lines)


def _targets_section() -> str:
    lines = [
        "## 7. Targets\n",
        "Every canonical element a rule may write (generated from hub/model/records.py; "
        "docs/data-standard.md gives lengths and meanings). `student_id.state` is the "
        "mapping's `state`, `student_id.value` the `record.key` field, `action` comes from "
        "`record.action`.\n",
        "*Matching* marks the names and places matching compares: they keep the state's "
        "spelling, so `strip_accents` is refused on them.\n",
        "| target | kind | code set | required in its item | matching |",
        "|---|---|---|---|---|",
    ]
    for target in targets().values():
        codeset = f"`{target.codeset}`" if target.codeset else ""
        required = "yes" if target.required else ""
        matching = "yes" if target.identifies else ""
        lines.append(f"| `{target.path}` | {target.kind} | {codeset} | {required} | {matching} |")
    return "\n".join(lines) + "\n"


def _issues_section() -> str:
    lines = [
        "## 8. Issue rules\n",
        "Load-time issues are located `file:line key-path`; run-time issues `record[n].FIELD` "
        "(n counts children from 1; FIELD is the source field, or the canonical path when no "
        "single field made the value); those of a file header or trailer `header.FIELD`, "
        "`trailer.FIELD` (the line in the message). File-level issues reject the whole file.\n",
        "| rule | checks |",
        "|---|---|",
    ]
    lines.extend(f"| `{rule}` | {_cell(text)} |" for rule, text in ISSUE_RULES.items())
    return "\n".join(lines) + "\n"
