"""What a page depends on, as digests, so a rebuild renders only pages whose inputs changed.

A page's digest covers everything its bytes are made from: a *global* digest (the
code, templates, assets, YAML files, regions.csv, the list of months, library
versions and options) and the figures of the regions the page shows — its own
cube rows, the latest figures of its children, and the rounded rates of its
parent and of the root it is compared with. When the global digest changes,
everything is rebuilt: correctness over speed.

The digests of the last build live in the cache folder, tied to the output
folder by a build id that is also written into the output's marker file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np

from .pages import Site

PACKAGE = Path(__file__).parent
LIBRARIES = ("jinja2", "altair", "vl-convert-python", "babel", "markupsafe", "numpy", "polars")
FORMAT = 1


@dataclass(frozen=True)
class BuildRecord:
    build_id: str
    global_digest: str
    pages: dict[str, str]    # site-relative page path → digest of its inputs
    files: list[str]         # every file of the build


def hash_tree(digest, folder: Path | None) -> None:
    if not folder or not folder.is_dir():
        digest.update(b"<none>")
        return
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(folder)).encode() + b"\0")
        digest.update(path.read_bytes())


def global_digest(data: Path, content: Path, templates: Path, assets: Path, settings: dict, periods) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps([FORMAT, settings, list(periods), [version(lib) for lib in LIBRARIES]],
                             sort_keys=True, default=str).encode())
    hash_tree(digest, PACKAGE)
    hash_tree(digest, content)  # news appear on region pages: any change to it rebuilds everything
    hash_tree(digest, templates)
    hash_tree(digest, assets)
    for name in ("site.yaml", "segments.yaml", "sources.yaml", "regions.csv"):
        digest.update((data / name).read_bytes())
    return digest.hexdigest()


def page_digests(site: Site, global_hex: str, numbers) -> list[str]:
    """One digest per region page, from the figures that page shows.

    Rates of other regions enter as the page shows them (the formatted percent and
    the rounded chart value), so a village's change rebuilds the pages of its parents
    but not every page that merely compares itself with a national rate that,
    as shown, did not move.

    The hashing is vectorised: each region's numbers are folded with random odd
    64-bit coefficients (two lanes, seeded by the global digest). Any change to a
    single number always changes the result; several changes collide with
    probability about 2^-128.
    """
    cube, tree = site.cube, site.tree
    regions = len(tree.regions)
    rng = np.random.default_rng(int(global_hex[:16], 16))
    own = np.concatenate([
        cube.covered.reshape(regions, -1), cube.eligible.reshape(regions, -1),
        cube.reported.reshape(regions, -1), cube.eligible_unknown.reshape(regions, -1), cube.uses_source,
    ], axis=1, dtype=np.int64).view(np.uint64)
    latest = len(cube.periods) - 1
    shown_rate = np.array([shown_key(float(value), numbers) for value in site.headline_rate[:, latest].tolist()],
                          dtype=np.uint64)
    counts = np.stack([site.headline.covered[:, latest], site.headline.eligible[:, latest],
                       site.headline.reported[:, latest], site.headline.eligible_unknown[:, latest]],
                      axis=1).astype(np.int64).view(np.uint64)
    child_view = np.concatenate([counts, shown_rate[:, None]], axis=1)

    def fold(matrix):
        return matrix @ (rng.integers(0, 2**63, size=(matrix.shape[1], 2), dtype=np.uint64) * 2 + 1)

    with np.errstate(over="ignore"):
        own_hash = fold(own)
        child_hash = fold(child_view) * (rng.integers(0, 2**63, size=(regions, 1), dtype=np.uint64) * 2 + 1)
        children_hash = np.zeros((regions, 2), dtype=np.uint64)
        has_parent = tree.parent >= 0
        np.add.at(children_hash, tree.parent[has_parent], child_hash[has_parent])
        parent = np.where(has_parent, tree.parent, np.arange(regions))
        lanes = fold(np.stack([own_hash[:, 0], own_hash[:, 1], shown_rate[parent],
                               np.full(regions, shown_rate[tree.root]), children_hash[:, 0], children_hash[:, 1]], axis=1))
    return [f"{a:016x}{b:016x}" for a, b in lanes.tolist()]


def shown_key(rate: float, numbers) -> int:
    return int.from_bytes(hashlib.blake2b(shown(rate, numbers), digest_size=8).digest(), "little")


def shown(rate: float, numbers) -> bytes:
    """A rate as pages show it: in tables (one decimal) and in chart data (two)."""
    if rate != rate:  # NaN: no rate
        return b"-|"
    return f"{numbers.percent(rate)}|{round(rate, 2)!r}|".encode()


def record_path(cache_dir: Path, out: Path) -> Path:
    key = hashlib.sha1(str(out.absolute()).encode()).hexdigest()[:16]
    return cache_dir / "builds" / f"{key}.json"


def read_record(cache_dir: Path | None, out: Path, marker_build_id: str | None) -> BuildRecord | None:
    """The last build's record, if it matches the output folder as it is now."""
    if cache_dir is None or marker_build_id is None:
        return None
    try:
        raw = json.loads(record_path(cache_dir, out).read_text(encoding="utf-8"))
        record = BuildRecord(raw["build_id"], raw["global"], raw["pages"], raw["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record if record.build_id == marker_build_id else None


def write_record(cache_dir: Path, out: Path, global_hex: str, pages: dict[str, str], files: list[str]) -> str:
    """Store the record; returns its build id (to be written into the output's marker)."""
    body = json.dumps({"global": global_hex, "pages": pages, "files": sorted(files)}, sort_keys=True)
    build_id = hashlib.blake2b(body.encode(), digest_size=16).hexdigest()
    path = record_path(cache_dir, out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps({"build_id": build_id, "global": global_hex, "pages": pages,
                               "files": sorted(files)}), encoding="utf-8")
    tmp.replace(path)
    return build_id
