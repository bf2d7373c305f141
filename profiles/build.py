"""Regenerate the snapshots, CodeSystems and ValueSets of profiles/ from their authored inputs.

Usage: python profiles/build.py          write the generated files
       python profiles/build.py --check  exit 1 when a file on disk differs from what is built

Authored inputs: the differential of each StructureDefinition-*.json and profiles/base/*.json.
No network: the R4 skeleton comes from the fhir.resources R4B models (see docs/profiles.md).
"""

from __future__ import annotations

import json
import sys

from hub.fhir import PROFILES_DIR, build_artifacts


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, artifact in build_artifacts().items():
        text = json.dumps(artifact, indent=2, ensure_ascii=False) + "\n"
        path = PROFILES_DIR / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not check:
            path.write_text(text, encoding="utf-8")
    verb = "stale" if check else "written"
    print(f"{len(stale)} file(s) {verb}: {', '.join(stale) or '-'}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
