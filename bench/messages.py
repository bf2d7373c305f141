"""Benchmark: RecordRequest -> RecordResponse through the message service, p50/p95 and rate.

Loads `--children` synthetic children (default 2,000; the issue's figure is `--children 100000`)
into a fresh embedded store through the real ingest pipeline, then sends `--requests` record
requests by MSIX ID (each a new message: parse, schema checks, digest, claim, consolidated record,
audit, response built and stored for replay) one after another, and prints one JSON line. The
HTTP layer is left out: it adds the same few milliseconds to every door.

Run as `.venv/bin/python bench/messages.py [--children 100000] [--requests 2000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson

from hub.config import Settings
from hub.messages.bodies import RecordRequest
from hub.messages.body_xml import body_element
from hub.messages.envelope import HUB, Header, MessageType, Party, build_message, new_message_id
from hub.security import AuditAgent, Caller, Jurisdiction
from hub.services.canonical_source import read_canonical_jsonl
from hub.services.ingest import IngestSource, ingest
from hub.services.messages import ExchangeContext, exchange
from hub.store import Store
from hub.synth import iter_children

TARGET_P95_MS = 50.0
SEED = 20_261_130


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="msix-bench-messages-") as folder:
        store = Store(Settings(demo=True, data_dir=Path(folder) / "var"))
        try:
            load_started = time.perf_counter()
            ids = _load(store, args.children, Path(folder))
            load_seconds = time.perf_counter() - load_started
            started = time.perf_counter()
            timings = asyncio.run(_requests(store, ids, args.requests))
            wall = time.perf_counter() - started
        finally:
            store.close()
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
        "load_seconds": round(load_seconds, 1),
    }
    sys.stdout.write(orjson.dumps(figures).decode() + "\n")


if __name__ == "__main__":
    main()
