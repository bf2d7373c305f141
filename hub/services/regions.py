"""States declare their regions: a CSV of `district_id,region`, one row per district.

DOMAIN.md §6: a worklist item goes to the district of the child's most recent closed enrollment,
then to its region, then to the state, as time passes; "states define regions". A declaration
replaces the state's previous one as a whole. A file with any mistake is refused whole, every
mistake located by line and column, and nothing changes.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from hub.errors import Issue, IssueCode, ValidationError, error
from hub.security import AuditAction, AuditAgent, audit_event, is_unit_id
from hub.store import Store

HEADER = ("district_id", "region")
MAX_DISTRICTS = 20_000
_DISTRICT = re.compile(r"^[0-9A-Za-z]{1,7}$")  # MDE District ID: the state's LEA id, <= 7


def parse_regions(text: str) -> dict[str, str]:
    """District id -> region from a declaration's CSV text; `ValidationError` lists every
    mistake (line, column, rule)."""
    issues: list[Issue] = []
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(cell.strip().lower() for cell in rows[0]) != HEADER:
        raise ValidationError(
            [error(IssueCode.STRUCTURE, "the first line must be: district_id,region", "line 1")]
        )
    if len(rows) - 1 > MAX_DISTRICTS:
        raise ValidationError(
            [error(IssueCode.TOO_LONG, f"more than {MAX_DISTRICTS} districts", "file")]
        )
    regions: dict[str, str] = {}
    first_seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(HEADER):
            where = f"line {line}"
            issues.append(error(IssueCode.STRUCTURE, f"{len(row)} columns, not 2", where))
            continue
        district, region = row[0].strip(), row[1].strip()
        if not _DISTRICT.match(district):
            issues.append(
                error(
                    IssueCode.VALUE,
                    "district_id must be the state's district (LEA) id: 1 to 7 letters or digits",
                    f"line {line}, district_id",
                    "regions.district",
                )
            )
        elif district in first_seen and regions[district] != region:
            issues.append(
                error(
                    IssueCode.DUPLICATE,
                    f"district {district} is already in region {regions[district]!r} "
                    f"(line {first_seen[district]})",
                    f"line {line}, district_id",
                    "regions.one-region",
                )
            )
        if not is_unit_id(region):
            issues.append(
                error(
                    IssueCode.VALUE,
                    "region must be a name of up to 40 letters, digits, spaces, '.', '_' or '-', "
                    "starting with a letter or digit (it is written in jurisdictions: TX/<region>)",
                    f"line {line}, region",
                    "regions.name",
                )
            )
        first_seen.setdefault(district, line)
        regions.setdefault(district, region)
    if issues:
        raise ValidationError(issues)
    return regions


def declare_regions(
    store: Store, state: str, text: str, *, agent: AuditAgent, now: datetime
) -> tuple[int, int]:
    """Replace `state`'s regions with the file's (on the store thread); audited.
    Returns (districts declared, districts the previous declaration had)."""
    regions = parse_regions(text)
    previous = store.regions.replace_state(state, regions, now=now)
    store.audit.append(
        audit_event(
            action=AuditAction.ADMIN,
            agent=agent,
            recorded=now,
            observer="msix-hub",
            outcome_description=(
                f"regions of {state} declared: {len(regions)} districts in "
                f"{len(set(regions.values()))} regions (previously {previous} districts)"
            ),
        ),
        msix_ids=[],
    )
    return len(regions), previous
