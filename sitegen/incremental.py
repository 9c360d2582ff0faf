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
FORMAT = 3


@dataclass(frozen=True)
class PageInputs:
    """Per region page: the digest of its inputs, and the rate as other pages show it."""

    digests: np.ndarray      # [region, 2] uint64
    rates: np.ndarray        # [region] latest headline rate (NaN: none)
    shown: np.ndarray        # [region] uint64 key of the rate as formatted on pages


@dataclass(frozen=True)
class BuildRecord:
    build_id: str
    global_digest: str
    pages: PageInputs
    files: list[str]         # every file of the build
    downloads: str = ""      # digest of everything the download folder is made from


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
    for optional in ("rates.yaml", "budgets.csv"):
        path = data / optional
        digest.update(path.read_bytes() if path.exists() else f"<no {optional}>".encode())
    hash_tree(digest, data / "boundaries")
    return digest.hexdigest()


def downloads_digest(data: Path, coverage_digest: str) -> str:
    """What the download folder is made from: coverage.csv (by its pieces' digests), the other
    data files and sitegen's code."""
    digest = hashlib.sha256(coverage_digest.encode())
    hash_tree(digest, PACKAGE)
    for name in ("site.yaml", "segments.yaml", "sources.yaml", "regions.csv"):
        digest.update((data / name).read_bytes())
    return digest.hexdigest()


def page_inputs(site: Site, global_hex: str, numbers, previous: PageInputs | None = None,
                extra: np.ndarray | None = None) -> PageInputs:
    """The digest of every region page's inputs, from the figures that page shows.

    Rates of other regions enter as the page shows them (the formatted percent and the
    rounded chart value), so a village's change rebuilds the pages of its parents but not
    every page that merely compares itself with a national rate that, as shown, did not
    move. Formatting 90,000 rates is slow, so rates equal to the previous build's reuse
    its keys.

    The hashing is vectorised: each region's numbers are folded with random odd 64-bit
    coefficients (two lanes, seeded by the global digest). Any change to a single number
    always changes the result; several changes collide with probability about 2^-128.
    """
    cube, tree = site.cube, site.tree
    regions = len(tree.regions)
    latest = len(cube.periods) - 1
    rates = site.headline_rate[:, latest]
    shown_rate = shown_keys(rates, numbers, previous)
    rng = np.random.default_rng(int(global_hex[:16], 16))

    def fold(matrix):
        return matrix @ (rng.integers(0, 2**63, size=(matrix.shape[1], 2), dtype=np.uint64) * 2 + 1)

    def as_words(array):
        return array.reshape(regions, -1).astype(np.uint64, copy=False)

    with np.errstate(over="ignore"):
        own = sum((fold(as_words(a.view(np.uint64) if a.dtype == np.int64 else a))
                   for a in (cube.covered, cube.eligible, cube.reported, cube.eligible_unknown, cube.uses_source,
                             extra if extra is not None else np.zeros(regions, dtype=np.uint64))),
                  start=np.zeros((regions, 2), dtype=np.uint64))
        counts = np.stack([site.headline.covered[:, latest], site.headline.eligible[:, latest],
                           site.headline.reported[:, latest], site.headline.eligible_unknown[:, latest]],
                          axis=1).astype(np.int64).view(np.uint64)
        child = fold(np.concatenate([counts, shown_rate[:, None]], axis=1))
        child *= rng.integers(0, 2**63, size=(regions, 1), dtype=np.uint64) * 2 + 1
        children = np.zeros((regions, 2), dtype=np.uint64)
        has_parent = tree.parent >= 0
        np.add.at(children, tree.parent[has_parent], child[has_parent])
        parent = np.where(has_parent, tree.parent, np.arange(regions))
        digests = fold(np.stack([own[:, 0], own[:, 1], shown_rate[parent], np.full(regions, shown_rate[tree.root]),
                                 children[:, 0], children[:, 1]], axis=1))
    return PageInputs(digests, rates.copy(), shown_rate)


def shown_keys(rates: np.ndarray, numbers, previous: PageInputs | None) -> np.ndarray:
    keys = np.zeros(len(rates), dtype=np.uint64)
    todo = np.arange(len(rates))
    if previous is not None and len(previous.rates) == len(rates):
        same = (rates == previous.rates) | (np.isnan(rates) & np.isnan(previous.rates))
        keys[same] = previous.shown[same]
        todo = np.flatnonzero(~same)
    for r, value in zip(todo.tolist(), rates[todo].tolist()):
        keys[r] = shown_key(value, numbers)
    return keys


def shown_key(rate: float, numbers) -> int:
    return int.from_bytes(hashlib.blake2b(shown(rate, numbers), digest_size=8).digest(), "little")


def shown(rate: float, numbers) -> bytes:
    """A rate as pages show it: in tables (one decimal) and in chart data (two)."""
    if rate != rate:  # NaN: no rate
        return b"-|"
    return f"{numbers.percent(rate)}|{round(rate, 2)!r}|".encode()


def record_path(cache_dir: Path, out: Path) -> Path:
    key = hashlib.sha256(str(out.absolute()).encode()).hexdigest()[:16]
    return cache_dir / "builds" / f"{key}.npz"


def read_record(cache_dir: Path | None, out: Path, marker_build_id: str | None) -> BuildRecord | None:
    """The last build's record, if it matches the output folder as it is now."""
    if cache_dir is None or marker_build_id is None:
        return None
    try:
        with np.load(record_path(cache_dir, out)) as stored:
            meta = json.loads(bytes(stored["meta"]).decode())
            pages = PageInputs(stored["digests"], stored["rates"], stored["shown"])
            files = bytes(stored["files"]).decode().split("\n")
    except Exception:  # noqa: BLE001 - a damaged record only makes this a full build
        return None
    if meta.get("build_id") != marker_build_id or meta.get("format") != FORMAT:
        return None
    return BuildRecord(marker_build_id, meta["global"], pages, files, meta.get("downloads", ""))


def write_record(cache_dir: Path, out: Path, global_hex: str, pages: PageInputs, files, downloads: str) -> str:
    """Store the record; returns its build id (to be written into the output's marker)."""
    listing = "\n".join(sorted(files)).encode()
    digest = hashlib.sha256(global_hex.encode() + pages.digests.tobytes() + listing)
    build_id = digest.hexdigest()[:32]
    meta = json.dumps({"format": FORMAT, "build_id": build_id, "global": global_hex,
                       "downloads": downloads}).encode()
    path = record_path(cache_dir, out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}.npz")
    np.savez(tmp, meta=np.frombuffer(meta, dtype=np.uint8), digests=pages.digests, rates=pages.rates,
             shown=pages.shown, files=np.frombuffer(listing, dtype=np.uint8))
    tmp.replace(path)
    return build_id
