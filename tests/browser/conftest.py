"""Browser tests drive Debian's Chromium through Playwright (never a downloaded browser).

A failing test keeps a screenshot of each open page in `var/browser-failures/` (or
`MSIX_SCREENSHOT_DIR`); the report names the files.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if shutil.which("chromium") is None:
        skip = pytest.mark.skip(
            reason="Debian's chromium is not installed (make test installs it as root)"
        )
        for item in items:
            if "tests/browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
        ],
    }


def _screenshot_dir(config: pytest.Config) -> Path:
    configured = os.environ.get("MSIX_SCREENSHOT_DIR")
    return Path(configured) if configured else config.rootpath / "var" / "browser-failures"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep a screenshot of every open page when a browser test fails (before pages close)."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    page = getattr(item, "funcargs", {}).get("page")
    if report.when != "call" or not report.failed or page is None:
        return
    folder = _screenshot_dir(item.config)
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)
    saved: list[str] = []
    for n, context in enumerate(page.context.browser.contexts):
        for m, open_page in enumerate(context.pages):
            path = folder / f"{stem}-{n}-{m}.png"
            with contextlib.suppress(Exception):  # a crashed page must not hide the failure
                open_page.screenshot(path=str(path), full_page=True)
                saved.append(str(path))
    report.sections.append(("screenshots", "\n".join(saved) or "none could be taken"))
