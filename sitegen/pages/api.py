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
from ..system import replace_atomically

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

    A national index has 91,600 entries and is rewritten whenever any figure changes, so
    its entries are joined as text (codes, levels and paths need no escaping; names go
    through json's own string encoder) rather than built as 91,600 dicts. After an update of
    the cube (cubestate), the last index is kept in the state folder with each entry's offset,
    and only the entries of regions whose figures changed are made again."""
    tree = site.tree
    p = len(site.cube.periods) - 1
    totals, rates = site.headline, site.headline_rate[:, p]
    covered, eligible = totals.covered[:, p], totals.eligible[:, p]
    reported, unknown = totals.reported[:, p], totals.eligible_unknown[:, p]
    target = site.config.target.coverage_pct
    codes = [region.code for region in tree.regions]
    parents = tree.parent.tolist()

    def entries(rows) -> list[str]:
        made = []
        for r, c, e, rep, unk, rate in zip(rows, covered[rows].tolist(), eligible[rows].tolist(),
                                           reported[rows].tolist(), unknown[rows].tolist(), rates[rows].tolist()):
            region, parent = tree.regions[r], parents[r]
            if rep:
                known = None if unk else e
                gap = gap_to_target(c, known, target) if known else None
                latest = (f'{{"covered":{c},"eligible":{json_number(known)},'
                          f'"rate_pct":{json_number(rate, 2)},"gap_to_target":{json_number(gap)}}}')
            else:
                latest = "null"
            made.append(f'{{"code":"{region.code}","name":{encode_basestring(region.name)},'
                        f'"level":"{region.level}","parent_code":{json_number(codes[parent] if parent >= 0 else None)},'
                        f'"url":"{site.paths[r]}","latest":{latest}}}'.replace("<", "\\u003c"))
        return made

    head = to_json({
        "api_version": VERSION,
        "as_of": site.config.as_of.isoformat(),
        "latest_period": site.cube.periods[p] if p >= 0 else None,
        "target_pct": float(target),
        "segments": [{"id": s.id, "name": s.name.id, "name_en": s.name.en, "group": s.group}
                     for s in site.cube.segments],
        "regions": [],
    }).decode().rstrip()
    head = head[:-len("[]}")] + "["
    history = getattr(site.cube, "history", None)
    folder = history[3] if history else None
    key = index_key(site, head) if folder is not None else ""
    cached = read_index(folder, key) if folder is not None and history[1] else None
    if cached is not None and cached[0] == history[1] and len(cached[2]) == len(tree.regions) + 1:
        text, offsets = splice(cached[1], cached[2], history[2].tolist(), entries)
    else:
        made = [entry.encode() for entry in entries(list(range(len(tree.regions))))]
        start = len(head.encode())
        text = head.encode() + b",".join(made) + b"]}\n"
        lengths = np.fromiter((len(m) for m in made), dtype=np.int64, count=len(made)) + 1  # with its comma
        offsets = np.concatenate([[start], start + np.cumsum(lengths)])
    if folder is not None:
        from ..fast.cubestate import in_background

        in_background(write_index, folder, key, history[0], text, offsets)
    return text


def splice(text: bytes, offsets: np.ndarray, changed: list[int], entries) -> tuple[bytes, np.ndarray]:
    """The index with the entries of `changed` regions made again; `offsets[r]` is where entry r
    starts, `offsets[-1]` one past the last entry's comma (or where "]}" starts)."""
    parts, at, shift = [], int(offsets[0]), np.zeros(len(offsets), dtype=np.int64)
    parts.append(text[:at])
    made = entries(changed)
    count = len(offsets) - 1
    for r, entry in zip(changed, made):
        start, end = int(offsets[r]), int(offsets[r + 1])
        parts.append(text[at:start])
        encoded = entry.encode() + (b"," if r < count - 1 else b"")
        if r == count - 1:
            end = end - 1  # the last entry has no comma: offsets[-1] counted one
        parts.append(encoded)
        shift[r + 1:] += len(encoded) - (end - start)
        at = end
    parts.append(text[at:])
    return b"".join(parts), offsets + shift


def index_key(site: Site, head: str) -> str:
    import hashlib

    from ..fast.cache import code_digest

    regions = site.tree.regions
    digest = hashlib.sha256(code_digest() + head.encode())
    for column in ([r.code for r in regions], [r.name for r in regions], [r.level for r in regions], site.paths):
        digest.update("\0".join(column).encode() + b"\1")
    digest.update(site.tree.parent.tobytes())
    return digest.hexdigest()[:24]


def read_index(folder, key: str):
    """(rows id, text, offsets) of the index kept in the state folder, if it was made with `key`."""
    try:
        with np.load(folder / "index-offsets.npz", allow_pickle=False) as stored:
            meta = json.loads(bytes(stored["meta"]).decode())
            offsets = stored["offsets"]
        if meta.get("key") != key:
            return None
        text = (folder / f"index-{meta['name']}.json").read_bytes()
        if len(text) != meta["size"]:
            return None
        return meta["rows"], text, offsets
    except Exception:  # noqa: BLE001 - no index kept: made in full
        return None


def write_index(folder, key: str, rows: str, text: bytes, offsets: np.ndarray) -> None:
    """The text under a name of its own, then the offsets naming it (each replaced atomically)."""
    import hashlib

    name = hashlib.sha256(text).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"index-{name}.json"
    if not target.exists():
        replace_atomically(target, text)
    meta = json.dumps({"key": key, "rows": rows, "name": name, "size": len(text)}).encode()
    replace_atomically(folder / "index-offsets.npz",
                       lambda file: np.savez(file, meta=np.frombuffer(meta, dtype=np.uint8), offsets=offsets))
    for old in folder.glob("index-*.json"):
        if old.name != target.name:
            old.unlink(missing_ok=True)


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
