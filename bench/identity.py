"""Benchmark: identity resolution accuracy, time and memory, with Splink as the reference.

Generates `--children` synthetic children (default 10,000) with `hub.synth` (its full noise: the
only noise it has), keeps those with 2-5 state records, and writes each state's records as that
state's file. The records then arrive state file by state file, interleaved in chunks as
concurrent submissions would, and each is matched against every child known so far through the
in-memory blocking index (`hub.identity.InMemoryLinker`: the hub's incremental logic). Prints one
JSON line for the engine: pairwise precision, recall and F1 (a review counts as not linked), the
same after an oracle resolves every review, review share and the share of reviews whose proposed
child is right, sibling and twin pairs merged, recall by name origin, seconds (wall and CPU: user
plus system, the steadier figure on a shared machine) and peak RSS.
Then, unless `--no-splink` (the default past 200,000 children), runs Splink on the same
records with its documented unsupervised set-up (DuckDB backend: prior from a deterministic
rule, u by random sampling, m by EM on two blocking rules, predict, cluster at 0.95) and prints
its line.

Run as `.venv/bin/python bench/identity.py [--children N] [--seed S] [--no-splink]`.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import orjson

from hub.identity import InMemoryLinker, Zone, build_profile, fold, load_model
from hub.synth import iter_children

SEED = 20_261_201
MIN_STATES, MAX_STATES = 2, 5
CHUNK = 500  # records a state submits at a time
FREEZE_EVERY = 50_000
SPLINK_DEFAULT_LIMIT = 200_000
SPLINK_CLUSTER_THRESHOLD = 0.95


def _cpu_seconds() -> float:
    # User plus system time of this process: wall-clock is noisy on a shared machine.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    # ru_maxrss is kilobytes on Linux and bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def write_state_files(folder: Path, seed: int, children: int) -> dict[str, Any]:
    """One JSONL file per state: key, identity and the truth the metrics need."""
    handles: dict[str, IO[bytes]] = {}
    kept = records = 0
    origins: dict[str, int] = {}
    try:
        for serial, child in enumerate(iter_children(seed, children)):
            if not MIN_STATES <= len(child.records) <= MAX_STATES:
                continue
            kept += 1
            family = int(child.family_id[1:])
            origin = origins.setdefault(child.name_origin, len(origins))
            for emitted in child.records:
                record = emitted.record
                state = record.student_id.state
                if state not in handles:
                    handles[state] = (folder / f"{state}.jsonl").open("wb")
                line = {
                    "s": state,
                    "i": record.student_id.value,
                    "id": record.identity.model_dump(mode="json", exclude_none=True),
                    "c": serial,
                    "f": family,
                    "t": child.twin,
                    "o": origin,
                }
                handles[state].write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
                records += 1
    finally:
        for handle in handles.values():
            handle.close()
    return {"children": kept, "records": records, "origins": origins}


def arrivals(folder: Path) -> Iterator[dict[str, Any]]:
    """Records state file by state file, `CHUNK` at a time from each in turn."""
    streams = [path.open("rb") for path in sorted(folder.glob("*.jsonl"))]
    try:
        while streams:
            for stream in list(streams):
                for _ in range(CHUNK):
                    line = stream.readline()
                    if not line:
                        streams.remove(stream)
                        stream.close()
                        break
                    yield orjson.loads(line)
    finally:
        for stream in streams:
            stream.close()


def _pairs(counts: Sequence[int]) -> int:
    return sum(n * (n - 1) // 2 for n in counts)


def _runs(values: array[int]) -> list[int]:
    ordered = sorted(values)
    runs: list[int] = []
    previous, run = None, 0
    for value in ordered:
        if value == previous:
            run += 1
        else:
            if run:
                runs.append(run)
            previous, run = value, 1
    if run:
        runs.append(run)
    return runs


def pairwise(predicted: array[int], true: array[int]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of a clustering against the truth."""
    both = array("q", (p << 32 | t for p, t in zip(predicted, true, strict=True)))
    tp, pp, tt = _pairs(_runs(both)), _pairs(_runs(predicted)), _pairs(_runs(true))
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 5), "recall": round(recall, 5), "f1": round(f1, 5)}


