"""Print docs/mappings.md: `python -m hub.mapping.docs > docs/mappings.md`."""

from __future__ import annotations

import sys

from hub.mapping import render_mapping_docs

if __name__ == "__main__":
    sys.stdout.write(render_mapping_docs())
