"""Worklists for data administrators (DOMAIN.md §6): near matches, merges and splits.

Four kinds of item:
- `near_match`: opened by the identity step when a state record scores in the review zone;
  a DA decides same child (which opens a merge validation) or different children (which
  records do-not-link pairs);
- `validate_near_match_merge`: that merge, approved or rejected by a *different* DA;
- `validate_user_merge`, `validate_user_split`: a merge or split a user initiated, approved or
  rejected by a different DA.

Rules kept here:
- *Routing*: an item goes to the district of the child's most recent closed enrollment (else its
  state), and escalates district -> region -> state after `worklist_escalation_days` at each
  level. A validation item that outlives the state level's window is approved automatically.
- *Locks*: a pending item claims its children; no other item may flag them.
- *Two-person rule*: the validator differs from the initiator; nothing merges or splits before.
- *Merge*: the master's MSIX ID survives; the others become aliases that still resolve; every
  linked state record and health resource follows. *Split*: each group of state records picked
  leaves with a new MSIX ID, and each pair across the cut is recorded as do-not-link.
- Every decision is audited and kept in the item's history; a merge is undone by a split.

All functions run on the store thread (`store.call` / `store.run`) and take the clock as `now`,
so escalation is tested with a controllable clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from hub.config import Settings
from hub.errors import ConflictError, IssueCode, PermissionDeniedError, ValidationError, error
from hub.security import (
    AuditAction,
    AuditAgent,
    AuditWriter,
    Caller,
    Jurisdiction,
    Level,
    Permission,
)
from hub.services.merge_split import merge, split
from hub.services.worklist_mail import queue_arrival
from hub.store import Document, Store, link_key, pair_key

AUTO_APPROVER = "system:escalation"


class Kind(StrEnum):
    NEAR_MATCH = "near_match"
    VALIDATE_NEAR_MATCH_MERGE = "validate_near_match_merge"
    VALIDATE_USER_MERGE = "validate_user_merge"
    VALIDATE_USER_SPLIT = "validate_user_split"


VALIDATIONS = frozenset(
    {Kind.VALIDATE_NEAR_MATCH_MERGE, Kind.VALIDATE_USER_MERGE, Kind.VALIDATE_USER_SPLIT}
)
# Escalation order: each level's successor; the state level is the last.
_NEXT_LEVEL = {Level.DISTRICT: Level.REGION, Level.REGION: Level.STATE}


@dataclass(frozen=True)
class Route:
    """Where an item is worked: a state, and the region and district when they are known."""

    state: str
    region: str | None = None
    district: str | None = None

    def as_doc(self) -> dict[str, str | None]:
        return {"state": self.state, "region": self.region, "district": self.district}

    def first_level(self) -> Level:
        if self.district is not None:
            return Level.DISTRICT
        if self.region is not None:
            return Level.REGION
        return Level.STATE


# -- opening items --------------------------------------------------------------------------


def route_for(
    store: Store,
    msix_ids: Iterable[str],
    fallback_state: str,
    incoming: Sequence[Mapping[str, Any]] = (),
) -> Route:
    """The district of the most recent closed enrollment among the children's state records
    (and `incoming`, the enrollments of a record not stored yet, of `fallback_state`), with the
    region its state declared it in (`msix regions load`), if any."""
    enrollments = [(fallback_state, enrollment) for enrollment in incoming]
    for msix_id in msix_ids:
        for stored in store.state_records.for_child(msix_id):
            enrollments.extend(
                (stored.state, enrollment) for enrollment in stored.record.get("enrollments", [])
            )
    latest: tuple[date, str, str | None] | None = None
    for state, enrollment in enrollments:
        withdrawn = enrollment.get("withdrawal_date")
        if not withdrawn:
            continue
        closed = date.fromisoformat(str(withdrawn)[:10])
        if latest is None or closed > latest[0]:
            latest = (closed, state, enrollment.get("district_id"))
    if latest is None:
        return Route(fallback_state)
    _, state, district = latest
    region = store.regions.region_of(state, district) if district else None
    return Route(state, region=region, district=district)


def open_near_match(
    store: Store,
    *,
    state: str,
    state_student_id: str,
    msix_id: str,
    candidates: Sequence[Mapping[str, Any]],
    now: datetime,
    enrollments: Sequence[Mapping[str, Any]] = (),
) -> Document:
    """A near-match item between the child a state record was given (`msix_id`) and the
    candidates it resembled (each a dict with at least `msix_id`, plus score and explanation).

    Idempotent: the same record and candidates open one item, however often the step re-runs.
    `enrollments` are the incoming record's, when it is not stored yet (they count for routing).
    """
    others = [str(candidate["msix_id"]) for candidate in candidates]
    item_id = _item_id(Kind.NEAR_MATCH, link_key(state, state_student_id), *sorted(others))
    route = route_for(store, [msix_id, *others], state, enrollments)
    return _announced(
        store,
        now,
        _new_item(
            item_id,
            Kind.NEAR_MATCH,
            route,
            now,
            msix_ids=[msix_id, *others],
            record={"state": state, "state_student_id": state_student_id, "msix_id": msix_id},
            candidates=[dict(candidate) for candidate in candidates],
            initiator=None,
        ),
    )


def initiate_merge(
    store: Store,
    caller: Caller,
    *,
    master: str,
    others: Sequence[str],
    now: datetime,
    audit: AuditWriter,
    note: str | None = None,
) -> Document:
    """A user asks to merge children into `master`; a different DA must validate it."""
    _require(caller, Permission.INITIATE_MERGE_SPLIT, "initiate a merge")
    children = [master, *others]
    if not others or len(set(children)) != len(children):
        raise ValidationError(
            "a merge needs a master and at least one other, distinct child", "msix_ids"
        )
    for msix_id in children:
        store.students.resolve(msix_id)  # NotFoundError for an unknown one
    _refuse_kept_apart(store, children)
    item = _open_validation(
        store,
        Kind.VALIDATE_USER_MERGE,
        caller,
        now,
        msix_ids=children,
        master=master,
        note=note,
    )
    _audit(store, audit, AuditAction.MERGE, caller, now, children)
    return item


def initiate_split(
    store: Store,
    caller: Caller,
    *,
    msix_id: str,
    groups: Sequence[Sequence[str]],
    now: datetime,
    audit: AuditWriter,
    note: str | None = None,
) -> Document:
    """A user asks to split groups of state records (`STATE:sid` keys) off a child; each group
    becomes a new child once a different DA validates it."""
    _require(caller, Permission.INITIATE_MERGE_SPLIT, "initiate a split")
    child = store.students.resolve(msix_id)
    linked = set(child.get("link_keys", []))
    picked = [key for group in groups for key in group]
    if not groups or any(not group for group in groups) or len(set(picked)) != len(picked):
        raise ValidationError("each split group needs state records, each picked once", "groups")
    unknown = [key for key in picked if key not in linked]
    if unknown:
        raise ValidationError(f"not linked to {child['_id']}: {', '.join(unknown)}", "groups")
    if len(picked) >= len(linked):
        raise ValidationError("a split must leave the master at least one state record", "groups")
    item = _open_validation(
        store,
        Kind.VALIDATE_USER_SPLIT,
        caller,
        now,
        msix_ids=[child["_id"]],
        master=child["_id"],
        groups=[list(group) for group in groups],
        note=note,
    )
    _audit(store, audit, AuditAction.SPLIT, caller, now, [child["_id"]])
    return item


# -- deciding -------------------------------------------------------------------------------


def decide_near_match(
    store: Store,
    caller: Caller,
    item_id: str,
    *,
    same_child: bool,
    now: datetime,
    audit: AuditWriter,
    master: str | None = None,
) -> Document:
    """Same child: a merge validation is opened for another DA. Different: do-not-link pairs."""
    item = store.worklist.get(item_id)
    _check_open(item, Kind.NEAR_MATCH)
    _require_in_scope(caller, item, Permission.WORKLIST)
    children: list[str] = item["msix_ids"]
    if same_child:
        chosen = master or children[-1]  # default: the earlier child's ID survives
        if chosen not in children:
            raise ValidationError(f"the master must be one of {', '.join(children)}", "master")
        _refuse_kept_apart(store, children)
        validation = _open_validation(
            store,
            Kind.VALIDATE_NEAR_MATCH_MERGE,
            caller,
            now,
            msix_ids=children,
            master=chosen,
            near_match=item_id,
            route=Route(**item["route"]),
        )
        outcome, extra = "same-child", {"validation": validation["_id"]}
    else:
        record_key = link_key(item["record"]["state"], item["record"]["state_student_id"])
        for other in children[1:]:
            for key in store.students.resolve(other).get("link_keys", []):
                store.worklist.keep_apart(
                    record_key, key, reason="near match decided different", item_id=item_id, now=now
                )
        outcome, extra = "different-children", {}
    closed = _close(store, item, caller.id, outcome, now, extra)
    _audit(store, audit, AuditAction.VALIDATE, caller, now, children)
    return closed


def validate(
    store: Store,
    caller: Caller,
    item_id: str,
    *,
    approve: bool,
    now: datetime,
    audit: AuditWriter,
) -> Document:
    """A second DA approves (the merge or split happens) or rejects a pending validation."""
    item = store.worklist.get(item_id)
    _check_open(item, *VALIDATIONS)
    _require_in_scope(caller, item, Permission.VALIDATE_MERGE_SPLIT)
    if caller.id == item["initiator"]:
        raise PermissionDeniedError(
            [
                error(
                    IssueCode.FORBIDDEN,
                    "two-person rule: the initiator of a merge or split cannot validate it",
                    "validator",
                )
            ]
        )
    closed = _finish_validation(store, item, caller.id, approve, now)
    _audit(store, audit, AuditAction.VALIDATE, caller, now, item["msix_ids"])
    return closed


def escalate(store: Store, settings: Settings, *, now: datetime) -> list[Document]:
    """Move items that waited out their level up one level; approve validations that waited
    out the state level. Returns the items changed. Every app process runs it periodically
    (`hub.services.housekeeping`); `msix worklist escalate` runs it once."""
    window = timedelta(days=settings.worklist_escalation_days)
    changed: list[Document] = []
    for item in store.worklist.open_items():
        waited_since: datetime = _aware(item["level_since"])
        if now - waited_since < window:
            continue
        level = Level(item["level"])
        successor = _NEXT_LEVEL.get(level)
        if successor is Level.REGION and item["route"].get("region") is None:
            successor = Level.STATE  # a state without regions escalates straight to the state
        try:
            if successor is not None:
                escalated = store.worklist.update(
                    item["_id"],
                    item["revision"],
                    {
                        "level": successor.value,
                        "level_since": now,
                        "assigned_to": [],
                        "_push": _event(now, AUTO_APPROVER, f"escalated to {successor.value}"),
                    },
                )
                queue_arrival(store, escalated, now=now)
                changed.append(escalated)
            elif item["kind"] in VALIDATIONS:
                changed.append(_finish_validation(store, item, AUTO_APPROVER, True, now))
        except ConflictError:
            continue  # decided or escalated meanwhile (another process runs escalation too)
    return changed


def reassign(
    store: Store, caller: Caller, item_id: str, *, to: Sequence[str], level: Level, now: datetime
) -> Document:
    """Give an item to named DAs at one level: the same level or a lower one, never up."""
    item = store.worklist.get(item_id)
    _require_in_scope(caller, item, Permission.WORKLIST)
    order = [Level.STATE, Level.REGION, Level.DISTRICT]
    if order.index(level) < order.index(Level(item["level"])):
        raise ValidationError("an item is reassigned down or sideways, never up", "level")
    if level is Level.DISTRICT and item["route"].get("district") is None:
        raise ValidationError("this item has no district to reassign to", "level")
    reassigned = store.worklist.update(
        item_id,
        item["revision"],
        {
            "level": level.value,
            "assigned_to": list(to),
            "_push": _event(now, caller.id, f"reassigned to {', '.join(to)} at {level.value}"),
        },
    )
    queue_arrival(store, reassigned, now=now)
    return reassigned


def items_for(store: Store, caller: Caller, *, status: str = "open") -> list[Document]:
    """The items a data administrator works: those routed to their jurisdiction at its level."""
    if not caller.may(Permission.WORKLIST):
        return []
    where = caller.jurisdiction
    if where.level is Level.NATION:
        return []
    query: Document = {"route.state": where.state, "status": status, "level": where.level.value}
    if where.level is Level.REGION:
        query["route.region"] = where.region
    if where.level is Level.DISTRICT:
        query["route.district"] = where.district
    items = store.worklist.find(query)
    return [
        item for item in items if not item.get("assigned_to") or caller.id in item["assigned_to"]
    ]


# -- internals ------------------------------------------------------------------------------


def _open_validation(
    store: Store,
    kind: Kind,
    caller: Caller,
    now: datetime,
    *,
    msix_ids: list[str],
    master: str,
    route: Route | None = None,
    **fields: Any,
) -> Document:
    item_id = _item_id(kind, caller.id, master, *sorted(msix_ids), now.isoformat())
    held = store.worklist.lock(msix_ids, item_id)
    if held:
        raise ConflictError(
            f"{', '.join(held)} already wait on another merge or split; decide that first",
            "msix_ids",
        )
    route = route or route_for(store, msix_ids, caller.jurisdiction.state or "")
    return _announced(
        store,
        now,
        _new_item(
            item_id,
            kind,
            route,
            now,
            msix_ids=msix_ids,
            master=master,
            initiator=caller.id,
            **fields,
        ),
    )


def _announced(store: Store, now: datetime, item: Document) -> Document:
    """Create `item` (or find it, when the step that opens it runs again) and queue its arrival
    notice to the administrators of its first level."""
    created = store.worklist.create(item)
    queue_arrival(store, created, now=now)
    return created


def _finish_validation(
    store: Store, item: Document, validator: str, approve: bool, now: datetime
) -> Document:
    extra: Document = {}
    if approve:
        if item["kind"] == Kind.VALIDATE_USER_SPLIT:
            extra["new_msix_ids"] = split(store, item["master"], item["groups"], now=now)
        else:
            others = [msix_id for msix_id in item["msix_ids"] if msix_id != item["master"]]
            merge(store, item["master"], others, now=now)
    store.worklist.unlock(item["_id"])
    outcome = "approved" if approve else "rejected"
    if approve and validator == AUTO_APPROVER:
        outcome = "auto-approved"
    return _close(store, item, validator, outcome, now, extra)


def _close(
    store: Store, item: Document, by: str, outcome: str, now: datetime, extra: Document
) -> Document:
    return store.worklist.update(
        item["_id"],
        item["revision"],
        {
            "status": "closed",
            "outcome": outcome,
            "decided_by": by,
            "decided_at": now,
            **extra,
            "_push": _event(now, by, outcome),
        },
    )


def _new_item(item_id: str, kind: Kind, route: Route, now: datetime, **fields: Any) -> Document:
    return {
        "_id": item_id,
        "kind": kind.value,
        "status": "open",
        "route": route.as_doc(),
        "level": route.first_level().value,
        "level_since": now,
        "assigned_to": [],
        "created_at": now,
        "history": [_event(now, fields.get("initiator") or "system:identity", "opened")],
        **fields,
    }


def _event(now: datetime, by: str, what: str) -> Document:
    return {"at": now, "by": by, "what": what}


def _item_id(kind: Kind, *parts: str) -> str:
    digest = hashlib.sha256("|".join([kind.value, *parts]).encode()).hexdigest()[:24]
    return f"wl-{digest}"


def _check_open(item: Document, *kinds: Kind) -> None:
    if item["kind"] not in kinds:
        raise ValidationError(f"item {item['_id']} is a {item['kind']} item", "item")
    if item["status"] != "open":
        raise ConflictError(f"item {item['_id']} was already decided ({item['outcome']})", "item")


def _require(caller: Caller, permission: Permission, what: str) -> None:
    if not caller.may(permission):
        raise PermissionDeniedError(
            [error(IssueCode.FORBIDDEN, f"your role does not allow you to {what}", "role")]
        )


def _require_in_scope(caller: Caller, item: Document, permission: Permission) -> None:
    """The caller may act on the item: the permission, and a jurisdiction covering its route.
    A wider jurisdiction covers a narrower one, so a state DA may act on any of its state's
    items, at any level."""
    _require(caller, permission, "work this worklist")
    level = Level(item["level"])
    route = Jurisdiction(
        state=item["route"]["state"],
        region=item["route"].get("region") if level is not Level.STATE else None,
        district=item["route"].get("district") if level is Level.DISTRICT else None,
    )
    if not caller.jurisdiction.covers(route):
        raise PermissionDeniedError(
            [
                error(
                    IssueCode.FORBIDDEN,
                    f"item {item['_id']} is worked in {route}, outside {caller.jurisdiction}",
                    "jurisdiction",
                )
            ]
        )


def _refuse_kept_apart(store: Store, children: Sequence[str]) -> None:
    keys_of = {
        msix_id: store.students.resolve(msix_id).get("link_keys", []) for msix_id in children
    }
    all_keys = [key for keys in keys_of.values() for key in keys]
    apart = store.worklist.kept_apart(all_keys)
    for index, first in enumerate(children):
        for second in children[index + 1 :]:
            for one in keys_of[first]:
                for other in keys_of[second]:
                    if pair_key(one, other) in apart:
                        raise ConflictError(
                            f"{one} and {other} were decided to be different children; "
                            "a merge needs that decision undone first",
                            "msix_ids",
                        )


def _audit(
    store: Store,
    audit: AuditWriter,
    action: AuditAction,
    caller: Caller,
    now: datetime,
    msix_ids: Iterable[str],
) -> None:
    audit.record(
        store.audit, action=action, agent=AuditAgent.of(caller), now=now, msix_ids=msix_ids
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
