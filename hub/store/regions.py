"""The regions each state declares: which of its districts belong to which region.

DOMAIN.md §6 escalates a worklist item district -> region -> state, and states define their own
regions. One document per district (`_id` is `STATE#district id`), so routing reads one key. A
state's declaration is replaced as a whole: the districts it no longer names lose their region.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.store.engine import Document, Engine, locked


def _key(state: str, district: str) -> str:
    return f"{state}#{district}"


class RegionRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def _regions(self) -> Any:
        return self.engine.db["regions"]

    @locked
    def replace_state(self, state: str, regions: Mapping[str, str], *, now: datetime) -> int:
        """Make `regions` (district id -> region) the state's whole declaration; returns how
        many districts the previous declaration had."""
        with self.engine.batch():
            previous = int(self._regions.delete_many({"state": state}).deleted_count)
            docs: list[Document] = [
                {
                    "_id": _key(state, district),
                    "state": state,
                    "district": district,
                    "region": region,
                    "declared_at": now,
                }
                for district, region in sorted(regions.items())
            ]
            self.engine.insert_many("regions", docs)
        return previous

    def region_of(self, state: str, district: str) -> str | None:
        found = self.engine.find_by_ids("regions", [_key(state, district)])
        return str(found[0]["region"]) if found else None

    def of_state(self, state: str) -> dict[str, str]:
        """District id -> region, as the state last declared them."""
        return {
            doc["district"]: doc["region"]
            for doc in self._regions.find({"state": state}).sort("district", 1)
        }
