"""Bundles of stored resources (searchset, history, collection) as plain JSON dicts.

Resources go in as stored (dicts read from the store); nothing is rebuilt through the models
(STANDARDS.md §1), so a page of 100 costs a dict per entry and one `orjson.dumps`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Resource = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Version:
    """One version of a resource as history shows it."""

    resource_type: str
    id: str
    version_id: int
    last_updated: datetime
    resource: Resource
    deleted: bool
    first: bool  # the version that created it


def searchset(
    base: str,
    matches: Iterable[Resource],
    included: Iterable[Resource] = (),
    *,
    links: Sequence[tuple[str, str]] = (),
    total: int | None = None,
) -> dict[str, Any]:
    """A searchset Bundle: matches first, then included resources (`search.mode` says which)."""
    entries = [_entry(base, resource, "match") for resource in matches]
    entries += [_entry(base, resource, "include") for resource in included]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "searchset",
    }
    if total is not None:
        bundle["total"] = total
    if links:
        bundle["link"] = [{"relation": relation, "url": url} for relation, url in links]
    if entries:
        bundle["entry"] = entries
    return bundle


def history(
    base: str, versions: Iterable[Version], *, links: Sequence[tuple[str, str]] = ()
) -> dict[str, Any]:
    """A history Bundle, newest first, with each version's request and response."""
    entries = []
    for version in versions:
        url = f"{version.resource_type}/{version.id}"
        entry: dict[str, Any] = {"fullUrl": f"{base}/{url}"}
        if version.deleted:
            entry["request"] = {"method": "DELETE", "url": url}
            entry["response"] = {"status": "204 No Content"}
        else:
            entry["resource"] = version.resource
            method = "POST" if version.first else "PUT"
            entry["request"] = {
                "method": method,
                "url": url if method == "PUT" else version.resource_type,
            }
            entry["response"] = {"status": "201 Created" if version.first else "200 OK"}
        entry["response"]["etag"] = f'W/"{version.version_id}"'
        entry["response"]["lastModified"] = _instant(version.last_updated)
        entries.append(entry)
    bundle: dict[str, Any] = {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "history"}
    if links:
        bundle["link"] = [{"relation": relation, "url": url} for relation, url in links]
    bundle["entry"] = entries
    return bundle


def _entry(base: str, resource: Resource, mode: str) -> dict[str, Any]:
    return {
        "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }


def _instant(moment: datetime) -> str:
    text = moment.isoformat()
    if moment.tzinfo is None:
        text += "Z"
    return text.replace("+00:00", "Z")
