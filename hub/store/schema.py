"""Collections and their indexes (DESIGN.md §4), created idempotently at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from hub.store.engine import Db


@dataclass(frozen=True)
class Index:
    keys: tuple[tuple[str, int], ...]
    unique: bool = False
    name: str | None = None

    @property
    def index_name(self) -> str:
        return self.name or "_".join(f"{field}_{direction}" for field, direction in self.keys)


ASC = 1
DESC = -1

COLLECTIONS: dict[str, tuple[Index, ...]] = {
    # Every version a state sent, as sent; the newest version is the current record. One document
    # per version is guaranteed by its `_id` (`STATE:id:version`), not by a unique index: the
    # embedded engine checks a unique index by intersecting per-field candidate sets, which made
    # every insert cost O(records of the state). The state student id leads, so that a lookup by
    # ids alone is indexed on MongoDB too (the embedded planner would intersect `state` likewise).
    "state_records": (
        Index((("state_student_id", ASC), ("state", ASC), ("version", DESC))),
        Index((("msix_id", ASC),)),
        Index((("batch_id", ASC),)),
        # Demographic search and record requests by birth date (`lookups.born_on`).
        Index((("record.identity.birth_date", ASC),)),
    ),
    # The consolidated child: links to state records, identity summary, blocking keys, aliases.
    "students": (
        Index((("links.state", ASC), ("links.state_student_id", ASC))),
        # "STATE:state student id" of every link: a flat array the embedded engine can index
        # (its hash indexes do not key paths that pass through an array of documents).
        Index((("link_keys", ASC),)),
        Index((("blocking_keys", ASC),)),
        Index((("alias_of", ASC),)),
    ),
    # Every MSIX ID ever issued; never deleted, so an ID is never reused.
    "msix_ids": (),
    "fhir_resources": (
        Index((("resourceType", ASC), ("identifiers", ASC))),
        Index((("resourceType", ASC), ("patient", ASC), ("date", ASC))),
        Index((("resourceType", ASC), ("lastUpdated", ASC))),
        # One per SHALL/SHOULD search of docs/fhir-api.md; the first field of each is what the
        # embedded engine plans with (hash on every indexed path), MongoDB uses them whole (at
        # most one array field per compound index).
        Index((("resourceType", ASC), ("x_identifier", ASC))),
        Index((("resourceType", ASC), ("x_name_keys", ASC), ("date", ASC))),
        Index((("resourceType", ASC), ("x_gender", ASC), ("date", ASC))),
        Index((("resourceType", ASC), ("x_year", ASC), ("date", ASC))),
        Index((("resourceType", ASC), ("patient", ASC), ("x_status", ASC))),
        Index((("resourceType", ASC), ("patient", ASC), ("x_category", ASC))),
        Index((("resourceType", ASC), ("patient", ASC), ("x_clinical_status", ASC))),
        Index((("resourceType", ASC), ("patient", ASC), ("x_code", ASC))),
        Index((("resourceType", ASC), ("x_vaccine_code", ASC))),
    ),
    "fhir_history": (Index((("resourceType", ASC), ("id", ASC), ("versionId", DESC))),),
    # Near matches and merge/split validations (DOMAIN.md §6), routed to a jurisdiction level.
    "worklist": (
        Index((("status", ASC), ("kind", ASC))),
        Index((("route.state", ASC), ("level", ASC), ("status", ASC))),
        Index((("msix_ids", ASC),)),
    ),
    # Pairs of state records an administrator decided are different children.
    "do_not_link": (Index((("keys", ASC),)),),
    # Every XML message received, with its answer. (sender organisation, MessageId) is unique by
    # `_id` (`sender#message id`), not by a unique index, for the reason given for state_records.
    "messages": (Index((("message_id", ASC), ("sender", ASC))),),
    # Messages delivered to a jurisdiction (`_id` is `mailbox#message id`): pulled, acknowledged,
    # pushed with retries.
    "mailbox": (
        Index((("mailbox", ASC), ("status", ASC), ("received_at", ASC))),
        Index((("mailbox", ASC), ("received_at", ASC))),
        Index((("status", ASC), ("next_attempt_at", ASC))),
    ),
    # Push endpoint of each mailbox that registered one (`_id` is the mailbox).
    "push_endpoints": (),
    # Worklist arrival notices waiting to be e-mailed (`hub.store.mail`).
    "mail_outbox": (Index((("status", ASC), ("next_attempt_at", ASC))),),
    # District -> region, as each state declares its regions (`_id` is `STATE#district id`).
    "regions": (Index((("state", ASC),)),),
    "ingest_batches": (Index((("state", ASC), ("received_at", DESC))),),
    # Records an ingest rejected, with their issues and source values, keyed by state record
    # (`STATE:state student id`) so that a corrected resend resolves them.
    "quarantine": (Index((("state", ASC), ("status", ASC))), Index((("batch_id", ASC),))),
    "users": (Index((("username", ASC),), unique=True), Index((("email", ASC),), unique=True)),
    "clients": (Index((("client_id", ASC),), unique=True),),
    # Client-assertion ids (client_id + jti) until they expire: replay protection for all processes.
    "assertion_ids": (Index((("expires_at", ASC),)),),
    "audit": (
        Index((("recorded", DESC),)),
        Index((("entity_msix_ids", ASC), ("recorded", DESC))),
    ),
}

# Indexes earlier versions created, dropped at start-up where still present.
RETIRED: dict[str, tuple[str, ...]] = {
    "state_records": ("state_1_state_student_id_1_version_-1",),
    "messages": ("sender_1_message_id_1",),
}


def ensure_schema(db: Db) -> None:
    """Create every collection and index; safe to run at every start and from several processes."""
    existing = set(db.list_collection_names())
    for name, indexes in COLLECTIONS.items():
        if name not in existing:
            db.create_collection(name)
        collection = db[name]
        present = set(collection.index_information())
        for retired in RETIRED.get(name, ()):
            if retired in present:
                collection.drop_index(retired)
        for index in indexes:
            if index.index_name not in present:
                collection.create_index(
                    list(index.keys), unique=index.unique, name=index.index_name
                )
