"""What changed since the last published data: `sitegen build --previous <site folder or index.json>`.

Given the folder of the published site, the rows of its `unduh/cakupan.csv` and the regions of
its `unduh/wilayah.csv` are compared with this build's input: figures revised in months both
have, months that are new or gone, and regions added or removed. Given only a published
`api/v1/index.json`, the latest headline figures of every region are compared instead.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import Problems

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
        import hashlib

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
        problems.error(path, None, "--previous needs the folder of the published site (with unduh/cakupan.csv) "
                                   "or its api/v1/index.json")
        return None
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
        period = index["latest_period"]
        latest = {r["code"]: (period, r["latest"]["covered"], r["latest"]["eligible"])
                  for r in index["regions"] if r.get("latest")}
        names = {r["code"]: r["name"] for r in index["regions"]}
    except (ValueError, KeyError, TypeError) as exc:
        problems.error(path, None, f"is not an api/v1/index.json published by sitegen ({exc})")
        return None
    return Previous(str(path), None, names, latest)


def read_rows(path: Path, problems: Problems) -> dict:
    rows = {}
    for row in csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))):
        try:
            eligible = row["eligible"].strip()
            rows[(row["period"].strip(), row["region_code"].strip(), row["segment"].strip())] = (
                int(row["covered"]), int(eligible) if eligible else None)
        except (KeyError, ValueError):
            problems.error(path, None, "is not a coverage download published by sitegen")
            return {}
    return rows


def read_regions(path: Path, problems: Problems) -> dict:
    try:
        return {row["code"].lstrip("'"): row["name"].lstrip("'")
                for row in csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig")))}
    except KeyError:
        problems.error(path, None, "is not a region download published by sitegen")
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
        now = current_rows(site, facts)
        old_periods = {key[0] for key in previous.rows}
        new_periods = {key[0] for key in now}
        log.new_periods, log.gone_periods = sorted(new_periods - old_periods), sorted(old_periods - new_periods)
        for key in sorted(set(now) | set(previous.rows)):
            period, code, segment = key
            if period not in old_periods or period not in new_periods or code not in tree.index:
                continue  # a whole new or gone month is reported as such; a removed region too
            before, after = previous.rows.get(key), now.get(key)
            if before != after:
                log.changes.append(Change(tree.index[code], segment, period, before, after))
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


def current_rows(site, facts) -> dict:
    """(period, region code, segment) → (covered, eligible) of this build's input rows."""
    tree = site.tree
    periods, segments = site.cube.periods, [s.id for s in site.cube.segments]
    codes = [r.code for r in tree.regions]
    eligible = np.where(facts.eligible < 0, -1, facts.eligible).tolist()
    return {(periods[p], codes[r], segments[s]): (c, None if e < 0 else e)
            for r, p, s, c, e in zip(facts.region.tolist(), facts.period.tolist(), facts.segment.tolist(),
                                     facts.covered.tolist(), eligible)}
