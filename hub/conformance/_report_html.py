"""One self-contained HTML page: summary, requirement coverage and per-test detail with each
request and response. No scripts, fonts or stylesheets from anywhere else: it opens offline."""

from __future__ import annotations

import json
from html import escape

from hub.conformance._results import Coverage, Exchange, RunResult, StepResult, TestResult

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fafbfc}
header,main{max-width:1100px;margin:0 auto;padding:1rem 1.5rem}
header{border-bottom:1px solid #d0d7de;background:#fff;max-width:none}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f1f3f5}.muted{color:#57606a}
.status{font-weight:600;text-transform:uppercase;font-size:.8rem;padding:.1rem .4rem;
border-radius:3px}
.pass,.passed{background:#dafbe1;color:#116329}.fail,.failed{background:#ffebe9;color:#a40e26}
.error{background:#fbefff;color:#6f2da8}.skip,.untested{background:#fff8c5;color:#7d4e00}
.omit{background:#eaeef2;color:#424a53}
.counts{display:flex;gap:1rem;flex-wrap:wrap}.counts div{background:#fff;border:1px solid #d0d7de;
padding:.5rem 1rem;border-radius:6px}.counts b{display:block;font-size:1.4rem}
details{background:#fff;border:1px solid #d0d7de;border-radius:6px;margin:.4rem 0;
padding:.4rem .8rem}
summary{cursor:pointer}pre{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;
padding:.5rem;max-height:24rem;overflow:auto;font-size:12px}
"""


def _status(value: str) -> str:
    return f'<span class="status {escape(value)}">{escape(value)}</span>'


def render_html(run: RunResult) -> str:
    coverage = run.coverage()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # No network at all: a CSP that forbids every external load.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>{escape(run.title)}: {escape(run.status.value)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<header>",
        f"<h1>{escape(run.title)} {_status(run.status.value)}</h1>",
        f'<div class="muted">Target <code>{escape(run.target)}</code> · suites '
        f"{escape(', '.join(run.suites))} · {escape(run.started)} to {escape(run.finished)}</div>",
        "</header><main>",
        _summary(run, coverage),
        _coverage(coverage),
        '<section id="tests"><h2>Tests</h2>',
        *(_test(test) for test in run.tests),
        "</section>",
        _manifest(run),
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _summary(run: RunResult, coverage: list[Coverage]) -> str:
    counts = run.counts()
    tested = sum(item.tested for item in coverage)
    cells = "".join(
        f'<div class="{status}"><b>{count}</b>{status}</div>' for status, count in counts.items()
    )
    return (
        '<section id="summary"><h2>Summary</h2>'
        f'<div class="counts"><div><b>{len(run.tests)}</b>tests</div>{cells}'
        f"<div><b>{tested}/{len(coverage)}</b>requirements tested</div></div></section>"
    )


def _coverage(coverage: list[Coverage]) -> str:
    rows = "".join(_coverage_row(item) for item in coverage)
    return (
        '<section id="coverage"><h2>Requirement coverage</h2><table><thead><tr>'
        "<th>Requirement</th><th>Level</th><th>Text</th><th>Status</th><th>Tests / why untested"
        f"</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _coverage_row(item: Coverage) -> str:
    requirement = item.requirement
    links = ", ".join(f'<a href="#test-{escape(t)}">{escape(t)}</a>' for t in item.tests)
    reason = f'<div class="muted">{escape(item.reason)}</div>' if item.reason else ""
    return (
        f'<tr id="req-{escape(requirement.id)}" class="requirement">'
        f"<td><code>{escape(requirement.id)}</code></td><td>{escape(requirement.level)}</td>"
        f'<td>{escape(requirement.text)}<div class="muted">{escape(requirement.source)}</div></td>'
        f"<td>{_status(item.status)}</td><td>{links}{reason}</td></tr>"
    )


def _test(test: TestResult) -> str:
    opened = " open" if test.status.value in ("fail", "error") else ""
    requirements = ", ".join(
        f'<a href="#req-{escape(r)}"><code>{escape(r)}</code></a>' for r in test.requirements
    )
    return (
        f'<details id="test-{escape(test.id)}" class="test"{opened}><summary>'
        f"{_status(test.status.value)} <code>{escape(test.id)}</code> {escape(test.title)}"
        f"{' — ' + escape(test.message) if test.message else ''}</summary>"
        f'<p>{escape(test.description)}</p><p class="muted">Suite {escape(test.suite)}, group '
        f"{escape(test.group)} · verifies {requirements} · {test.duration_ms:.0f} ms</p>"
        f"{''.join(_step(step) for step in test.steps)}</details>"
    )


def _step(step: StepResult) -> str:
    checks = "".join(
        f"<tr><td><code>{escape(check.name)}</code></td>"
        f"<td><code>{escape(json.dumps(check.params, ensure_ascii=False))}</code></td>"
        f"<td>{_status(check.status.value)}</td><td>{escape(check.message)}</td></tr>"
        for check in step.checks
    )
    table = (
        f"<table><thead><tr><th>Check</th><th>Parameters</th><th>Status</th><th>Detail</th></tr>"
        f"</thead><tbody>{checks}</tbody></table>"
        if checks
        else f"<p>{escape(step.message)}</p>"
    )
    return (
        f"<h4>Step <code>{escape(step.id)}</code> {_status(step.status.value)}</h4>"
        f"{''.join(_exchange(exchange) for exchange in step.exchanges)}{table}"
    )


def _exchange(exchange: Exchange) -> str:
    request_headers = "\n".join(f"{k}: {v}" for k, v in exchange.request_headers.items())
    response_headers = "\n".join(f"{k}: {v}" for k, v in exchange.response_headers.items())
    answer = (
        f"HTTP {exchange.status} ({exchange.elapsed_ms:.0f} ms)\n{response_headers}\n\n"
        f"{exchange.response_body}"
        if exchange.status is not None
        else exchange.error
    )
    return (
        f'<details class="exchange"><summary><code>{escape(exchange.method)} '
        f"{escape(exchange.url)}</code> → {escape(str(exchange.status or exchange.error))}"
        f"</summary><pre>{escape(request_headers)}\n\n{escape(exchange.request_body)}</pre>"
        f"<pre>{escape(answer)}</pre></details>"
    )


def _manifest(run: RunResult) -> str:
    text = json.dumps(run.manifest, indent=2, ensure_ascii=False, default=str)
    return f'<section id="manifest"><h2>Run manifest</h2><pre>{escape(text)}</pre></section>'
