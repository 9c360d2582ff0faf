#!/usr/bin/env python3
"""Write the chart specs that ship with sitegen, for the installed Altair and sitegen/render/charts.py.

    python scripts/update_chart_specs.py

Every chart kind's Vega-Lite spec (placeholder labels and target, filled in per language and
site) is made by Altair, which takes ~1 s to import and run on a first build. Shipping the specs
of the Altair version sitegen is tested with keeps that off a fresh clone's first build. The file
is named by the Altair version and by the source of charts.py, so a build with another Altair, or
after charts.py was edited, makes its own specs (and caches them): this file is only ever a
shortcut, never a different result. Run this after editing charts.py or upgrading Altair
(tests/test_charts.py says when).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sitegen.render.charts import generic_specs_here, ship, shipped_specs_path  # noqa: E402


def main() -> None:
    ship(shipped_specs_path(), generic_specs_here(), "chart-specs-*.json")


if __name__ == "__main__":
    main()
