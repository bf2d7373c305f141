from __future__ import annotations

import re
from pathlib import Path

from hub.model.codes import all_codesets
from hub.model.rules import RULES
from hub.model.standard import render_data_standard

DOC = Path(__file__).resolve().parents[3] / "docs" / "data-standard.md"


def test_committed_data_standard_matches_the_generated_one() -> None:
    assert DOC.read_text(encoding="utf-8") == render_data_standard(), (
        "docs/data-standard.md is stale: run `python -m hub.model.standard > docs/data-standard.md`"
    )


def test_data_standard_lists_every_code_set_and_rule() -> None:
    text = render_data_standard()
    for name in all_codesets():
        assert f'<a id="code-set-{name}"></a>' in text
    for rule in RULES:
        assert f"| `{rule}` |" in text


def test_every_code_set_link_has_an_anchor() -> None:
    text = render_data_standard()
    links = set(re.findall(r"\]\(#(code-set-[a-z0-9-]+)\)", text))
    anchors = set(re.findall(r'<a id="(code-set-[a-z0-9-]+)"></a>', text))
    assert links
    assert links <= anchors


def test_sections_follow_the_layout_order() -> None:
    headings = re.findall(r"^## \d+\. (.+)$", render_data_standard(), flags=re.MULTILINE)
    assert headings == [
        "Identity",
        "Parents and guardians",
        "Identifiers",
        "Qualifying moves",
        "Enrollments",
        "Assessments",
        "Courses",
        "Immunizations",
        "Conditions",
    ]