def related_merged(
    predicted: array[int], true: array[int], family: array[int], twin: array[int]
) -> dict[str, int]:
    """Wrongly merged pairs between children of one family (siblings), and of them twins."""
    members: dict[int, list[int]] = {}
    for index, child in enumerate(predicted):
        members.setdefault(child, []).append(index)
    siblings = twins = other = 0
    for indices in members.values():
        if len(indices) < 2:
            continue
        for a_at, a in enumerate(indices):
            for b in indices[a_at + 1 :]:
                if true[a] == true[b]:
                    continue
                if family[a] == family[b]:
                    siblings += 1
                    twins += int(bool(twin[a] and twin[b]))
                else:
                    other += 1
    return {
        "sibling_pairs_merged": siblings,
        "twin_pairs_merged": twins,
        "other_pairs_merged": other,
    }


def recall_by_origin(
    predicted: array[int], true: array[int], origin: array[int], names: dict[str, int]
) -> dict[str, float]:
    found: dict[str, float] = {}
    for name, code in names.items():
        at = [i for i, o in enumerate(origin) if o == code]
        truth = _pairs(_runs(array("q", (true[i] for i in at))))
        hits = _pairs(_runs(array("q", (predicted[i] << 32 | true[i] for i in at))))
        found[name] = round(hits / truth, 4) if truth else 1.0
    return found


def run_engine(folder: Path, info: dict[str, Any]) -> tuple[dict[str, Any], array[int]]:
    model = load_model()
    linker = InMemoryLinker(model)
    predicted, oracle, true, family, twin, origin = (array("q") for _ in range(6))
    first_truth = array("q")  # true child of each engine child's first record
    oracle_of: dict[int, int] = {}  # engine child → child an oracle DA would merge it into
    zones: Counter[str] = Counter()
    guards: Counter[str] = Counter()
    reviews_true = 0
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    for count, row in enumerate(arrivals(folder), start=1):
        if count % FREEZE_EVERY == 0:
            # The linker's records live to the end and hold no cycles: moving them out of the
            # collector's reach spares it re-walking millions of profiles (about 10% of the time).
            gc.freeze()
        profile = build_profile(row["id"], state=row["s"], state_student_id=row["i"])
        outcome = linker.add(profile)
        decision = outcome.decision
        zones[decision.zone.value] += 1
        guards.update(decision.guards)
        if outcome.child == len(first_truth):
            first_truth.append(row["c"])
        resolved = outcome.child
        if decision.zone is Zone.REVIEW and decision.msix_id is not None:
            target = int(decision.msix_id)
            if first_truth[target] == row["c"]:
                reviews_true += 1
                resolved = oracle_of.get(target, target)
            oracle_of[outcome.child] = resolved
        predicted.append(outcome.child)
        oracle.append(oracle_of.get(outcome.child, outcome.child))
        true.append(row["c"])
        family.append(row["f"])
        twin.append(int(row["t"]))
        origin.append(row["o"])
    seconds, cpu_seconds = time.perf_counter() - started, _cpu_seconds() - cpu_started
    gc.unfreeze()
    records = len(true)
    figures: dict[str, Any] = {
        "bench": "identity",
        "engine": "hub.identity",
        "children": info["children"],
        "records": records,
        **pairwise(predicted, true),
        "after_review": pairwise(oracle, true),
        "review_share": round(zones["review"] / records, 5),
        "review_true_share": round(reviews_true / zones["review"], 4) if zones["review"] else None,
        "zones": dict(zones),
        "guards": dict(guards),
        **related_merged(predicted, true, family, twin),
        "recall_by_origin": recall_by_origin(predicted, true, origin, info["origins"]),
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu_seconds, 1),
        "records_per_second": round(records / seconds, 1) if seconds else None,
        "blocks": len(linker.index),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "targets": {"f1": 0.985, "precision": 0.998, "seconds_at_1m": 900, "peak_rss_mb": 4096},
    }
    return figures, true


