"""HTTP helpers of the FHIR door shared by its routers: answers, headers, links, audit context."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson
from fastapi import Request, Response

from hub.api.errors import FHIR_JSON
from hub.config import Settings
from hub.errors import HubError, IssueCode, NotFoundError, error
from hub.fhir import SEARCHABLE_TYPES, SearchRequest
from hub.security import AuditWriter, Caller
from hub.services.fhir_access import Access
from hub.store import StoredResource

SERVED_RESOURCES = SEARCHABLE_TYPES
ID_PATTERN = r"^[A-Za-z0-9\-\.]{1,64}$"
_ETAG = re.compile(r'^(?:W/)?"(?P<version>\d+)"$')
_FORM = "application/x-www-form-urlencoded"


def fhir_response(
    body: bytes | dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(content, status_code=status, media_type=FHIR_JSON, headers=headers)


def version_headers(stored: StoredResource) -> dict[str, str]:
    return {
        "ETag": f'W/"{stored.version_id}"',
        "Last-Modified": format_datetime(utc(stored.last_updated), usegmt=True),
    }


def stored_response(stored: StoredResource) -> Response:
    return fhir_response(orjson.dumps(stored.resource), headers=version_headers(stored))


def utc(moment: datetime) -> datetime:
    # The embedded engine hands back naive datetimes; the store writes them in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def served(resource_type: str) -> None:
    if resource_type not in SERVED_RESOURCES:
        names = ", ".join(SERVED_RESOURCES)
        raise NotFoundError(
            [error(IssueCode.NOT_SUPPORTED, f"{resource_type} is not served; only {names}", "type")]
        )


def base_url(request: Request) -> str:
    """The FHIR base of this server as the client reached it (`http://host/fhir`)."""
    return str(request.base_url).rstrip("/") + "/fhir"


def access(request: Request, caller: Caller) -> Access:
    settings: Settings = request.app.state.settings
    address = request.client.host if request.client is not None else None
    return Access(caller, AuditWriter(settings.token_issuer), datetime.now(UTC), address)


def lenient(request: Request) -> bool:
    """`Prefer: handling=lenient`: unknown search parameters are ignored, not refused."""
    prefer = request.headers.get("prefer", "")
    return any(part.strip() == "handling=lenient" for part in prefer.split(","))


def if_match(request: Request) -> int | None:
    """The version an `If-Match: W/"n"` header names, if sent."""
    header = request.headers.get("if-match")
    if header is None:
        return None
    match = _ETAG.match(header.strip())
    if match is None:
        raise HubError([error(IssueCode.INVALID, 'If-Match must be W/"<versionId>"', "If-Match")])
    return int(match["version"])


async def search_parameters(request: Request) -> list[tuple[str, str]]:
    """The parameters of a search: the query string, plus the form body of `POST _search`."""
    params = list(request.query_params.multi_items())
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        body = await request.body()
        if body and content_type != _FORM:
            raise HubError(
                [error(IssueCode.NOT_SUPPORTED, f"POST _search takes {_FORM}", "Content-Type")]
            )
        params += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    return params


def query_of(header: str) -> list[tuple[str, str]]:
    """The parameters of a conditional header (`If-None-Exist: identifier=system|value`)."""
    return parse_qsl(header.lstrip("?"), keep_blank_values=True)


def page_links(
    request: Request, search: SearchRequest, next_after: str | None
) -> list[tuple[str, str]]:
    """`self` (the parameters as understood) and, when there is more, `next`."""
    url = f"{base_url(request)}/{search.resource_type}"
    links = [("self", _with_query(url, search.params, search.after))]
    if next_after is not None:
        links.append(("next", _with_query(url, search.params, next_after)))
    return links


def _with_query(url: str, params: Sequence[tuple[str, str]], after: str | None) -> str:
    pairs = list(params)
    if after is not None:
        pairs.append(("_cursor", after.rsplit("/", 1)[-1]))
    return f"{url}?{urlencode(pairs)}" if pairs else url


def posted_resource(body: bytes) -> dict[str, Any]:
    try:
        posted = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad_body(f"the body is not JSON: {exc}") from None
    if isinstance(posted, dict) and posted.get("resourceType") == "Parameters":
        parts = [part for part in posted.get("parameter", []) if isinstance(part, dict)]
        posted = next((p.get("resource") for p in parts if p.get("name") == "resource"), None)
    if not isinstance(posted, dict):
        raise bad_body("the body must be a FHIR resource (a JSON object)")
    return posted


def bad_body(message: str) -> HubError:
    # A body that is not a resource is a malformed request (400), not an invalid resource (422).
    return HubError([error(IssueCode.STRUCTURE, message, "body")])
