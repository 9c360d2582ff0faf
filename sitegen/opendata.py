"""Open data: every region's figures as JSON and CSV (a static API), an index of all
regions, and spreadsheet-safe CSV.

The JSON and CSV of a region are made by the worker that renders its page, from
the same cube cells, so the API and the pages can never disagree. The format is
documented in docs/api.md and described by the JSON Schemas in docs/api/.
"""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np

from .model import gap_to_target
from .pages import Site

API = "api/v1/"
DOWNLOADS = "unduh/"
VERSION = 1
BOM = "\ufeff"
CSV_COLUMNS = ("period", "region_code", "region_name", "segment", "covered", "eligible")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def region_json_path(code: str) -> str:
    return f"{API}wilayah/{code}.json"


def region_csv_path(code: str) -> str:
    return f"{API}wilayah/{code}.csv"


def region_files(site: Site, r: int) -> tuple[str, str, str]:
    """Every file a region contributes: its page, its JSON and its CSV."""
    code = site.tree.regions[r].code
    return site.paths[r] + "index.html", region_json_path(code), region_csv_path(code)


def coverage_cells(site: Site, r: int) -> list[tuple[str, str, int, int | None]]:
    """(period, segment id, covered, eligible or None) for every reported cell of region r."""
    cube = site.cube
    periods, segments = np.nonzero(cube.reported[r])
    covered = cube.covered[r][periods, segments].tolist()
    eligible = cube.eligible[r][periods, segments].tolist()
    unknown = cube.eligible_unknown[r][periods, segments].tolist()
    return [(cube.periods[p], cube.segments[s].id, c, None if u else e)
            for p, s, c, e, u in zip(periods.tolist(), segments.tolist(), covered, eligible, unknown)]


def region_record(site: Site, r: int, cells=None) -> dict:
    tree = site.tree
    region = tree.regions[r]
    return {
        "api_version": VERSION,
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "kind": region.kind or None,
        "parent_code": tree.regions[tree.parent[r]].code if tree.parent[r] >= 0 else None,
        "url": site.paths[r],
        "children": [tree.regions[c].code for c in tree.children[r]],
        "as_of": site.config.as_of.isoformat(),
        "illustrative": bool(site.illustrative[r]),
        "sources": [s.id for s, used in zip(site.cube.sources, site.cube.uses_source[r]) if used],
        "latest": latest_figures(site, r),
        "coverage": [{"period": p, "segment": s, "covered": c, "eligible": e}
                     for p, s, c, e in (cells if cells is not None else coverage_cells(site, r))],
    }


def latest_figures(site: Site, r: int) -> dict | None:
    """The headline figures of the latest period (village ecosystem and vulnerable workers)."""
    p = len(site.cube.periods) - 1
    totals = site.headline
    if p < 0 or not totals.reported[r, p]:
        return None
    covered = int(totals.covered[r, p])
    eligible = None if totals.eligible_unknown[r, p] else int(totals.eligible[r, p])
    rate = float(site.headline_rate[r, p])
    return {
        "period": site.cube.periods[p],
        "covered": covered,
        "eligible": eligible,
        "rate_pct": None if math.isnan(rate) else round(rate, 2),
        "gap_to_target": gap_to_target(covered, eligible, site.config.target.coverage_pct) if eligible else None,
    }


def region_downloads(site: Site, r: int) -> tuple[bytes, bytes]:
    """The region's JSON and CSV, as bytes ready to write."""
    cells = coverage_cells(site, r)
    record = region_record(site, r, cells)
    region = site.tree.regions[r]
    rows = [(p, region.code, region.name, s, c, "" if e is None else e) for p, s, c, e in cells]
    return to_json(record), csv_bytes(CSV_COLUMNS, rows)


def index_json(site: Site) -> bytes:
    """Every region with its code, name, level, parent, page and latest figures."""
    tree = site.tree
    p = len(site.cube.periods) - 1
    totals, rates = site.headline, site.headline_rate[:, p]
    covered, eligible = totals.covered[:, p].tolist(), totals.eligible[:, p].tolist()
    reported, unknown = totals.reported[:, p].tolist(), totals.eligible_unknown[:, p].tolist()
    target = site.config.target.coverage_pct
    parent_codes = [tree.regions[q].code if q >= 0 else None for q in tree.parent.tolist()]
    regions = []
    for r, region in enumerate(tree.regions):
        latest = None
        if reported[r]:
            known = None if unknown[r] else eligible[r]
            rate = float(rates[r])
            latest = {"covered": covered[r], "eligible": known,
                      "rate_pct": None if math.isnan(rate) else round(rate, 2),
                      "gap_to_target": gap_to_target(covered[r], known, target) if known else None}
        regions.append({"code": region.code, "name": region.name, "level": region.level,
                        "parent_code": parent_codes[r], "url": site.paths[r],
                        "data": region_json_path(region.code), "latest": latest})
    return to_json({
        "api_version": VERSION,
        "as_of": site.config.as_of.isoformat(),
        "latest_period": site.cube.periods[p] if p >= 0 else None,
        "target_pct": float(target),
        "segments": [{"id": s.id, "name": s.name.id, "name_en": s.name.en, "group": s.group}
                     for s in site.cube.segments],
        "regions": regions,
    })


def to_json(value) -> bytes:
    # "<" escaped so a JSON file can never be read as markup by a careless viewer.
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c") + "\n").encode()


def neutralise(cell) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection guidance):
    text starting with = + - @ tab or carriage return gets a leading apostrophe."""
    text = "" if cell is None else str(cell)
    if isinstance(cell, str) and text.startswith(FORMULA_START):
        return "'" + text
    return text


def csv_bytes(header, rows) -> bytes:
    """UTF-8 with a BOM (so Excel reads Indonesian names right), text cells neutralised;
    numbers are written as they are (a negative number is not a formula)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([neutralise(cell) if isinstance(cell, str) else cell for cell in row] for row in rows)
    return (BOM + out.getvalue()).encode("utf-8")
