"""Synthetic children for the web tests, ingested through the real ingest service.

Records come from `hub.synth` (synthetic people only) with their identity replaced by names the
tests search for. `near_match` makes sure a near-match worklist item exists between two children:
the one the identity step opened if it did, else one opened through the worklist service with the
engine's own explanation (as the identity step would).
"""

from __future__ import annotations

import copy
import functools
from datetime import UTC, date, datetime
from typing import Any

from hub.identity import ChildCandidate, LinkedRecord, build_profile, decide, load_model
from hub.security import Jurisdiction, Role, users
from hub.services import worklists
from hub.services.consolidation import find_child_by_state_id
from hub.store import Document, Store
from hub.synth import iter_children
from tests.unit.services.ingest_helpers import ingest_bytes, jsonl

PASSWORD = "quiet-harbor-lantern-42"

# The child the search tests look for: two surnames, accents, a nickname-able given name.
GUADALUPE: dict[str, Any] = {
    "first_name": "Guadalupe",
    "middle_name": "Itzel",
    "last_name_1": "Hernández",
    "last_name_2": "Ruiz",
    "sex": "Female",
    "multiple_birth": False,
    "birth_city": "Weslaco",
    "birth_state": "TX",
    "birth_country": "USA",
    "parents": [{"first_name": "Rosa", "last_name": "Ruiz Salinas"}],
}
# Two records the engine finds alike but does not link on its own: a near match. Birth dates
# come from the synthetic record each identity is put on, so every other date stays plausible.
MATEO_TX: dict[str, Any] = {
    "first_name": "Mateo",
    "last_name_1": "Villanueva",
    "last_name_2": "Campos",
    "sex": "Male",
    "birth_city": "Pharr",
    "birth_state": "TX",
    "parents": [{"first_name": "Ramiro", "last_name": "Villanueva"}],
}
MATEO_WA: dict[str, Any] = {
    "first_name": "Mateo",
    "middle_name": "Andres",
    "last_name_1": "Villanueba",
    "last_name_2": "Campos",
    "sex": "Male",
    "birth_city": "Yakima",
    "birth_state": "WA",
    "parents": [{"first_name": "Ramiro", "last_name": "Villanueba"}],
}


@functools.cache
def _templates() -> dict[str, list[dict[str, Any]]]:
    """Synthetic TX and WA records with moves, enrollments, courses and immunizations."""
    found: dict[str, list[dict[str, Any]]] = {"TX": [], "WA": []}
    for child in iter_children(11, 400, states=["TX", "WA"]):
        for emitted in child.records:
            data = emitted.record.model_dump(mode="json", exclude_none=True)
            state = data["student_id"]["state"]
            rich = data.get("courses") and data.get("immunizations") and data.get("moves")
            born = date.fromisoformat(data["identity"].get("birth_date", "2000-01-01"))
            # Day and month both 12 or less and different: a swapped date is another date.
            swappable = born.day <= 12 and born.day != born.month
            if state in found and rich and swappable and len(found[state]) < 4:
                data["immunizations"] = data["immunizations"][:2]
                found[state].append(data)
        if all(len(records) >= 4 for records in found.values()):
            return found
    raise AssertionError("the synthetic population lacks rich TX and WA records")


def record(state: str, sid: str, identity: dict[str, Any], *, template: int = 0) -> dict[str, Any]:
    data = copy.deepcopy(_templates()[state][template])
    data["student_id"] = {"state": state, "value": sid, "id_type": "01"}
    data["identity"] = {"birth_date": data["identity"]["birth_date"], **copy.deepcopy(identity)}
    data.pop("msix_id", None)
    return data


def birth_date(state: str, template: int = 0) -> str:
    """The birth date `record` gives a child put on this template."""
    born: str = _templates()[state][template]["identity"]["birth_date"]
    return born


def ingest(store: Store, state: str, records: list[dict[str, Any]], name: str) -> None:
    result = ingest_bytes(store, jsonl(records), name=name, state=state)
    assert result.acknowledgement.counts.rejected == 0, result.acknowledgement.to_json()


def child_of(store: Store, state: str, sid: str) -> str:
    msix_id = store.call(find_child_by_state_id, store, state, sid)
    assert msix_id is not None
    return msix_id


def load_guadalupe(store: Store) -> str:
    """Guadalupe's TX record plus two other TX children; returns her MSIX ID."""
    others = [
        record("TX", "TX-OTHER-1", {**GUADALUPE, "first_name": "Brenda"}, template=1),
        record("TX", "TX-OTHER-2", {**GUADALUPE, "last_name_1": "Zamora"}, template=2),
    ]
    ingest(store, "TX", [record("TX", "TX-GUADALUPE", GUADALUPE), *others], "tx-web.jsonl")
    return child_of(store, "TX", "TX-GUADALUPE")


def near_match(store: Store) -> Document:
    """Mateo's WA and then TX record as two children with an open near-match item between them,
    routed to Texas (the incoming record's state)."""
    # The TX template relabelled: same birth date, so only the names tell the records apart.
    washington_record = record("TX", "WA-MATEO", MATEO_WA, template=3)
    washington_record["student_id"]["state"] = "WA"
    ingest(store, "WA", [washington_record], "wa-mateo.jsonl")
    ingest(store, "TX", [record("TX", "TX-MATEO", MATEO_TX, template=3)], "tx-mateo.jsonl")
    texas, washington = child_of(store, "TX", "TX-MATEO"), child_of(store, "WA", "WA-MATEO")
    assert texas != washington, "the engine linked the pair outright; pick a weaker pair"

    def find_or_open() -> Document:
        for item in store.worklist.find({"kind": "near_match", "status": "open"}):
            if set(item["msix_ids"]) == {texas, washington}:
                return item
        model = load_model()
        born = {"birth_date": birth_date("TX", 3)}
        profile = build_profile({**MATEO_TX, **born}, state="TX", state_student_id="TX-MATEO")
        linked = LinkedRecord(
            "WA",
            "WA-MATEO",
            build_profile({**MATEO_WA, **born}, state="WA", state_student_id="WA-MATEO"),
        )
        explanation = decide(profile, [ChildCandidate(washington, (linked,))], model).to_json()
        return worklists.open_near_match(
            store,
            state="TX",
            state_student_id="TX-MATEO",
            msix_id=texas,
            candidates=explanation["candidates"],
            now=datetime.now(UTC),
        )

    return store.call(find_or_open)


def account(store: Store, username: str, role: Role, jurisdiction: str = "TX") -> None:
    now = datetime.now(UTC)
    store.call(
        users.create_user,
        store.users,
        username=username,
        full_name=f"Test {username}",
        email=f"{username}@example.org",
        roles=[role],
        jurisdiction=Jurisdiction.parse(jurisdiction),
        password=PASSWORD,
        now=now,
        must_change_password=False,
    )
    store.call(users.accept_rules_of_behaviour, store.users, username, now=now)
