"""FHIR R4 AuditEvent for every search, view, print, export, merge, split, validation, notice,
admin act, sign-in and token (DESIGN.md §6, DOMAIN.md §7).

An event says who (user or client, with role and jurisdiction), what (the children touched, as
`Patient/<msix id>` references), when, from where and with what outcome. It never carries a
payload: no names, birth dates or search terms, because a search query is itself PII (IHE BALP
puts the query in `entity.query`; the hub deliberately does not).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from hub.security._documents import as_utc
from hub.security.caller import Caller, CallerKind
from hub.security.roles import Jurisdiction
from hub.security.stores import AuditLog

AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
SECURITY_ROLE_TYPE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
SECURITY_SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
# Hub-defined code systems; to be published under profiles/ with the hub's canonical base.
HUB_SUBTYPE = "urn:msix-hub:CodeSystem:audit-subtype"
HUB_ROLE = "urn:msix-hub:CodeSystem:role"
HUB_USER = "urn:msix-hub:user"
HUB_CLIENT = "urn:msix-hub:client"
HUB_JURISDICTION_EXTENSION = "urn:msix-hub:StructureDefinition:agent-jurisdiction"


class AuditAction(StrEnum):
    """What was done, in the hub's words; each maps to AuditEvent codes in `_CODES`."""

    SEARCH = "search"
    VIEW = "view"
    PRINT = "print"
    EXPORT = "export"
    MERGE = "merge"
    SPLIT = "split"
    VALIDATE = "validate"
    MOVE_NOTICE = "move-notice"
    ADMIN = "admin"
    LOGIN = "login"
    LOGOUT = "logout"
    TOKEN = "token"  # noqa: S105 (an action name)
    INGEST = "ingest"  # a state file submitted (accepted, partly or rejected)
    RETRACT = "retract"  # a state record deleted by its state's file


class AuditOutcome(IntEnum):
    """AuditEvent.outcome (R4): 0 success, 4 minor failure (refused), 8 serious, 12 major."""

    SUCCESS = 0
    MINOR_FAILURE = 4
    SERIOUS_FAILURE = 8
    MAJOR_FAILURE = 12


def _coding(system: str, code: str, display: str) -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


_REST = _coding(AUDIT_EVENT_TYPE, "rest", "RESTful Operation")
_USER_AUTHENTICATION = _coding(DICOM, "110114", "User Authentication")
_PATIENT_RECORD = _coding(DICOM, "110110", "Patient Record")
_SECURITY_ATTRIBUTES = _coding(DICOM, "110137", "User Security Attributes Changed")
_LOGIN = _coding(DICOM, "110122", "Login")
_LOGOUT = _coding(DICOM, "110123", "Logout")
_IMPORT = _coding(DICOM, "110107", "Import")


def _rest(code: str) -> dict[str, str]:
    return _coding(RESTFUL_INTERACTION, code, code)


@dataclass(frozen=True, slots=True)
class _Codes:
    type: dict[str, str]
    standard_subtypes: tuple[dict[str, str], ...]
    action: str  # C create, R read, U update, D delete, E execute (search, login)


_CODES: Mapping[AuditAction, _Codes] = {
    AuditAction.SEARCH: _Codes(_REST, (_rest("search-type"),), "E"),
    AuditAction.VIEW: _Codes(_REST, (_rest("read"),), "R"),
    AuditAction.PRINT: _Codes(_REST, (_rest("read"),), "R"),
    AuditAction.EXPORT: _Codes(_REST, (), "E"),
    AuditAction.MERGE: _Codes(_PATIENT_RECORD, (), "U"),
    AuditAction.SPLIT: _Codes(_PATIENT_RECORD, (), "U"),
    AuditAction.VALIDATE: _Codes(_PATIENT_RECORD, (), "U"),
    AuditAction.MOVE_NOTICE: _Codes(_PATIENT_RECORD, (), "C"),
    AuditAction.ADMIN: _Codes(_SECURITY_ATTRIBUTES, (), "U"),
    AuditAction.LOGIN: _Codes(_USER_AUTHENTICATION, (_LOGIN,), "E"),
    AuditAction.LOGOUT: _Codes(_USER_AUTHENTICATION, (_LOGOUT,), "E"),
    AuditAction.TOKEN: _Codes(_USER_AUTHENTICATION, (_LOGIN,), "E"),
    AuditAction.INGEST: _Codes(_IMPORT, (), "C"),
    AuditAction.RETRACT: _Codes(_PATIENT_RECORD, (), "D"),
}


