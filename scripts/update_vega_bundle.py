#!/usr/bin/env python3
"""Write the Vega bundle that ships with sitegen, for the installed vl-convert-python.

    python scripts/update_vega_bundle.py

vl-convert makes the bundle (vega + vega-lite + vega-embed, one self-contained script) in
its own JavaScript runtime, which costs ~1.5 s of both cores: shipping the bundle of the
version sitegen is tested with keeps that off every fresh clone's first build. A build with
another vl-convert version makes its own bundle (and caches it), so this file is only ever
a shortcut, never a different result. Run this after upgrading vl-convert-python, then
scripts/update_vega_notices.py for the licences of the code inside the new bundle.
"""

from __future__ import annotations

import sys
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sitegen.render.charts import VENDORED_BUNDLES, make_vega_bundle, ship  # noqa: E402


def main() -> None:
    ship(VENDORED_BUNDLES / f"vega-bundle-{version('vl-convert-python')}.js", make_vega_bundle(), "vega-bundle-*.js")


if __name__ == "__main__":
    main()
