"""The server-rendered UI for school staff and administrators (Jinja2, no script needed).

`router` carries every page; `static_files()` serves the stylesheet. Pages live in modules named
after what they manage (`signin`, `accounts`, `search`, `children`, `notices`, `worklist`,
`reports`); the door (`_door`) checks CSRF, renders errors as pages and sets the session cookie
and security headers for all of them.
"""

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from hub.web import accounts, children, notices, reports, search, signin, worklist
from hub.web._door import STATIC_DIR

STATIC_PATH = "/static"

router = APIRouter()
router.include_router(signin.router)
router.include_router(accounts.router)
router.include_router(search.router)
router.include_router(children.router)
router.include_router(notices.router)
router.include_router(worklist.router)
router.include_router(reports.router)


def static_files() -> StaticFiles:
    """The UI's own CSS (nothing is fetched from outside the server)."""
    return StaticFiles(directory=STATIC_DIR)


__all__ = ["STATIC_PATH", "router", "static_files"]
