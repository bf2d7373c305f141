"""Helpers for the ingest tests (unit and integration): files, sources, store snapshots."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from hub.security import AuditAgent, Jurisdiction
from hub.services.canonical_source import FORMAT, read_canonical_jsonl
from hub.services.ingest import IngestResult, IngestSource, MappedInput, ingest
from hub.store import Store

STATE = "TX"
_MSIX_ID = re.compile(r"\b[1-9]\d{11}\b")
AGENT = AuditAgent("client", "tx-sis", Jurisdiction(state=STATE))


def jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE) for record in records)


def source_for(data: bytes, name: str = "tx.jsonl", state: str = STATE) -> IngestSource:
    return IngestSource(state, name, hashlib.sha256(data).hexdigest(), len(data), FORMAT)


def ingest_bytes(
    store: Store,
    data: bytes,
    *,
    name: str = "tx.jsonl",
    state: str = STATE,
    records: Iterator[MappedInput] | None = None,
) -> IngestResult:
    """Ingest canonical JSONL bytes (or the given mapped records, as if read from them)."""
    mapped = records if records is not None else read_canonical_jsonl(io.BytesIO(data))
    return store.call(
        ingest, store, mapped, source_for(data, name, state), now=datetime.now(UTC), agent=AGENT
    )


def count(store: Store, collection: str, query: dict[str, Any] | None = None) -> int:
    return int(store.call(lambda: store.engine.db[collection].count_documents(query or {})))


def snapshot(store: Store) -> dict[str, Any]:
    """The store's contents with what may differ between equivalent runs normalised away:
    MSIX IDs become the child's sorted links, timestamps and attempt counts are dropped."""

    def read() -> dict[str, Any]:
        db = store.engine.db
        children = {
            doc["_id"]: "|".join(sorted(doc.get("link_keys", []))) for doc in db["students"].find()
        }

        def child(msix_id: object) -> object:
            return children.get(msix_id, msix_id) if isinstance(msix_id, str) else msix_id

        def ids_to_links(text: str) -> str:
            # Every MSIX ID in a resource (references, Patient ids, identifiers, links).
            return _MSIX_ID.sub(lambda found: str(child(found.group())), text)

        def resource(body: dict[str, Any]) -> Any:
            body = {key: value for key, value in body.items() if key != "meta"}
            return orjson.loads(ids_to_links(orjson.dumps(body).decode()))

        def fhir(collection: str) -> dict[str, Any]:
            return {
                ids_to_links(doc["_id"]): (
                    doc["versionId"],
                    doc["deleted"],
                    resource(doc["resource"]),
                )
                for doc in db[collection].find()
            }

        records = {}
        for doc in db["state_records"].find():
            record = dict(doc["record"])
            source = {k: v for k, v in record.pop("source", {}).items() if k != "received_at"}
            records[doc["_id"]] = (
                doc["content_hash"],
                doc["deleted"],
                doc["batch_id"],
                child(doc["msix_id"]),
                source,
                doc.get("events"),
            )
        batches = {}
        for doc in db["ingest_batches"].find():
            ack = doc.get("acknowledgement") or {}
            ack = {k: v for k, v in ack.items() if k not in ("received_at", "completed_at")}
            batches[doc["_id"]] = (doc["status"], ack)
        quarantine = {
            doc["_id"]: {k: v for k, v in doc.items() if k not in ("quarantined_at", "resolved_at")}
            for doc in db["quarantine"].find()
        }
        audit = sorted(
            (
                doc["_id"],
                doc["event"]["subtype"][0]["code"],
                doc["event"].get("outcomeDesc"),
                sorted(str(child(m)) for m in doc["entity_msix_ids"]),
            )
            for doc in db["audit"].find()
        )
        return {
            "state_records": records,
            "students": sorted(
                (
                    "|".join(sorted(d["link_keys"])),
                    orjson.dumps(d["identity"], option=orjson.OPT_SORT_KEYS),
                )
                for d in db["students"].find()
            ),
            "fhir_resources": fhir("fhir_resources"),
            "fhir_history": fhir("fhir_history"),
            "quarantine": quarantine,
            "ingest_batches": batches,
            "audit": audit,
        }

    return store.call(read)
