"""Trains the packaged identity weights (hub/identity/data/weights.json) on synthetic records.

This is how the shipped defaults were produced: `--children` synthetic children (default 5,000,
seed below), every state record's identity profiled, then `hub.identity.train` (u from random
pairs, m by EM; no truth is read). Prints one JSON line with what training saw; writes the file
only with `--write`. Run as `.venv/bin/python bench/identity_train.py [--write]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson

from hub.identity import TrainingOptions, build_profile, train, write_weights
from hub.synth import iter_children

SEED = 20_261_107
WEIGHTS = Path(__file__).resolve().parent.parent / "hub" / "identity" / "data" / "weights.json"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--children", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--write", action="store_true", help=f"write {WEIGHTS}")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    profiles = [
        build_profile(
            emitted.record.identity,
            state=emitted.record.student_id.state,
            state_student_id=emitted.record.student_id.value,
        )
        for child in iter_children(args.seed, args.children)
        for emitted in child.records
    ]
    weights = train(profiles, options=TrainingOptions(seed=args.seed))
    about = {**weights.about, "synthetic_children": args.children, "synthetic_seed": args.seed}
    weights = type(weights)(weights.prior, weights.levels, about)
    if args.write:
        write_weights(weights, WEIGHTS)
    figures = {
        "bench": "identity_train",
        **about,
        "prior": round(weights.prior, 6),
        "seconds": round(time.perf_counter() - started, 1),
        "written": str(WEIGHTS) if args.write else None,
    }
    sys.stdout.write(orjson.dumps(figures).decode() + "\n")


if __name__ == "__main__":
    main()
