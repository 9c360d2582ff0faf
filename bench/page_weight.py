#!/usr/bin/env python3
"""Page weight of a built site, as a phone on a metered connection would pay for it.

    python bench/page_weight.py [_site]

Prints, gzipped (what static hosts send): the largest and median desa page, the home and
kecamatan pages, the stylesheet, the chart script and the Vega bundle, against the budgets
of the public-view issue (desa HTML <= 30 KB, CSS <= 15 KB). The Vega bundle is fetched
only when a chart comes near the viewport, so the first view of a page is its HTML, CSS and
chart script.
"""

from __future__ import annotations

import gzip
import statistics
import sys
from pathlib import Path


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))


def main() -> None:
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "_site")
    desa = sorted(gz(p) for p in site.glob("desa/*/index.html"))
    kecamatan = sorted(gz(p) for p in site.glob("kecamatan/*/index.html"))
    css = next(site.glob("assets/style.*.css"))
    charts = next(site.glob("assets/charts.*.js"))
    vega = next(site.glob("assets/vega.*.js"))
    first_view = max(desa) + gz(css) + gz(charts)
    rows = [
        ("desa page HTML, largest", max(desa), 30 * 1024),
        ("desa page HTML, median", int(statistics.median(desa)), None),
        ("kecamatan page HTML, largest", max(kecamatan), None),
        ("home page HTML", gz(site / "index.html"), None),
        ("stylesheet", gz(css), 15 * 1024),
        ("chart script", gz(charts), None),
        ("first view of the largest desa page (HTML + CSS + chart script)", first_view, 150 * 1024),
        ("Vega bundle (fetched when a chart nears the viewport, then cached)", gz(vega), None),
    ]
    for name, size, budget in rows:
        verdict = "" if budget is None else (" ok" if size <= budget else f" OVER the {budget // 1024} KB budget")
        print(f"{name:70s} {size / 1024:8.1f} KB gzipped{verdict}")


if __name__ == "__main__":
    main()
