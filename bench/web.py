"""Benchmark: server time per web UI page on demo-like data.

Builds a demo data dir as `msix demo` does (synthetic children ingested through the real path,
the demo accounts) plus extra accounts in one state so the Accounts List has realistic length,
signs in as the state's User Administrator, and requests each page many times. The time is taken
inside the ASGI app (from request to the last byte of the answer), so the test client is not
counted. Prints one JSON line: median, p95 and max milliseconds per page, and the sign-in POST
separately (argon2id dominates it, by design).

Run as `.venv/bin/python bench/web.py [--children 300] [--accounts 250] [--repeat 50]`.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from hub.app import create_app
from hub.cli.demo import prepare_demo
from hub.config import Settings
from hub.security import User, accept_rules_of_behaviour
from hub.store import Store

TARGET_MS = 100.0
PAGES = ("/signin", "/", "/accounts", "/accounts/registrar", "/accounts/new", "/account/password")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


class _Timed:
    """Wraps the app and keeps the duration of the last HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.last = 0.0

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        started = time.perf_counter()
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.last = time.perf_counter() - started


def _add_accounts(store: Store, count: int) -> None:
    """Copies of the demo registrar under new names: only the Accounts List reads them, and
    hashing `count` passwords would time argon2, not the UI."""
    template = store.call(store.users.get, "registrar")
    assert template is not None
    for n in range(count):
        username = f"staff-{n:04d}"
        document = {k: v for k, v in template.items() if k != "_id"}
        document.update(
            username=username, full_name=f"Staff {n:04d}", email=f"{username}@demo.msix.invalid"
        )
        store.call(store.users.insert, User.from_document(document).to_document())


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def run(children: int, accounts: int, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="msix-bench-web-") as folder:
        settings = Settings(demo=True, data_dir=Path(folder))
        credentials = prepare_demo(settings, children=children, seed=2026)
        app = create_app(settings)
        timed = _Timed(app)
        with TestClient(timed, follow_redirects=False) as client:
            store: Store = app.state.store
            _add_accounts(store, accounts)
            store.call(accept_rules_of_behaviour, store.users, "user-admin", now=datetime.now(UTC))
            signin_times: list[float] = []
            for _ in range(5):
                client.cookies.clear()
                token = _csrf(client.get("/signin").text)
                answer = client.post(
                    "/signin",
                    data={
                        "username": "user-admin",
                        "password": credentials.users["user-admin"],
                        "csrf_token": token,
                    },
                )
                assert answer.status_code == 303, answer.text
                signin_times.append(timed.last)
            pages: dict[str, dict[str, float]] = {}
            for path in PAGES:
                samples = []
                for _ in range(repeat):
                    answer = client.get(path)
                    assert answer.status_code == 200, (path, answer.status_code)
                    samples.append(timed.last)
                pages[path] = _stats(samples)
        worst = max(page["p95_ms"] for page in pages.values())
        return {
            "bench": "web",
            "children": credentials.loaded.children,
            "accounts_listed": accounts + sum(1 for _ in credentials.users),
            "repeat": repeat,
            "pages": pages,
            "signin_post": _stats(signin_times),
            "target_ms": TARGET_MS,
            "worst_page_p95_ms": worst,
            "all_pages_under_target": worst < TARGET_MS,
        }


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=300)
    parser.add_argument("--accounts", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=50)
    options = parser.parse_args()
    result = run(options.children, options.accounts, options.repeat)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