def _splink_rows(folder: Path, out: Path) -> None:
    with out.open("wb") as sink:
        for uid, row in enumerate(arrivals(folder)):
            identity = row["id"]
            parents = identity.get("parents") or [{}]
            sink.write(
                orjson.dumps(
                    {
                        "unique_id": uid,
                        "first_name": fold(identity.get("first_name")) or None,
                        "middle_name": fold(identity.get("middle_name")) or None,
                        "surname": fold(
                            " ".join(
                                filter(
                                    None, (identity.get("last_name_1"), identity.get("last_name_2"))
                                )
                            )
                        )
                        or None,
                        "dob": identity.get("birth_date"),
                        "sex": identity.get("sex"),
                        "birth_city": fold(identity.get("birth_city")) or None,
                        "parent_name": fold(
                            f"{parents[0].get('first_name', '')} {parents[0].get('last_name', '')}"
                        )
                        or None,
                    },
                    option=orjson.OPT_APPEND_NEWLINE,
                )
            )


def run_splink(folder: Path, true: array[int], info: dict[str, Any]) -> dict[str, Any]:
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    rows = folder / "splink-input.ndjson"
    _splink_rows(folder, rows)
    started = time.perf_counter()
    con = duckdb.connect()
    # The path is our own temporary file, not input: no injection.
    query = f"CREATE TABLE records AS SELECT * REPLACE (CAST(dob AS VARCHAR) AS dob) FROM read_json_auto('{rows}')"  # noqa: E501, S608
    con.execute(query)
    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("middle_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.ExactMatch("birth_city"),
            cl.JaroWinklerAtThresholds("parent_name", [0.9]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("dob", "surname"),
            block_on("dob", "first_name"),
            block_on("first_name", "surname"),
            block_on("substr(first_name, 1, 2)", "substr(surname, 1, 2)", "substr(dob, 1, 4)"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(db_api.register("records"), settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.6
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "surname")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, SPLINK_CLUSTER_THRESHOLD
    )
    assigned = dict(
        con.execute(
            f"SELECT unique_id, cluster_id FROM {clusters.physical_name}"  # noqa: S608
        ).fetchall()
    )
    seconds = time.perf_counter() - started
    ids: dict[Any, int] = {}
    predicted = array("q", (ids.setdefault(assigned[uid], len(ids)) for uid in range(len(true))))
    return {
        "bench": "identity",
        "engine": "splink",
        "splink_version": __import__("splink").__version__,
        "children": info["children"],
        "records": len(true),
        **pairwise(predicted, true),
        "cluster_threshold": SPLINK_CLUSTER_THRESHOLD,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--splink", action=argparse.BooleanOptionalAction, default=None)
    args = parser.parse_args(argv)
    with_splink = args.splink if args.splink is not None else args.children <= SPLINK_DEFAULT_LIMIT
    with tempfile.TemporaryDirectory(prefix="msix-identity-bench-") as work:
        folder = Path(work)
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        info = write_state_files(folder, args.seed, args.children)
        generated, generated_cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
        figures, true = run_engine(folder, info)
        figures["generate_seconds"] = round(generated, 1)
        figures["generate_cpu_seconds"] = round(generated_cpu, 1)
        figures["seed"] = args.seed
        sys.stdout.write(orjson.dumps(figures).decode() + "\n")
        sys.stdout.flush()
        if with_splink:
            sys.stdout.write(orjson.dumps(run_splink(folder, true, info)).decode() + "\n")


if __name__ == "__main__":
    main()
