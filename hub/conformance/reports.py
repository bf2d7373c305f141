"""Writing a run's reports: JUnit XML, results.json and a self-contained HTML page."""

from __future__ import annotations

from pathlib import Path

from hub.conformance._report_html import render_html
from hub.conformance._report_json import render_json, run_json
from hub.conformance._report_junit import render_junit
from hub.conformance._results import RunResult

JUNIT_FILE = "junit.xml"
JSON_FILE = "results.json"
HTML_FILE = "report.html"


def write_reports(run: RunResult, folder: Path) -> list[Path]:
    """Write the three reports into `folder` (created when missing); their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / JUNIT_FILE, folder / JSON_FILE, folder / HTML_FILE]
    written[0].write_bytes(render_junit(run))
    written[1].write_text(render_json(run), encoding="utf-8")
    written[2].write_text(render_html(run), encoding="utf-8")
    return written


__all__ = ["render_html", "render_json", "render_junit", "run_json", "write_reports"]