@dataclass(frozen=True, slots=True)
class AuditAgent:
    """Who acted. `id` is a username or client_id (an account name, not a person's details)."""

    kind: CallerKind
    id: str
    jurisdiction: Jurisdiction | None = None
    roles: tuple[str, ...] = ()
    address: str | None = None

    @classmethod
    def of(cls, caller: Caller, address: str | None = None) -> AuditAgent:
        roles = tuple(sorted(role.value for role in caller.roles))
        return cls(caller.kind, caller.id, caller.jurisdiction, roles, address)


def audit_event(
    *,
    action: AuditAction,
    agent: AuditAgent,
    recorded: datetime,
    observer: str,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    outcome_description: str | None = None,
    msix_ids: Iterable[str] = (),
) -> dict[str, Any]:
    """A FHIR R4 AuditEvent as JSON. `outcome_description` must be free of PII (a reason code
    such as `invalid_client: bad secret`, never an input value)."""
    codes = _CODES[action]
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(uuid.uuid4()),
        "type": codes.type,
        "subtype": [*codes.standard_subtypes, _coding(HUB_SUBTYPE, action.value, action.value)],
        "action": codes.action,
        "recorded": _instant(recorded),
        "outcome": str(outcome.value),
        "agent": [_agent(agent)],
        "source": {
            "observer": {"display": observer},
            "type": [_coding(SECURITY_SOURCE_TYPE, "4", "Application Server")],
        },
    }
    if outcome_description:
        event["outcomeDesc"] = outcome_description
    entities = [_patient_entity(msix_id) for msix_id in dict.fromkeys(msix_ids)]
    if entities:
        event["entity"] = entities
    return event


@dataclass(frozen=True, slots=True)
class AuditWriter:
    """Builds events for one hub (`observer`) and appends them to the audit log."""

    observer: str

    def record(
        self,
        log: AuditLog,
        *,
        action: AuditAction,
        agent: AuditAgent,
        now: datetime,
        outcome: AuditOutcome = AuditOutcome.SUCCESS,
        outcome_description: str | None = None,
        msix_ids: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Append one event (runs on the store thread) and return it."""
        ids = list(dict.fromkeys(msix_ids))
        event = audit_event(
            action=action,
            agent=agent,
            recorded=now,
            observer=self.observer,
            outcome=outcome,
            outcome_description=outcome_description,
            msix_ids=ids,
        )
        log.append(event, msix_ids=ids)
        return event


def _agent(agent: AuditAgent) -> dict[str, Any]:
    if agent.kind == "user":
        kind = _coding(SECURITY_ROLE_TYPE, "humanuser", "human user")
        system = HUB_USER
    else:
        kind = _coding(DICOM, "110150", "Application")
        system = HUB_CLIENT
    rendered: dict[str, Any] = {
        "type": {"coding": [kind]},
        "who": {"identifier": {"system": system, "value": agent.id}, "display": agent.id},
        "requestor": True,
    }
    if agent.roles:
        rendered["role"] = [{"coding": [_coding(HUB_ROLE, role, role)]} for role in agent.roles]
    if agent.jurisdiction is not None:
        rendered["extension"] = [
            {"url": HUB_JURISDICTION_EXTENSION, "valueString": str(agent.jurisdiction)}
        ]
    if agent.address:
        # type 2 = IP address (network-type)
        rendered["network"] = {"address": agent.address, "type": "2"}
    return rendered


def _patient_entity(msix_id: str) -> dict[str, Any]:
    return {
        "what": {"reference": f"Patient/{msix_id}"},
        "type": _coding(ENTITY_TYPE, "1", "Person"),
        "role": _coding(OBJECT_ROLE, "1", "Patient"),
    }


def _instant(moment: datetime) -> str:
    # FHIR instant, UTC with milliseconds: sortable as text, which the audit index relies on.
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")
