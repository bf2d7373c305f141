"""Benchmark: RecordRequest -> RecordResponse through the message service, p50/p95 and rate.

Loads `--children` synthetic children (default 2,000; the issue's figure is `--children 100000`)
into a fresh embedded store, then sends `--requests` record requests by MSIX ID (each a new
message: parse, schema checks, digest, claim, consolidated record, audit, response built and
stored for replay) one after another, and prints one JSON line. The HTTP layer is left out: it
adds the same few milliseconds to every door.

Two loaders (`--loader`; by default `ingest` up to 10,000 children, `direct` above):

- `ingest`: canonical records through the real ingest pipeline (mapping-free canonical JSONL,
  identity matching, versioned state records, FHIR Immunization/Condition resources, audit).
- `direct`: bench-only, through the store repositories: each synthetic child becomes one
  consolidated child holding its records as the synth truth links them, with the identity
  summary and blocking keys the identity package computes. It skips what a record request does
  not read: identity *matching* (links come from the truth), FHIR health resources (the records
  keep their immunizations and conditions, which is what a RecordResponse renders), ingest
  batches, acknowledgements, quarantine and ingest audit events.

`--profile N` prints the N most expensive functions of the request phase (cProfile, cumulative)
to stderr. Run as `.venv/bin/python -P bench/messages.py [--children 100000] [--requests 2000]`
(`-P`: bench/fhir.py must not shadow the `fhir` package).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import io
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import orjson

from hub.config import Settings
from hub.identity import SourceRecord, build_profile, child_keys, summarise_identity
from hub.messages.bodies import RecordRequest
from hub.messages.body_xml import body_element
from hub.messages.envelope import (
    HUB,
    Header,
    MessageType,
    Party,
    build_message,
    new_message_id,
    parse_message,
)
from hub.security import AuditAgent, Caller, Jurisdiction
from hub.services.canonical_source import read_canonical_jsonl
from hub.services.ingest import IngestSource, ingest
from hub.services.messages import ExchangeContext, exchange, process_message
from hub.store import SaveResult, Store
from hub.synth import SyntheticChild, iter_children

TARGET_P95_MS = 50.0
SEED = 20_261_130
DIRECT_ABOVE = 10_000
_DIRECT_CHUNK = 1_000


def _load(store: Store, children: int, folder: Path) -> list[str]:
    by_state: dict[str, io.BytesIO] = {}
    for child in iter_children(SEED, children):
        for emitted in child.records:
            record = emitted.record
            line = orjson.dumps(
                record.model_dump(mode="json", exclude_none=True), option=orjson.OPT_APPEND_NEWLINE
            )
            by_state.setdefault(record.student_id.state, io.BytesIO()).write(line)
    agent = AuditAgent("client", "bench-loader", Jurisdiction(state="TX"))
    for state, buffer in sorted(by_state.items()):
        data = buffer.getvalue()
        source = IngestSource(
            state, f"{state}.jsonl", hashlib.sha256(data).hexdigest(), len(data), "canonical-jsonl"
        )
        records = read_canonical_jsonl(io.BytesIO(data))
        store.call(
            ingest, store, records, source, now=datetime.now(UTC), agent=agent, spool_dir=folder
        )
    return store.call(_all_ids, store)


def _load_direct(store: Store, children: int) -> list[str]:
    chunk: list[SyntheticChild] = []
    for child in iter_children(SEED, children):
        chunk.append(child)
        if len(chunk) == _DIRECT_CHUNK:
            store.call(_write_children, store, chunk, datetime.now(UTC))
            chunk = []
    if chunk:
        store.call(_write_children, store, chunk, datetime.now(UTC))
    return store.call(_all_ids, store)


def _write_children(store: Store, children: Iterable[SyntheticChild], now: datetime) -> None:
    """One unit of work per chunk: children first, then their state records (COMMIT_ORDER)."""
    with store.engine.batch():
        planned: list[SaveResult] = []
        for child in children:
            records = [
                emitted.record.model_dump(mode="json", exclude_none=True)
                for emitted in child.records
            ]
            keys = [(r["student_id"]["state"], r["student_id"]["value"]) for r in records]
            sources = [
                SourceRecord(state, sid, now, record)
                for (state, sid), record in zip(keys, records, strict=True)
            ]
            profiles = [
                build_profile(record.get("identity") or {}, state=state, state_student_id=sid)
                for (state, sid), record in zip(keys, records, strict=True)
            ]
            created = store.students.create(
                {
                    "links": [{"state": state, "state_student_id": sid} for state, sid in keys],
                    "identity": dict(summarise_identity(sources).values),
                    "blocking_keys": child_keys(profiles),
                },
                now=now,
            )
            planned.extend(
                store.state_records.next_version(
                    state, sid, record, current=None, msix_id=created["_id"], now=now
                )
                for (state, sid), record in zip(keys, records, strict=True)
            )
        store.state_records.insert_versions(planned)


def _all_ids(store: Store) -> list[str]:
    return [
        doc["_id"] for doc in store.engine.db["students"].find({"status": "active"}, {"_id": 1})
    ]


async def _requests(store: Store, ids: list[str], count: int) -> list[float]:
    caller = Caller(
        "client", "bench-wa", frozenset({"msix/messages.write"}), Jurisdiction(state="WA")
    )
    sender = Party("WA", "urn:msix:nces-lea", "5300001")
    timings: list[float] = []
    chooser = random.Random(SEED)
    for _ in range(count):
        header = Header(
            message_id=new_message_id(),
            message_type=MessageType.RECORD_REQUEST,
            sender=sender,
            receiver=HUB,
            created=datetime.now(UTC),
        )
        data = build_message(header, body_element(RecordRequest(msix_id=chooser.choice(ids))))
        context = ExchangeContext(caller, datetime.now(UTC), 2 * 1024 * 1024)
        started = time.perf_counter()
        reply = await exchange(store, data, context)
        timings.append(time.perf_counter() - started)
        assert reply.error is None
        assert reply.message_type is MessageType.RECORD_RESPONSE
    return timings


def _profiled(store: Store, ids: list[str], count: int, profiler: cProfile.Profile) -> None:
    caller = Caller(
        "client", "bench-wa", frozenset({"msix/messages.write"}), Jurisdiction(state="WA")
    )
    sender = Party("WA", "urn:msix:nces-lea", "5300001")
    chooser = random.Random(SEED + 1)
    for _ in range(count):
        header = Header(
            message_id=new_message_id(),
            message_type=MessageType.RECORD_REQUEST,
            sender=sender,
            receiver=HUB,
            created=datetime.now(UTC),
        )
        data = build_message(header, body_element(RecordRequest(msix_id=chooser.choice(ids))))
        context = ExchangeContext(caller, datetime.now(UTC), 2 * 1024 * 1024)
        profiler.enable()
        process_message(store, parse_message(data, max_bytes=context.max_bytes), context)
        profiler.disable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--loader", choices=("ingest", "direct"), default=None)
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args()
    loader = args.loader or ("direct" if args.children > DIRECT_ABOVE else "ingest")
    profiler = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory(prefix="msix-bench-messages-") as folder:
        store = Store(Settings(demo=True, data_dir=Path(folder) / "var"))
        try:
            load_started = time.perf_counter()
            if loader == "direct":
                ids = _load_direct(store, args.children)
            else:
                ids = _load(store, args.children, Path(folder))
            load_seconds = time.perf_counter() - load_started
            asyncio.run(_requests(store, ids, 20))  # warm-up: schemas, model, caches
            if profiler is not None:
                # cProfile sees one thread: run whole exchanges on the store thread instead.
                store.call(_profiled, store, ids, min(args.requests, 300), profiler)
            started = time.perf_counter()
            timings = asyncio.run(_requests(store, ids, args.requests))
            wall = time.perf_counter() - started
        finally:
            store.close()
    if profiler is not None:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(args.profile)
    quantiles = statistics.quantiles(timings, n=100)
    figures = {
        "bench": "messages.record_request",
        "synthetic_children": args.children,
        "children_in_store": len(ids),
        "requests": args.requests,
        "p50_ms": round(statistics.median(timings) * 1000, 2),
        "p95_ms": round(quantiles[94] * 1000, 2),
        "messages_per_second": round(args.requests / wall, 1),
        "target_p95_ms": TARGET_P95_MS,
        "loader": loader,
        "load_seconds": round(load_seconds, 1),
    }
    sys.stdout.write(orjson.dumps(figures).decode() + "\n")


if __name__ == "__main__":
    main()
