"""docs/mappings.md is generated from the registry and the schema, and cannot drift from them."""

from __future__ import annotations

import re
from pathlib import Path

from hub.mapping import TRANSFORMS, render_mapping_docs
from hub.mapping._docs import ISSUE_RULES, transform_order

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "mappings.md"


def test_committed_mapping_docs_match_the_generated_ones() -> None:
    assert DOC.read_text(encoding="utf-8") == render_mapping_docs(), (
        "docs/mappings.md is stale: run `python -m hub.mapping.docs > docs/mappings.md`"
    )


def test_every_transform_is_documented_with_its_arguments() -> None:
    text = render_mapping_docs()
    for name, spec in TRANSFORMS.items():
        assert spec.summary
        assert spec.doc
        assert f'<a id="fn-{name}"></a>' in text
        assert f"[`{name}`](#fn-{name})" in text
        for arg_name, arg in spec.args.items():
            assert arg.doc, f"{name}.{arg_name} has no doc"
            assert f"| `{arg_name}` |" in text


def test_every_transform_has_a_category() -> None:
    assert [title for title, _ in transform_order()] == [
        "text",
        "names",
        "dates",
        "codes",
        "numbers",
        "constants",
    ]
    listed = [spec.name for _, specs in transform_order() for spec in specs]
    assert sorted(listed) == sorted(TRANSFORMS)


def test_every_issue_rule_the_engine_raises_is_documented() -> None:
    source = "\n".join(
        path.read_text(encoding="utf-8") for path in (ROOT / "hub" / "mapping").glob("*.py")
    )
    used = set(re.findall(r'"((?:map|file)\.[a-z-]+|xml-[a-z-]+)"', source))
    undocumented = sorted(rule for rule in used if rule not in ISSUE_RULES)
    assert undocumented == []
