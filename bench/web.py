"""Benchmark: server time per web UI page on demo-like data.

Builds a demo data dir as `msix demo` does (synthetic children ingested through the real path,
the demo accounts) plus extra accounts in one state so the Accounts List has realistic length,
signs in as each demo role that opens pages (User Administrator, nurse, Data Administrator), and
requests each of their pages many times: accounts, search (the form and a demographic search with
a misspelled name and swapped birth date), a consolidated record with its print and historical
views, the worklist and one item, and the reports. The time is taken inside the ASGI app (from
request to the last byte of the answer), so the test client is not counted. Prints one JSON line:
median, p95 and max milliseconds per page, and the sign-in POST separately (argon2id dominates
it, by design).

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
from hub.security import (
    AuditWriter,
    Caller,
    Jurisdiction,
    Role,
    User,
    accept_rules_of_behaviour,
)
from hub.services import worklists
from hub.store import Document, Store

TARGET_MS = 100.0
PAGES = ("/signin", "/", "/accounts", "/accounts/registrar", "/accounts/new", "/account/password")
RECORD_PAGES = ("/search", "/children/{msix_id}", "/children/{msix_id}/print",
                "/children/{msix_id}/history", "/notices")  # fmt: skip
ADMIN_PAGES = ("/worklist", "/worklist/{item_id}", "/reports")
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


def _sign_in(client: TestClient, timed: _Timed, username: str, password: str) -> float:
    client.cookies.clear()
    token = _csrf(client.get("/signin").text)
    answer = client.post(
        "/signin", data={"username": username, "password": password, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text
    return timed.last


def _time(client: TestClient, timed: _Timed, path: str, repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        samples.append(timed.last)
    return _stats(samples)


def _rich_child(store: Store) -> Document:
    """The current record of a demo child with courses, assessments and moves (the heaviest)."""

    def find() -> Document:
        cursor = store.engine.db["state_records"].find(
            {"state": "TX", "record.courses.0": {"$exists": True}}
        )
        best: tuple[int, Document] | None = None
        for doc in cursor:
            size = sum(len(doc["record"].get(k, [])) for k in ("courses", "enrollments"))
            if best is None or size > best[0]:
                best = (size, doc)
        assert best is not None
        return best[1]

    return store.call(find)


def _worklist_item(store: Store, msix_id: str) -> str:
    """An open item for the item page: one the identity step opened, else a user merge."""

    def find_or_open() -> str:
        items = store.worklist.find({"status": "open"})
        if items:
            return str(items[0]["_id"])
        other = next(
            doc["_id"]
            for doc in store.engine.db["students"].find({"status": "active"})
            if doc["_id"] != msix_id
        )
        caller = Caller("user", "nurse", frozenset(), Jurisdiction(state="TX"),
                        frozenset({Role.PRIMARY_USER}))  # fmt: skip
        item = worklists.initiate_merge(
            store, caller, master=msix_id, others=[other], now=datetime.now(UTC),
            audit=AuditWriter("bench"),
        )  # fmt: skip
        return str(item["_id"])

    return store.call(find_or_open)


def run(children: int, accounts: int, repeat: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="msix-bench-web-") as folder:
        settings = Settings(demo=True, data_dir=Path(folder))
        credentials = prepare_demo(settings, children=children, seed=2026)
        app = create_app(settings)
        timed = _Timed(app)
        with TestClient(timed, follow_redirects=False) as client:
            store: Store = app.state.store
            _add_accounts(store, accounts)
            for username in ("user-admin", "nurse", "data-admin"):
                store.call(accept_rules_of_behaviour, store.users, username, now=datetime.now(UTC))
            signin_times = [
                _sign_in(client, timed, "user-admin", credentials.users["user-admin"])
                for _ in range(5)
            ]
            pages = {path: _time(client, timed, path, repeat) for path in PAGES}

            sample = _rich_child(store)
            msix_id = sample["msix_id"]
            identity = sample["record"]["identity"]
            _sign_in(client, timed, "nurse", credentials.users["nurse"])
            for path in RECORD_PAGES:
                pages[path] = _time(client, timed, path.format(msix_id=msix_id), repeat)
            pages["POST /search"] = _search_times(client, timed, identity, msix_id, repeat)

            item_id = _worklist_item(store, msix_id)
            _sign_in(client, timed, "data-admin", credentials.users["data-admin"])
            for path in ADMIN_PAGES:
                pages[path] = _time(client, timed, path.format(item_id=item_id), repeat)
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


def _search_times(
    client: TestClient, timed: _Timed, identity: Document, msix_id: str, repeat: int
) -> dict[str, float]:
    """A demographic search with a slip in the first name and day and month swapped."""
    born = str(identity["birth_date"])
    if int(born[8:]) <= 12:
        born = f"{born[:4]}-{born[8:]}-{born[5:7]}"
    first = str(identity["first_name"])
    fields = {
        "by": "demographics",
        "first_name": first[:-1] + ("a" if first[-1] != "a" else "e"),
        "last_name_1": identity["last_name_1"],
        "birth_date": born,
    }
    samples = []
    for _ in range(repeat):
        token = _csrf(client.get("/search").text)
        answer = client.post("/search", data={**fields, "csrf_token": token})
        assert answer.status_code == 200, answer.text
        assert f"/children/{msix_id}" in answer.text, "the search missed the child"
        samples.append(timed.last)
    return _stats(samples)


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
