"""Data reports (DOMAIN.md §8) with charts drawn on the server as SVG and their numbers beside
them. Counts only: no child is named on this page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse

from hub.security import Permission, User
from hub.services.reports import ReportCache, build_reports
from hub.web._charts import bar_chart, legend
from hub.web._door import WebRoute, now_utc, render, store_of
from hub.web._viewer import require_permission

router = APIRouter(route_class=WebRoute, include_in_schema=False)

Reader = Annotated[User, Depends(require_permission(Permission.REPORTS))]


def _cache(request: Request) -> ReportCache:
    cache = getattr(request.app.state, "report_cache", None)
    if not isinstance(cache, ReportCache):
        cache = ReportCache()
        request.app.state.report_cache = cache
    return cache


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(request: Request, user: Reader) -> Response:
    """Children by state and month, new MSIX IDs, worklist aging, ingest quality, timeliness."""
    store = store_of(request)
    reports = await store.run(build_reports, store, now=now_utc(), cache=_cache(request))
    charts = [
        {"chart": chart, "svg": bar_chart(chart), "legend": legend(list(chart.series))}
        for chart in reports.charts
    ]
    return render(
        request,
        "reports.html",
        {"title": "Reports", "charts": charts, "generated_at": reports.generated_at},
    )
