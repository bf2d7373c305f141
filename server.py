"""ASGI entry point: `uvicorn server:app`. Settings come from `MSIX_*`; no logic here."""

from hub.app import app_from_environment

app = app_from_environment()
