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
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np

from ..pages.families import CHILDREN_LATEST, OWN_CHANGES, OWN_FIGURES, PARENT_RATE, ROOT_RATE, SITE
from ..pages.site import Site
from ..system import replace_atomically

PACKAGE = Path(__file__).parent.parent
LIBRARIES = ("jinja2", "altair", "vl-convert-python", "babel", "markupsafe", "numpy", "polars", "pillow")
FORMAT = 5


# What page_inputs folds into a region page's digest (see pages.families.REGION_PAGE_SHOWS): SITE
# through the global digest, the rest region by region.
DIGESTED = frozenset({SITE, OWN_FIGURES, CHILDREN_LATEST, PARENT_RATE, ROOT_RATE, OWN_CHANGES})


@dataclass(frozen=True)
class PageInputs:
    """Per region page: the digest of its inputs, and the rate as other pages show it."""

    digests: np.ndarray      # [region, 2] uint64
    rates: np.ndarray        # [region] latest headline rate (NaN: none)
    shown: np.ndarray        # [region] uint64 key of the rate as formatted on pages
    rows: str = ""           # the coverage rows the cube was made of (cubestate), "" when unknown
    extra: np.ndarray | None = None  # [region] the per-region keys folded in (data changes since --previous)


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
    for optional in ("rates.yaml", "budgets.csv", "budgets.xlsx", "figures.yaml"):
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

    When the cube says which regions' cells changed since the rows the previous digests were
    made from, only the digests that can differ are computed again (the same numbers, row by row).
    """
    cube, tree = site.cube, site.tree
    regions = len(tree.regions)
    latest = len(cube.periods) - 1
    rates = site.headline_rate[:, latest]
    shown_rate = shown_keys(rates, numbers, previous)
    extra = extra if extra is not None else np.zeros(regions, dtype=np.uint64)
    rng = np.random.default_rng(int(global_hex[:16], 16))
    own_arrays = [a.view(np.uint64) if a.dtype == np.int64 else a
                  for a in (cube.covered, cube.eligible, cube.reported, cube.eligible_unknown, cube.uses_source, extra)]
    # The coefficients, drawn in one fixed order (the digests must not depend on which rows are computed).
    own_coefficients = [odd(rng, (int(np.prod(a.shape[1:], dtype=np.int64)), 2)) for a in own_arrays]
    child_coefficients = odd(rng, (5, 2))
    child_factor = odd(rng, (regions, 1))
    final_coefficients = odd(rng, (6, 2))
    history = cube.history
    rows_id = history.rows if history else ""
    todo = None
    if (previous is not None and history and history.previous and history.changed is not None
            and previous.rows == history.previous
            and previous.extra is not None and np.array_equal(previous.extra, extra)
            and previous.digests.shape == (regions, 2) and len(previous.shown) == regions):
        todo = regions_to_digest(tree, history.changed, np.flatnonzero(shown_rate != previous.shown))
    counts = np.stack([site.headline.covered[:, latest], site.headline.eligible[:, latest],
                       site.headline.reported[:, latest], site.headline.eligible_unknown[:, latest]],
                      axis=1).astype(np.int64).view(np.uint64)
    has_parent = tree.parent >= 0
    parent = np.where(has_parent, tree.parent, np.arange(regions))

    with np.errstate(over="ignore"):
        def own_of(rows):
            total = np.zeros((len(rows), 2), dtype=np.uint64)
            for a, coefficients in zip(own_arrays, own_coefficients):
                total += a[rows].reshape(len(rows), -1).astype(np.uint64, copy=False) @ coefficients
            return total

        def child_of(rows):
            matrix = np.concatenate([counts[rows], shown_rate[rows, None]], axis=1)
            return (matrix @ child_coefficients) * child_factor[rows]

        if todo is None:
            rows = np.arange(regions)
            own = own_of(rows)
            child = child_of(rows)
            children = np.zeros((regions, 2), dtype=np.uint64)
            np.add.at(children, tree.parent[has_parent], child[has_parent])
            digests = np.stack([own[:, 0], own[:, 1], shown_rate[parent], np.full(regions, shown_rate[tree.root]),
                                children[:, 0], children[:, 1]], axis=1) @ final_coefficients
        else:
            digests = previous.digests.copy()
            if todo.size:
                own = own_of(todo)
                children = np.zeros((len(todo), 2), dtype=np.uint64)
                for k, r in enumerate(todo.tolist()):
                    kids = np.array(tree.children[r], dtype=np.int64)
                    if kids.size:
                        children[k] = child_of(kids).sum(axis=0, dtype=np.uint64)
                digests[todo] = np.stack([own[:, 0], own[:, 1], shown_rate[parent[todo]],
                                          np.full(len(todo), shown_rate[tree.root]), children[:, 0], children[:, 1]],
                                         axis=1) @ final_coefficients
    return PageInputs(digests, rates.copy(), shown_rate, rows_id, extra.copy())


def odd(rng, shape) -> np.ndarray:
    return rng.integers(0, 2**63, size=shape, dtype=np.uint64) * 2 + 1


def regions_to_digest(tree, changed_cells: np.ndarray, changed_shown: np.ndarray) -> np.ndarray | None:
    """The pages whose digest can differ: those whose own cells changed, those whose parent's shown
    rate changed, and the parents of both (their children's figures). None: all of them."""
    if tree.root in set(changed_shown.tolist()):
        return None  # every page compares itself with the root
    changed = np.union1d(changed_cells.astype(np.int64), changed_shown.astype(np.int64))
    if changed.size > len(tree.regions) // 8:
        return None
    below = [np.array(tree.children[r], dtype=np.int64) for r in changed_shown.tolist()]
    parents = tree.parent[changed]
    return np.union1d(np.union1d(changed, parents[parents >= 0]),
                      np.concatenate(below) if below else np.zeros(0, np.int64))


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
    path = record_path(cache_dir, out)
    try:
        with np.load(path) as stored:
            meta = json.loads(bytes(stored["meta"]).decode())
            pages = PageInputs(stored["digests"], stored["rates"], stored["shown"], meta.get("rows", ""),
                               stored["extra"] if "extra" in stored else None)
        listing = path.with_suffix(".files").read_bytes()  # one read: 15 MB of names, not a zip member
    except Exception:  # noqa: BLE001 - a damaged record only makes this a full build
        return None
    if meta.get("build_id") != marker_build_id or meta.get("format") != FORMAT or \
            record_id(meta["global"], pages, listing) != marker_build_id:  # (the listing is a file of its own)
        return None
    files = listing.decode().split("\n")
    return BuildRecord(marker_build_id, meta["global"], pages, files, meta.get("downloads", ""))


def record_id(global_hex: str, pages: PageInputs, listing: bytes) -> str:
    return hashlib.sha256(global_hex.encode() + pages.digests.tobytes() + listing).hexdigest()[:32]


def write_record(cache_dir: Path, out: Path, global_hex: str, pages: PageInputs, files: list[str],
                 downloads: str) -> str:
    """Store the record; returns its build id (to be written into the output's marker)."""
    listing = "\n".join(files).encode()
    build_id = record_id(global_hex, pages, listing)
    meta = json.dumps({"format": FORMAT, "build_id": build_id, "global": global_hex,
                       "downloads": downloads, "rows": pages.rows}).encode()
    path = record_path(cache_dir, out)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_atomically(path.with_suffix(".files"), listing)
    replace_atomically(path, lambda file: np.savez(
        file, meta=np.frombuffer(meta, dtype=np.uint8), digests=pages.digests, rates=pages.rates,
        shown=pages.shown, **({"extra": pages.extra} if pages.extra is not None else {})))
    return build_id
