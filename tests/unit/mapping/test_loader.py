"""Loading mapping files: every mistake of every file reported at once, with file, line and key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import jsonschema
import pytest

from hub.errors import ConfigurationError, Issue
from hub.mapping import MAPPINGS_DIR, load_mapping, load_mappings
from hub.mapping._docs_text import EXAMPLE, EXAMPLE_SEX_TABLE, EXAMPLE_TABLE

if TYPE_CHECKING:
    from tests.unit.mapping.conftest import WriteMapping

TABLE_HEADER = "# what: test table\n# owner: tests\n# reviewed: 2026-11-28\n"
COLUMNS = "source_code,target_system,target_code,display\n"


def problems(path: Path) -> list[Issue]:
    with pytest.raises(ConfigurationError) as caught:
        load_mapping(path)
    return list(caught.value.issues)


def located(issues: list[Issue]) -> list[tuple[str, str | None]]:
    """(line and key path, rule) of each issue, without the file name."""
    return [((issue.location or "").split(":", 1)[1], issue.rule) for issue in issues]


def test_a_mapping_with_five_mistakes_reports_all_five_with_lines(fixtures: Path) -> None:
    issues = problems(fixtures / "mappings" / "five-mistakes" / "mapping.yaml")
    assert located(issues) == [
        ("11 fields[0].transform[1]", "map.unknown-function"),
        ("12 fields[1].to", "map.target"),
        ("16 fields[2].value", "map.schema"),
        ("26 groups[0].fields[1].transform[0].width", "map.args"),
        ("29 groups[0].fields[2].transform[0].table", "map.args"),
    ]
    assert all(
        (issue.location or "").startswith(
            "tests/unit/mapping/fixtures/mappings/five-mistakes/mapping.yaml:"
        )
        for issue in issues
    )
    messages = [issue.message for issue in issues]
    assert "unknown function 'titlecase'" in messages[0]
    assert "did you mean identity.birth_date?" in messages[1]
    assert "quote it" in messages[2]
    assert "enrollment-types.csv does not exist" in messages[4]


def test_the_documented_example_loads(write_mapping: WriteMapping) -> None:
    path = write_mapping(EXAMPLE, header=False, grades_csv=EXAMPLE_TABLE, sex_csv=EXAMPLE_SEX_TABLE)
    mapping = load_mapping(path)
    assert mapping.state == "ZZ"
    assert mapping.encoding == "cp1252"
    assert [group.name for group in mapping.groups] == [
        "moves",
        "parents",
        "enrollments",
        "immunizations",
    ]
    assert len(mapping.digest) == 64


def test_the_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads((MAPPINGS_DIR / "mapping.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)


def test_every_unknown_function_is_listed(write_mapping: WriteMapping) -> None:
    path = write_mapping("""\
        state: ZZ
        format: csv
        record: {key: ID}
        fields:
          - to: identity.first_name
            from: A
            transform: [titlecase, {fn: strip}, trim]
          - to: identity.last_name_1
            from: B
            transform: [{fn: eval}]
        """)
    issues = problems(path)
    assert located(issues) == [
        ("10 fields[0].transform[0]", "map.unknown-function"),
        ("10 fields[0].transform[1].fn", "map.unknown-function"),
        ("13 fields[1].transform[0].fn", "map.unknown-function"),
    ]


def test_a_mapping_needs_its_header_comment(write_mapping: WriteMapping) -> None:
    path = write_mapping("state: ZZ\nformat: jsonl\nrecord: {key: id}\n", header=False)
    assert located(problems(path)) == [("1", "map.header-comment")]


def test_yaml_syntax_errors_are_located(write_mapping: WriteMapping) -> None:
    path = write_mapping("state: ZZ\nformat: [csv\nrecord: {key: ID}\n")
    (issue,) = problems(path)
    assert issue.rule == "map.yaml"
    assert (issue.location or "").endswith("mapping.yaml:6")


def test_duplicate_keys_are_not_silently_collapsed(write_mapping: WriteMapping) -> None:
    path = write_mapping("state: ZZ\nformat: jsonl\nrecord: {key: id}\nstate: ZY\n")
    assert located(problems(path)) == [("7 state", "map.yaml")]


def test_unknown_keys_are_named_at_their_line(write_mapping: WriteMapping) -> None:
    path = write_mapping("""\
        state: ZZ
        format: jsonl
        record: {key: id}
        fields:
          - to: identity.first_name
            form: FIRST
        """)
    issues = problems(path)
    assert ("9 fields[0].form", "map.schema") in located(issues)
    assert ("8 fields[0]", "map.rule") in located(issues)


def test_a_rule_needs_exactly_one_source(write_mapping: WriteMapping) -> None:
    path = write_mapping("""\
        state: ZZ
        format: jsonl
        record: {key: id}
        fields:
          - to: identity.first_name
            from: FIRST
            value: "Ana"
        """)
    (issue,) = problems(path)
    assert (
        issue.message
        == "a rule needs exactly one of from, first_of, value, concat (found: from, value)"
    )


def test_function_arguments_are_checked(write_mapping: WriteMapping) -> None:
    path = write_mapping("""\
        state: ZZ
        format: jsonl
        record: {key: id}
        fields:
          - to: identity.birth_date
            from: DOB
            transform: [{fn: parse_date, fromat: "%m/%d/%Y"}]
          - to: identity.last_name_1
            from: SURNAME
            transform: [{fn: split_surname, part: 3}]
          - to: identity.last_name_2
            from: SURNAME
            transform: [{fn: parse_date, format: "%d/%y"}]
        """)
    issues = problems(path)
    assert {issue.rule for issue in issues} == {"map.args"}
    assert [
        (where, issue.message) for (where, _), issue in zip(located(issues), issues, strict=True)
    ] == [
        (
            "10 fields[0].transform[0].fromat",
            "parse_date has no argument 'fromat' (its arguments: format, century_pivot, not_after)",
        ),
        ("10 fields[0].transform[0]", "parse_date needs the argument 'format'"),
        ("13 fields[1].transform[0].part", "split_surname part: 3 is not one of 1, 2"),
        ("16 fields[2].transform[0].format", "format '%d/%y' needs a day, a month and a year"),
        (
            "16 fields[2].transform[0].format",
            "format '%d/%y' has a two-digit year (%y): set century_pivot, e.g. 30 reads 00-29 as "
            "2000-2029 and 30-99 as 1930-1999",
        ),
        ("16 fields[2].transform", "the transforms give date but identity.last_name_2 is text"),
    ]


def test_each_step_must_accept_what_the_step_before_gives(write_mapping: WriteMapping) -> None:
    path = write_mapping("""\
        state: ZZ
        format: jsonl
        record: {key: id}
        fields:
          - to: identity.multiple_birth
            from: TWIN
            transform: [yes_no, upper]
        """)
    (issue,) = problems(path)
    assert issue.message == "upper takes text, but the step before gives bool"


def test_group_elements_belong_in_their_group(write_mapping: WriteMapping) -> None:
    path = write_mapping("""\
        state: ZZ
        format: jsonl
        record: {key: id}
        fields:
          - to: enrollments[].grade_level
            from: GRADE
        groups:
          - group: courses
            record_id: auto
            fields:
              - to: enrollments[].school_id
                from: SCHOOL
          - group: moves
            fields:
              - to: student_id.value
                from: ID
        """)
    messages = [issue.message for issue in problems(path)]
    assert messages == [
        "enrollments[].grade_level belongs to group enrollments: put it under groups:",
        "enrollments[].school_id belongs to group enrollments: put it under groups:",
        "student_id.value is set by the record: section (key, action) and the mapping's state, "
        "not by a rule",
    ]


def test_group_items_need_record_ids(write_mapping: WriteMapping) -> None:
    path = write_mapping("""\
        state: ZZ
        format: jsonl
        record: {key: id}
        groups:
          - group: courses
            fields:
              - to: courses[].title
                from: TITLE
          - group: moves
            record_id: auto
            fields:
              - to: moves[].qualifying_arrival_date
                from: QAD
        """)
    messages = [issue.message for issue in problems(path)]
    assert messages == [
        "courses items need a record id: add record_id: auto or a rule for courses[].record_id",
        "moves items have no record id",
    ]


def test_a_repeat_group_must_use_its_placeholder(write_mapping: WriteMapping) -> None:
    path = write_mapping("""\
        state: ZZ
        format: csv
        record: {key: ID}
        groups:
          - group: immunizations
            repeat: {count: 3, placeholder: "#"}
            record_id: auto
            fields:
              - to: immunizations[].cvx
                from: "IMM{n}_CVX"
        """)
    (issue,) = problems(path)
    assert issue.message == "no field name of the group uses the placeholder '#'"


def test_strip_accents_is_refused_on_names(write_mapping: WriteMapping) -> None:
    path = write_mapping("""\
        state: ZZ
        format: jsonl
        record: {key: id}
        fields:
          - to: identity.last_name_1
            from: SURNAME
            transform: [strip_accents]
          - to: enrollments[].comment
            from: NOTE
        groups:
          - group: enrollments
            record_id: auto
            fields:
              - to: enrollments[].facility_city
                from: CITY
                transform: [strip_accents]
        """)
    issues = problems(path)
    assert issues[0].message.startswith("strip_accents cannot write identity.last_name_1")
    assert len([i for i in issues if "strip_accents" in i.message]) == 1


def test_bad_code_table_rows_are_located_in_the_table(write_mapping: WriteMapping) -> None:
    table = (
        TABLE_HEADER
        + COLUMNS
        + (
            "K,grade-level,KG,Kindergarten\n"
            "1,grade-level,01\n"
            "K,grade-level,KG,again\n"
            "2,grade-levels,02,Grade 2\n"
            "3,grade-level,33,Grade 3\n"
            ",grade-level,04,Grade 4\n"
        )
    )
    path = write_mapping(
        """\
        state: ZZ
        format: jsonl
        record: {key: id}
        groups:
          - group: enrollments
            record_id: auto
            fields:
              - to: enrollments[].grade_level
                from: GRADE
                transform: [{fn: lookup, table: grades.csv, unmapped: fail}]
        """,
        grades_csv=table,
    )
    issues = problems(path)
    where = [(issue.location or "").rsplit("/", 1)[-1] for issue in issues]
    assert where == [
        "grades.csv:6",
        "grades.csv:7",
        "grades.csv:8",
        "grades.csv:9",
        "grades.csv:10",
    ]
    assert [issue.message for issue in issues] == [
        "a row has 4 columns, this one 3",
        "source code 'K' appears twice",
        "target_system 'grade-levels' is not a hub code set",
        "target code '33' is not in the hub code set 'grade-level'",
        "source_code and target_code cannot be empty",
    ]
    assert {issue.rule for issue in issues} == {"map.code-table"}


def test_a_code_table_needs_its_header_and_columns(write_mapping: WriteMapping) -> None:
    path = write_mapping(
        """\
        state: ZZ
        format: jsonl
        record: {key: id}
        fields:
          - to: identity.sex
            from: SEX
            transform: [{fn: lookup, table: sex.csv, unmapped: fail}]
        """,
        sex_csv="# what: sex\ncode,display\nF,Female\n",
    )
    messages = [issue.message for issue in problems(path)]
    assert messages == [
        "missing '# owner:' header line (what, owner, reviewed come first)",
        "missing '# reviewed:' header line (what, owner, reviewed come first)",
        "the column row must be source_code,target_system,target_code,display",
    ]


def test_a_code_table_must_map_to_its_targets_code_set(write_mapping: WriteMapping) -> None:
    path = write_mapping(
        """\
        state: ZZ
        format: jsonl
        record: {key: id}
        fields:
          - to: identity.sex
            from: SEX
            transform: [{fn: lookup, table: grades.csv, unmapped: default, default: "X"}]
        """,
        grades_csv=TABLE_HEADER + COLUMNS + "K,grade-level,KG,Kindergarten\n",
    )
    messages = [issue.message for issue in problems(path)]
    assert messages == [
        "identity.sex takes codes of 'sex' but grades.csv maps to 'grade-level'",
        "default 'X' is not in the hub code set 'sex'",
    ]


def test_unmapped_default_needs_a_default(write_mapping: WriteMapping) -> None:
    path = write_mapping(
        """\
        state: ZZ
        format: jsonl
        record: {key: id}
        fields:
          - to: identity.sex
            from: SEX
            transform: [{fn: lookup, table: sex.csv, unmapped: default}]
        """,
        sex_csv=TABLE_HEADER + COLUMNS + "F,sex,Female,Female\n",
    )
    (issue,) = problems(path)
    assert issue.message == "unmapped: default needs a default: code"


def test_fixed_width_layouts_are_checked(write_mapping: WriteMapping) -> None:
    path = write_mapping("""\
        state: ZZ
        format: fixed-width
        fixed_width:
          columns:
            - {name: ID, start: 1, length: 10}
            - {name: NAME, start: 8, length: 20}
        record: {key: ID}
        fields:
          - to: identity.first_name
            from: FIRST
        """)
    messages = [issue.message for issue in problems(path)]
    assert messages == [
        "fields read by the rules but not declared: FIRST",
        "column NAME overlaps column ID",
    ]


def test_format_sections_must_match_the_format(write_mapping: WriteMapping) -> None:
    path = write_mapping("""\
        state: ZZ
        format: fixed-width
        csv: {delimiter: "|"}
        record: {key: ID}
        """)
    messages = [issue.message for issue in problems(path)]
    assert messages == [
        "format fixed-width needs a fixed_width: section",
        "a csv: section does not apply to format fixed-width",
    ]


def test_declared_csv_columns_are_only_for_files_without_a_header(
    write_mapping: WriteMapping,
) -> None:
    path = write_mapping("""\
        state: ZZ
        format: csv
        csv: {header: true, columns: [ID]}
        record: {key: ID}
        """)
    (issue,) = problems(path)
    assert issue.message == "columns: is for files without a header row (header: false)"


def test_xml_mappings_need_their_stylesheet(write_mapping: WriteMapping) -> None:
    path = write_mapping("""\
        state: ZZ
        format: xml
        xml: {xslt: transforms/missing.xsl, record_element: Student}
        """)
    (issue,) = problems(path)
    assert issue.rule == "map.xslt"
    assert issue.message.startswith("no stylesheet transforms/missing.xsl")


def test_load_mappings_reports_every_file_at_once(
    write_mapping: WriteMapping, tmp_path: Path
) -> None:
    write_mapping("state: TX\nformat: jsonl\nrecord: {key: id}\n", folder="tx")
    write_mapping(
        "state: FL\nformat: jsonl\nrecord: {key: id}\nfields: [{to: nope, from: A}]\n", folder="fl"
    )
    write_mapping("state: WA\nformat: jsonl\nrecord: {}\n", folder="wa")
    with pytest.raises(ConfigurationError) as caught:
        load_mappings(tmp_path / "mappings")
    files = [(issue.location or "").split(":")[0] for issue in caught.value.issues]
    assert files == [
        str(tmp_path / "mappings/fl/mapping.yaml"),
        str(tmp_path / "mappings/wa/mapping.yaml"),
    ]


def test_load_mappings_keys_mappings_by_state(write_mapping: WriteMapping, tmp_path: Path) -> None:
    write_mapping("state: TX\nformat: jsonl\nrecord: {key: id}\n", folder="tx")
    write_mapping("state: FL\nformat: jsonl\nrecord: {key: id}\n", folder="fl")
    assert sorted(load_mappings(tmp_path / "mappings")) == ["FL", "TX"]


def test_two_mappings_for_one_state_are_refused(
    write_mapping: WriteMapping, tmp_path: Path
) -> None:
    write_mapping("state: TX\nformat: jsonl\nrecord: {key: id}\n", folder="tx")
    write_mapping("state: TX\nformat: jsonl\nrecord: {key: id}\n", folder="tx2")
    with pytest.raises(ConfigurationError, match="state TX already has a mapping"):
        load_mappings(tmp_path / "mappings")


def test_every_committed_mapping_loads() -> None:
    """The states' own mapping files (written as the states arrive) all load."""
    load_mappings()
