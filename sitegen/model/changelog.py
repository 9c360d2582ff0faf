"""What changed since the last published data: `sitegen build --previous <site folder or index.json>`.

Given the folder of the published site, the rows of its `unduh/cakupan.csv` and the regions of
its `unduh/wilayah.csv` are compared with this build's input: figures revised in months both
have, months that are new or gone, and regions added or removed. Given only a published
`api/v1/index.json`, the latest headline figures of every region are compared instead.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import Problems, tr
from ..schema import cell_key

SHOWN = 500  # changes listed on the changes page; all are counted


@dataclass(frozen=True)
class Change:
    region: int              # index into the tree
    segment: str | None      # None: the headline figures (when compared with an index.json)
    period: str
    before: tuple[int | None, int | None] | None   # (covered, eligible); None: not there before
    after: tuple[int | None, int | None] | None    # None: gone now


@dataclass
class Changelog:
    compared_with: str | None = None           # what the build was compared with; None: nothing
    changes: list[Change] = field(default_factory=list)
    new_periods: list[str] = field(default_factory=list)
    gone_periods: list[str] = field(default_factory=list)
    added_regions: list[str] = field(default_factory=list)     # codes
    removed_regions: list[tuple[str, str]] = field(default_factory=list)  # (code, name)

    def region_keys(self, regions: int) -> np.ndarray:
        """Per region, a 64-bit key of its own changes (0: none), for the incremental digests."""

        keys = np.zeros(regions, dtype=np.uint64)
        for r, changes in self.by_region().items():
            keys[r] = int.from_bytes(hashlib.blake2b(repr(changes).encode(), digest_size=8).digest(), "little")
        return keys

    def by_region(self) -> dict[int, list[Change]]:
        grouped: dict[int, list[Change]] = {}
        for change in self.changes:
            grouped.setdefault(change.region, []).append(change)
        return grouped


@dataclass(frozen=True)
class Previous:
    label: str
    rows: dict | None          # (period, code, segment) → (covered, eligible)
    regions: dict | None       # code → name
    latest: dict | None        # code → (period, covered, eligible), from an index.json


def load_previous(path: Path, problems: Problems) -> Previous | None:
    if path.is_dir():
        coverage, regions = path / "unduh" / "cakupan.csv", path / "unduh" / "wilayah.csv"
        if coverage.is_file() and regions.is_file():
            return Previous(str(path), read_rows(coverage, problems), read_regions(regions, problems), None)
        path = path / "api" / "v1" / "index.json"
    if not path.is_file():
        problems.error(path, None, tr("--previous needs the folder of the published site (with unduh/cakupan.csv) "
                                      "or its api/v1/index.json"))
        return None
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
        period = index["latest_period"]
        latest = {r["code"]: (period, r["latest"]["covered"], r["latest"]["eligible"])
                  for r in index["regions"] if r.get("latest")}
        names = {r["code"]: r["name"] for r in index["regions"]}
    except (ValueError, KeyError, TypeError) as exc:
        problems.error(path, None, tr("is not an api/v1/index.json published by sitegen ({reason})", reason=exc))
        return None
    return Previous(str(path), None, names, latest)


def read_rows(path: Path, problems: Problems) -> dict | None:
    """The published coverage rows as columns (a national file has five million of them)."""
    import polars as pl  # lazy: polars only when there is a previous release to compare with

    strip = pl.col("period", "region_code", "segment").str.strip_chars().cast(pl.Categorical)
    try:  # streamed in batches, with the text columns as categories: a national file needs ~1 GB less
        frame = pl.scan_csv(path, infer_schema=False).select(
            strip, pl.col("covered").str.strip_chars().cast(pl.Int64),
            pl.col("eligible").str.strip_chars().replace("", None).cast(pl.Int64).fill_null(-1),
        ).collect(engine="streaming")
    except (pl.exceptions.PolarsError, ValueError):
        problems.error(path, None, tr("is not a coverage download published by sitegen"))
        return None
    return {name: frame.get_column(name) for name in frame.columns}


def read_regions(path: Path, problems: Problems) -> dict:
    try:
        return {row["code"].lstrip("'"): row["name"].lstrip("'")
                for row in csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig")))}
    except KeyError:
        problems.error(path, None, tr("is not a region download published by sitegen"))
        return {}


def compare(previous: Previous | None, site, facts) -> Changelog:
    if previous is None:
        return Changelog()
    tree, cube = site.tree, site.cube
    log = Changelog(compared_with=previous.label)
    if previous.regions is not None:
        codes = {r.code for r in tree.regions}
        log.added_regions = sorted(codes - set(previous.regions))
        log.removed_regions = sorted((c, n) for c, n in previous.regions.items() if c not in codes)
    if previous.rows is not None:
        compare_rows(previous.rows, site, facts, log)
    elif previous.latest is not None:
        p = len(cube.periods) - 1
        for r, region in enumerate(tree.regions):
            if p < 0 or not site.headline.reported[r, p]:
                continue
            after = (int(site.headline.covered[r, p]),
                     None if site.headline.eligible_unknown[r, p] else int(site.headline.eligible[r, p]))
            old = previous.latest.get(region.code)
            before = (old[1], old[2]) if old and old[0] == cube.periods[p] else None
            if old and old[0] != cube.periods[p]:
                continue  # a new month: not a revision
            if before != after:
                log.changes.append(Change(r, None, cube.periods[p], before, after))
    return log


def compare_rows(old: dict, site, facts, log: Changelog) -> None:
    """Revised, added and removed rows, found by sorting cell keys rather than with dicts."""
    import polars as pl  # lazy: polars only when there is a previous release to compare with

    tree, cube = site.tree, site.cube
    segment_ids = [s.id for s in cube.segments]
    old_periods = sorted(set(old["period"].cast(pl.String).unique().to_list()))
    log.new_periods = sorted(set(cube.periods) - set(old_periods))
    log.gone_periods = sorted(set(old_periods) - set(cube.periods))
    periods = sorted(set(old_periods) | set(cube.periods))

    def index(column, labels):
        return (column.cast(pl.String).cast(pl.Enum(labels), strict=False).to_physical().fill_null(-1)
                .to_numpy().astype(np.int64))

    o_region = index(old["region_code"], [r.code for r in tree.regions])
    o_period, o_segment = index(old["period"], periods), index(old["segment"], segment_ids)
    keep = (o_region >= 0) & (o_segment >= 0)  # rows of removed regions are reported as removed regions
    n_periods, n_segments = len(periods), max(1, len(segment_ids))
    position = np.array([periods.index(p) for p in cube.periods], dtype=np.int64)
    old_key = cell_key(o_region, o_period, o_segment, n_periods, n_segments)[keep]
    old_value = np.stack([old["covered"].to_numpy(), old["eligible"].to_numpy()], axis=1)[keep]
    del o_region, o_period, o_segment, keep
    old.clear()  # five million strings: let them go before sorting keys
    new_key = cell_key(facts.region, position[facts.period], facts.segment, n_periods, n_segments)
    new_value = np.stack([facts.covered.astype(np.int64), facts.eligible.astype(np.int64)], axis=1)
    order = np.argsort(old_key, kind="stable")
    old_key, old_value = old_key[order], old_value[order]
    del order
    # Each new cell's place among the old ones: one binary search instead of set operations.
    at = np.minimum(np.searchsorted(old_key, new_key), max(0, len(old_key) - 1))
    matched = (old_key[at] == new_key) if len(old_key) else np.zeros(len(new_key), dtype=bool)
    in_new = np.flatnonzero(matched)
    in_old = at[in_new]
    common = new_key[in_new]
    differs = (old_value[in_old] != new_value[in_new]).any(axis=1)
    shared = set(old_periods) & set(cube.periods)
    found = [(int(k), tuple(old_value[i]), tuple(new_value[j]))
             for k, i, j in zip(common[differs], in_old[differs], in_new[differs])]
    unmatched_old = np.ones(len(old_key), dtype=bool)
    unmatched_old[in_old] = False
    found += [(int(k), tuple(v), None) for k, v in zip(old_key[unmatched_old], old_value[unmatched_old])]
    found += [(int(k), None, tuple(v)) for k, v in zip(new_key[~matched], new_value[~matched])]
    for key, before, after in sorted(found):
        cell, segment = divmod(key, n_segments)
        region, period = divmod(cell, n_periods)
        if periods[period] in shared:  # a whole new or gone month is reported as such
            log.changes.append(Change(region, segment_ids[segment], periods[period], figures(before), figures(after)))


def figures(pair) -> tuple[int, int | None] | None:
    if pair is None:
        return None
    covered, eligible = (int(v) for v in pair)
    return covered, None if eligible < 0 else eligible
