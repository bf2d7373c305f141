from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import httpx2
from fastapi import FastAPI

from hub.security import Jurisdiction, clients
from hub.store import Store

REQUESTS = 50


def test_fifty_concurrent_requests_on_the_embedded_engine_all_succeed(
    app: FastAPI, live_server: str, run_async: Callable[[Coroutine[Any, Any, list[int]]], list[int]]
) -> None:
    store: Store = app.state.store
    _, secret = store.call(
        clients.create_client,
        store.clients,
        name="Load test client",
        scopes=["system/Patient.read"],
        jurisdiction=Jurisdiction.parse("TX"),
        client_id="load-client",
        now=datetime.now(UTC),
    )
    assert secret is not None
    audited_before = store.call(store.audit.count)

    async def fire() -> list[int]:
        async with httpx2.AsyncClient(base_url=live_server, timeout=60) as http:

            async def token() -> int:
                response = await http.post(
                    "/auth/token",
                    data={"grant_type": "client_credentials"},
                    auth=("load-client", secret),
                )
                return response.status_code

            async def health() -> int:
                return (await http.get("/healthz")).status_code

            calls = [token() if i % 2 else health() for i in range(REQUESTS)]
            return await asyncio.gather(*calls)

    statuses = run_async(fire())
    assert statuses == [200] * REQUESTS
    # Every token request wrote its AuditEvent through the single store thread: none lost.
    assert store.call(store.audit.count) == audited_before + REQUESTS // 2
