from __future__ import annotations

import json

from playwright.sync_api import Page


def test_chromium_renders_the_health_page_of_a_live_server(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/healthz")
    body = json.loads(page.inner_text("body"))
    assert body["status"] == "ok"
    assert body["store"] == "embedded"
