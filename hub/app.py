"""`create_app(settings)`: the one ASGI application (API, UI, docs, health)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from hub import __version__, web
from hub.api import auth, fhir, fhir_export, ingest, messages, push
from hub.api.errors import install_error_handlers
from hub.config import Settings, ensure_secret, load_settings
from hub.services.delivery import RetryPolicy
from hub.services.housekeeping import run_housekeeping
from hub.store import Store


def create_app(settings: Settings) -> FastAPI:
    """Build the app for `settings`. The store opens at start-up and closes at shutdown."""
    settings = ensure_secret(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(settings)
        app.state.store = store
        pusher = push.PushWorker(
            store,
            interval=settings.push_interval_seconds,
            policy=RetryPolicy(max_attempts=settings.push_max_attempts),
        )
        if settings.push_interval_seconds > 0:
            pusher.start()
        stop_housekeeping = asyncio.Event()
        housekeeping = (
            asyncio.create_task(
                run_housekeeping(store, settings, stop_housekeeping), name="msix-housekeeping"
            )
            if settings.housekeeping_minutes > 0
            else None
        )
        try:
            yield
        finally:
            stop_housekeeping.set()
            if housekeeping is not None:
                await housekeeping
            await pusher.stop()
            await fhir_export.cancel_exports(app)
            store.close()

    app = FastAPI(
        title="MSIX Hub",
        version=__version__,
        summary="Migrant Student Information Exchange: consolidated records for migratory children",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.add_middleware(
        ingest.UploadSizeLimit,
        max_bytes=settings.max_request_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    install_error_handlers(app)
    app.include_router(auth.router)
    app.include_router(ingest.router)
    app.include_router(messages.router)
    app.include_router(fhir.router)
    app.include_router(web.router)
    app.mount(web.STATIC_PATH, web.static_files(), name="static")

    @app.get("/healthz", tags=["operations"])
    async def healthz(request: Request) -> JSONResponse:
        """Liveness and store reachability."""
        store: Store = request.app.state.store
        await store.run(store.ping)
        body: dict[str, Any] = {
            "status": "ok",
            "version": __version__,
            "store": "embedded" if store.engine.embedded else "mongodb",
        }
        return JSONResponse(body)

    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` and worker processes: settings from `MSIX_*`."""
    return create_app(load_settings())
