"""The UI's door: one route class that checks CSRF on every form, turns errors into HTML pages,
sets the session cookie and the security headers on every answer.

Routes raise facts (`SignInRequiredError`, hub errors); only this module picks status codes and
shapes, as `hub.api.errors` does for the API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from hub.config import Settings
from hub.errors import (
    AuthenticationError,
    ConflictError,
    HubError,
    Issue,
    IssueCode,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
    error,
)
from hub.security import User
from hub.store import Store
from hub.web._session import COOKIE_NAME, CSRF_FIELD, SessionKeys, WebSession, epoch

log = logging.getLogger("hub.web")

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
STATIC_DIR = Path(__file__).parent / "static"

# No page loads anything from outside the server, and no page runs script.
_SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Pages show accounts and, later, children's records: never kept by a shared browser cache.
    "Cache-Control": "no-store",
}

_STATUS_BY_ERROR: tuple[tuple[type[HubError], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (ValidationError, 422),
    (HubError, 400),
)
_TITLE_BY_STATUS: Mapping[int, str] = {
    400: "The request could not be used",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    409: "Not possible now",
    422: "Please check the form",
}


class SignInRequiredError(Exception):
    """No valid session: send the person to the sign-in page (`reason` explains why)."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "sign in")
        self.reason = reason


class StepRequiredError(Exception):
    """Signed in, but a step comes first (rules of behaviour, a new password)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class CsrfRefusedError(Exception):
    """A form arrived without this session's CSRF token."""


@dataclass
class WebContext:
    """What one request knows about its browser session; outgoing changes are applied by the
    route class on the way out."""

    keys: SessionKeys
    session: WebSession | None
    timed_out: bool = False
    outgoing: WebSession | None = None
    user: User | None = None


def settings_of(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def store_of(request: Request) -> Store:
    return cast(Store, request.app.state.store)


def now_utc() -> datetime:
    return datetime.now(UTC)


def web_context(request: Request) -> WebContext:
    """The request's session, read from the cookie once."""
    context = getattr(request.state, "web", None)
    if isinstance(context, WebContext):
        return context
    keys = getattr(request.app.state, "web_session_keys", None)
    if not isinstance(keys, SessionKeys):
        keys = SessionKeys(settings_of(request))
        request.app.state.web_session_keys = keys
    session = keys.decode(request.cookies.get(COOKIE_NAME))
    timed_out = False
    if session is not None and session.expired(epoch(now_utc())):
        timed_out = session.signed_in
        session = None
    context = WebContext(keys, session, timed_out)
    request.state.web = context
    return context


def start_session(request: Request, session: WebSession) -> None:
    """Replace the browser's session (sign-in, sign-out, password change): a new id and token."""
    context = web_context(request)
    context.session = session
    context.outgoing = session


def csrf_token(request: Request) -> str:
    """The token for the forms of this page; an anonymous session is started if there is none."""
    context = web_context(request)
    if context.session is None:
        start_session(request, context.keys.anonymous(epoch(now_utc())))
    assert context.session is not None
    return context.keys.csrf_token(context.session)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """A page: the template plus what the layout needs (the person, the nav, the CSRF token)."""
    from hub.web._nav import nav_for

    user = web_context(request).user
    values: dict[str, Any] = {
        "user": user,
        "nav": nav_for(user) if user is not None else [],
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "path": request.url.path,
    }
    values.update(context or {})
    return TEMPLATES.TemplateResponse(request, template, values, status_code=status_code)


def redirect(location: str) -> RedirectResponse:
    """After a form: 303 See Other, so a reload does not post again."""
    return RedirectResponse(location, status_code=303)


def error_page(
    request: Request, status: int, issues: Sequence[Issue], title: str | None = None
) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"title": title or _TITLE_BY_STATUS.get(status, "Something went wrong"), "issues": issues},
        status_code=status,
    )


def status_for(exc: HubError) -> int:
    for cls, status in _STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status
    return 400


class WebRoute(APIRoute):
    """Every UI route: CSRF check for unsafe methods, HTML errors, cookie and headers out."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                if request.method not in ("GET", "HEAD", "OPTIONS"):
                    await _require_csrf(request)
                response = await handle(request)
            except SignInRequiredError as exc:
                response = redirect(_signin_location(request, exc.reason))
            except StepRequiredError as exc:
                response = redirect(exc.location)
            except CsrfRefusedError:
                response = error_page(
                    request,
                    403,
                    [
                        error(
                            IssueCode.SECURITY,
                            "This form was refused: it did not carry the security token of your "
                            "session. It may have come from another site, or your session ended. "
                            "Open the page again from the hub and send the form from there.",
                        )
                    ],
                    title="Form refused",
                )
            except HubError as exc:
                status = status_for(exc)
                if status >= 500:
                    log.error("error on %s %s: %s", request.method, request.url.path, exc)
                response = error_page(request, status, exc.issues)
            except RequestValidationError:
                response = error_page(
                    request, 400, [error(IssueCode.INVALID, "the request was malformed")]
                )
            _finish(request, response)
            return response

        return handler


async def _require_csrf(request: Request) -> None:
    context = web_context(request)
    form = await request.form()
    token = form.get(CSRF_FIELD)
    if not context.keys.csrf_valid(context.session, token if isinstance(token, str) else None):
        raise CsrfRefusedError


def _signin_location(request: Request, reason: str | None) -> str:
    location = "/signin"
    params: list[str] = []
    if request.method == "GET" and request.url.path not in ("/", "/signin"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        params.append(f"next={quote(target, safe='/')}")
    if reason:
        params.append(f"reason={reason}")
    return location + ("?" + "&".join(params) if params else "")


def _finish(request: Request, response: Response) -> None:
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    context = web_context(request)
    outgoing = context.outgoing
    if outgoing is None:
        return
    response.set_cookie(
        COOKIE_NAME,
        context.keys.encode(outgoing),
        path="/",
        httponly=True,
        samesite="lax",
        # Behind a TLS-terminating proxy, run uvicorn with --proxy-headers so the scheme is https.
        secure=request.url.scheme == "https",
    )
