"""FHIR door figures, measured in one run against a real uvicorn server on loopback.

(Named fhir_api.py, not fhir.py: a `bench/fhir.py` would shadow the `fhir` package of
fhir.resources for every script run from bench/.)

1. `GET /fhir/Patient/{id}` latency (p50/p95) and requests/s, beside a minimal endpoint of the
   same server (`/bench/floor/Patient/{id}`, mounted here, not in the app) that reads the same
   stored document and returns its JSON with no token, scope check or audit: the floor.
   Target: read <= 1.5x the floor.
2. Patient search `family` + `birthdate` p50/p95 over `--patients` Patients (default 10,000;
   the issue's figure is `--patients 100000`). Target: p95 <= 20 ms at 100k.
3. Write-validation rate beside fhir.resources `model_validate` (bench/fhir_validate.py, run
   in the same invocation). Target: >= 0.8x.

Prints one JSON line per figure.

    python bench/fhir_api.py [--patients 100000] [--requests 2000] [--searches 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx

FAMILIES = (
    "García", "Hernández", "López", "Martínez", "González", "Pérez", "Rodríguez", "Sánchez",
    "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres",
    "Díaz", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz", "Moreno", "Castillo", "Romero",
    "Álvarez", "Méndez", "Chávez", "Rivera", "Juárez", "Ramos", "Domínguez", "Herrera", "Medina",
    "Castro", "Vargas", "Guzmán", "Velázquez", "Salazar", "Nguyen", "Tran", "Baptiste", "Quispe",
    "Mamani", "Santos", "Kaur", "Singh", "Oliveira", "Pierre",
)  # fmt: skip
GIVEN = (
    "Rosa", "Luis", "Ana", "Tomás", "Mai", "José", "Elena", "Samir", "Lucía", "Omar", "María",
    "Juan", "Sofía", "Diego", "Valeria", "Mateo", "Camila", "Santiago", "Isabella", "Jorge",
)  # fmt: skip


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _load(data_dir: Path, count: int, seed: int) -> list[tuple[str, str, str]]:
    """Children with Patients, written through the service; (id, family, birth date) of each."""
    from hub.config import Settings
    from hub.services.patients import refresh_patient
    from hub.store import Store

    rng = random.Random(seed)
    store = Store(Settings(demo=True, data_dir=data_dir))
    made: list[tuple[str, str, str]] = []

    def load(start: int, size: int) -> None:
        now = datetime.now(UTC)
        with store.engine.batch():
            for number in range(start, start + size):
                family = rng.choice(FAMILIES)
                second = rng.choice(FAMILIES)
                born = (date(2004, 1, 1) + timedelta(days=rng.randrange(6500))).isoformat()
                identity = {
                    "first_name": rng.choice(GIVEN),
                    "last_name_1": family,
                    "last_name_2": second,
                    "sex": rng.choice(("Female", "Male")),
                    "birth_date": born,
                }
                child = store.students.create(
                    {
                        "links": [
                            {
                                "state": "TX",
                                "state_student_id": f"B{number:08d}",
                                "identity": identity,
                            }
                        ]
                    },
                    now=now,
                )
                refresh_patient(store, child["_id"], now=now)
                made.append((child["_id"], family, born))

    started = time.perf_counter()
    for start in range(0, count, 1000):
        store.call(load, start, min(1000, count - start))
    elapsed = time.perf_counter() - started
    store.close()
    print(
        json.dumps({"figure": "load", "patients": count, "seconds": round(elapsed, 1)}), flush=True
    )
    return made


def serve(data_dir: Path, port: int) -> None:
    """The app plus the floor endpoint, served by uvicorn (run in a child process)."""
    import orjson
    import uvicorn
    from fastapi import Response

    from hub.app import create_app
    from hub.config import Settings
    from hub.store import Store

    app = create_app(Settings(demo=True, data_dir=data_dir))

    @app.get("/bench/floor/Patient/{resource_id}")
    async def floor(resource_id: str) -> Response:
        store: Store = app.state.store
        stored = await store.run(store.fhir.read, "Patient", resource_id)
        return Response(orjson.dumps(stored.resource), media_type="application/fhir+json")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _token(data_dir: Path) -> str:
    from hub.config import Settings, ensure_secret
    from hub.security import Jurisdiction, create_client, issue_token
    from hub.store import Store

    settings = ensure_secret(Settings(demo=True, data_dir=data_dir))
    store = Store(settings)
    client, _ = store.call(
        lambda: create_client(
            store.clients,
            name="bench clinic (synthetic)",
            scopes=["system/Patient.read"],
            jurisdiction=Jurisdiction(state="WA"),
            now=datetime.now(UTC),
        )
    )
    store.close()
    return issue_token(client, [], settings, now=datetime.now(UTC)).access_token


def _latencies(client: httpx.Client, urls: list[str], headers: dict[str, str]) -> list[float]:
    found = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        found.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return found


async def _throughput(base: str, urls: list[str], headers: dict[str, str], seconds: float) -> float:
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal done
        async with httpx.AsyncClient(base_url=base) as client:
            index = offset
            while time.perf_counter() < deadline:
                response = await client.get(urls[index % len(urls)], headers=headers)
                assert response.status_code == 200
                done += 1
                index += 8

    started = time.perf_counter()
    await asyncio.gather(*(worker(offset) for offset in range(8)))
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput run")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--serve", nargs=2, metavar=("DATA_DIR", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--skip-validation", action="store_true")
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
        return
    with tempfile.TemporaryDirectory(prefix="msix-bench-fhir-") as tmp:
        data_dir = Path(tmp) / "var"
        patients = _load(data_dir, args.patients, args.seed)
        headers = {"Authorization": f"Bearer {_token(data_dir)}"}
        port = 18000 + random.randrange(2000)
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(data_dir), str(port)])
        base = f"http://127.0.0.1:{port}"
        try:
            _measure(base, patients, headers, args)
        finally:
            server.terminate()
            server.wait(timeout=30)
    if not args.skip_validation:
        script = Path(__file__).with_name("fhir_validate.py")
        subprocess.run([sys.executable, str(script)], check=True)


def _measure(
    base: str, patients: list[tuple[str, str, str]], headers: dict[str, str], args: Any
) -> None:
    rng = random.Random(args.seed + 1)
    with httpx.Client(base_url=base, timeout=60) as client:
        deadline = time.monotonic() + 120
        while True:
            try:
                client.get("/healthz")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        # The first query builds the embedded engine's in-memory indexes: warm them up.
        client.get("/fhir/Patient", params={"family": "garcia", "_count": 1}, headers=headers)
        sample = [rng.choice(patients)[0] for _ in range(args.requests)]
        read_urls = [f"/fhir/Patient/{pid}" for pid in sample]
        floor_urls = [f"/bench/floor/Patient/{pid}" for pid in sample]
        _latencies(client, read_urls[:200], headers)
        _latencies(client, floor_urls[:200], {})
        read = _latencies(client, read_urls, headers)
        floor = _latencies(client, floor_urls, {})
        read_rps = asyncio.run(_throughput(base, read_urls, headers, args.seconds))
        floor_rps = asyncio.run(_throughput(base, floor_urls, {}, args.seconds))
        print(
            json.dumps(
                {
                    "figure": "read Patient vs floor",
                    "patients": len(patients),
                    "requests": len(sample),
                    "read_p50_ms": round(statistics.median(read), 3),
                    "read_p95_ms": round(_percentile(read, 0.95), 3),
                    "floor_p50_ms": round(statistics.median(floor), 3),
                    "floor_p95_ms": round(_percentile(floor, 0.95), 3),
                    "read_rps": round(read_rps),
                    "floor_rps": round(floor_rps),
                    "latency_ratio_p50": round(
                        statistics.median(read) / statistics.median(floor), 2
                    ),
                    "rps_ratio": round(floor_rps / read_rps, 2),
                    "target_ratio": 1.5,
                }
            ),
            flush=True,
        )
        searches = []
        hits = 0
        for _ in range(args.searches):
            _, family, born = rng.choice(patients)
            params = {"family": family, "birthdate": born}
            started = time.perf_counter()
            response = client.get("/fhir/Patient", params=params, headers=headers)
            searches.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            hits += len(response.json().get("entry", []))
        print(
            json.dumps(
                {
                    "figure": "search Patient family+birthdate",
                    "patients": len(patients),
                    "searches": len(searches),
                    "mean_hits": round(hits / len(searches), 2),
                    "p50_ms": round(statistics.median(searches), 2),
                    "p95_ms": round(_percentile(searches, 0.95), 2),
                    "target_p95_ms": 20,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
