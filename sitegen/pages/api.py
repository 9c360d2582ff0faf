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
from json.encoder import encode_basestring

import numpy as np

from ..model.cube import gap_to_target
from .site import Site, figures_at, headline_figures

API = "api/v1/"
DOWNLOADS = "unduh/"
REGION_FILES = API + "wilayah/"  # each region's JSON and CSV
METHODOLOGY = "metodologi/"
CHANGES = "perubahan/"
VERSION = 1
BOM = "\ufeff"
CSV_COLUMNS = ("period", "region_code", "region_name", "segment", "covered", "eligible")  # per region
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def region_json_path(code: str) -> str:
    return f"{API}wilayah/{code}.json"


def region_csv_path(code: str) -> str:
    return f"{API}wilayah/{code}.csv"


def region_files(site: Site, r: int) -> tuple[str, ...]:
    """Every file a region contributes: its page in each language, then its JSON and its CSV."""
    path, code = site.paths[r], site.tree.regions[r].code
    return (*(prefix + path + "index.html" for prefix in site.prefixes), region_json_path(code), region_csv_path(code))


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
        "target": target_figures(site, r),
        "coverage": [{"period": p, "segment": s, "covered": c, "eligible": e}
                     for p, s, c, e in (cells if cells is not None else coverage_cells(site, r))],
    }


def latest_figures(site: Site, r: int) -> dict | None:
    """The headline figures of the latest period (village ecosystem and vulnerable workers)."""
    p = len(site.cube.periods) - 1
    figures = figures_at(site, r, p)
    if figures is None:
        return None
    return {"period": site.cube.periods[p], "covered": figures["covered"], "eligible": figures["eligible"],
            "rate_pct": None if figures["rate"] is None else round(figures["rate"], 2),
            "gap_to_target": figures["gap"]}


def target_figures(site: Site, r: int) -> dict | None:
    """The target, when it is reached at the current pace, and the yearly cost of enrolling
    everyone still unprotected (as the region's page shows them)."""
    figures = headline_figures(site, r)
    if figures is None:
        return None
    return {
        "target_pct": float(site.config.target.coverage_pct),
        "target_year": site.config.target.year,
        "projection": figures["projection"],
        "projected_period": figures["projected_period"],
        "uncovered": figures["uncovered"],
        "yearly_cost_rp": figures["yearly_cost"],
        "monthly_premium_rp": site.rates.monthly_premium if site.rates else None,
        "add_year": figures["add"]["year"] if figures["add"] else None,
        "add_amount_rp": figures["add"]["amount"] if figures["add"] else None,
        "add_share_pct": round(figures["add"]["share_pct"], 2) if figures["add"] else None,
    }


def region_downloads(site: Site, r: int) -> tuple[bytes, bytes]:
    """The region's JSON and CSV, as bytes ready to write."""
    cells = coverage_cells(site, r)
    region = site.tree.regions[r]
    # The coverage list is joined as text, like the CSV rows below: periods are YYYY-MM, segment
    # ids match [a-z0-9_-] and counts are integers, so nothing in it needs escaping (91,600 regions
    # × 60 cells would otherwise be 5.5 million dicts). `coverage` is the record's last key.
    head = to_json(region_record(site, r, ()))
    assert head.endswith(b'"coverage":[]}\n')
    body = ",".join(f'{{"period":"{p}","segment":"{s}","covered":{c},"eligible":{"null" if e is None else e}}}'
                    for p, s, c, e in cells)
    record = head[:-len(b"]}\n")] + body.encode() + b"]}\n"
    # Periods, codes and segment ids are checked patterns and counts are digits: only the name can
    # need quoting or neutralising, so rows are joined directly (this runs for 90,000 regions).
    lead = f"{region.code},{csv_cell(region.name)},"
    lines = [f"{p},{lead}{s},{c},{'' if e is None else e}\r\n" for p, s, c, e in cells]
    text = BOM + ",".join(CSV_COLUMNS) + "\r\n" + "".join(lines)
    return record, text.encode("utf-8")


def index_json(site: Site) -> bytes:
    """Every region with its code, name, level, parent, page and latest figures.

    A national index has 91,600 entries, so its entries are joined as text (codes, levels and
    paths need no escaping; names go through json's own string encoder) rather than built as
    91,600 dicts."""
    head = index_head(site)
    return head.encode() + b",".join(entry.encode() for entry in index_entries(site, range(len(site.tree.regions)))) \
        + b"]}\n"


def index_head(site: Site) -> str:
    """The index up to the "[" that opens its list of regions."""
    p = len(site.cube.periods) - 1
    head = to_json({
        "api_version": VERSION,
        "as_of": site.config.as_of.isoformat(),
        "latest_period": site.cube.periods[p] if p >= 0 else None,
        "target_pct": float(site.config.target.coverage_pct),
        "segments": [{"id": s.id, "name": s.name.id, "name_en": s.name.en, "group": s.group}
                     for s in site.cube.segments],
        "regions": [],
    }).decode().rstrip()
    return head[:-len("[]}")] + "["


def index_entries(site: Site, rows) -> list[str]:
    """The index's entries of the regions `rows`, as JSON text."""
    tree = site.tree
    p = len(site.cube.periods) - 1
    totals, rates = site.headline, site.headline_rate[:, p]
    covered, eligible = totals.covered[:, p], totals.eligible[:, p]
    reported, unknown = totals.reported[:, p], totals.eligible_unknown[:, p]
    target = site.config.target.coverage_pct
    parents = tree.parent
    rows = list(rows)
    made = []
    for r, c, e, rep, unk, rate in zip(rows, covered[rows].tolist(), eligible[rows].tolist(),
                                       reported[rows].tolist(), unknown[rows].tolist(), rates[rows].tolist()):
        region, parent = tree.regions[r], int(parents[r])
        if rep:
            known = None if unk else e
            gap = gap_to_target(c, known, target) if known else None
            latest = (f'{{"covered":{c},"eligible":{json_number(known)},'
                      f'"rate_pct":{json_number(rate, 2)},"gap_to_target":{json_number(gap)}}}')
        else:
            latest = "null"
        parent_code = tree.regions[parent].code if parent >= 0 else None
        made.append(f'{{"code":"{region.code}","name":{encode_basestring(region.name)},'
                    f'"level":"{region.level}","parent_code":{json_number(parent_code)},'
                    f'"url":"{site.paths[r]}","latest":{latest}}}'.replace("<", "\\u003c"))
    return made


def json_number(value, digits: int | None = None) -> str:
    """A number (or a code) as JSON: None and NaN become null."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(round(value, digits)) if digits is not None else str(value)


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


def csv_cell(text: str) -> str:
    """One text cell, neutralised and quoted as the csv module would."""
    text = neutralise(text)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_bytes(header, rows) -> bytes:
    """UTF-8 with a BOM (so Excel reads Indonesian names right), text cells neutralised;
    numbers are written as they are (a negative number is not a formula)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([neutralise(cell) if isinstance(cell, str) else cell for cell in row] for row in rows)
    return (BOM + out.getvalue()).encode("utf-8")
