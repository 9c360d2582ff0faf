"""The region tree and the coverage cube: every region × period × segment, rolled up.

Figures live in dense numpy arrays indexed by region, so roll-ups for all of
Indonesia are a handful of vectorised sums rather than 90,000 Python loops, and
worker processes can share them without copying.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

import numpy as np

from ..inputs.coverage import CoverageFacts
from ..schema import cell_key
from ..inputs.data import HEADLINE_GROUPS, LEVELS, Region, Segment, Source


@dataclass(frozen=True)
class Tree:
    regions: tuple[Region, ...]        # sorted by code: each parent before its children
    index: dict[str, int]
    parent: np.ndarray                 # region → parent region, -1 for the root
    children: Children
    root: int
    depth: np.ndarray                  # region → position of its level in LEVELS

    def ancestors(self, r: int) -> list[int]:
        """From the root down to the parent of r."""
        chain = []
        p = int(self.parent[r])
        while p >= 0:
            chain.append(p)
            p = int(self.parent[p])
        return chain[::-1]


class Children:
    """`children[r]`: the regions whose parent is r, in code order, as a tuple.

    Made from the parent array in one sort rather than 90,000 lists, since an update
    build looks at the children of a few dozen regions only."""

    def __init__(self, parent: np.ndarray):
        self._order = np.argsort(parent, kind="stable")
        self._start = np.searchsorted(parent[self._order], np.arange(len(parent) + 1))

    def __getitem__(self, r: int) -> tuple[int, ...]:
        return tuple(self._order[self._start[r]:self._start[r + 1]].tolist())

    def __len__(self) -> int:
        return len(self._start) - 1


def build_tree(regions: list[Region], root_code: str) -> Tree:
    index = {region.code: i for i, region in enumerate(regions)}
    parent = np.array([index.get(r.parent_code, -1) if r.code != root_code else -1 for r in regions], dtype=np.int64)
    level_number = {level: i for i, level in enumerate(LEVELS)}
    depth = np.array([level_number[r.level] for r in regions], dtype=np.int64)
    return Tree(tuple(regions), index, parent, Children(parent), index[root_code], depth)


@dataclass(frozen=True)
class Cube:
    """Coverage per [region, period, segment], each parent the sum of its children.

    `eligible_unknown` marks cells where some contributing row left eligible empty:
    those cells get no rate, never an invented one.
    """

    periods: tuple[str, ...]
    segments: tuple[Segment, ...]
    sources: tuple[Source, ...]
    covered: np.ndarray
    eligible: np.ndarray
    reported: np.ndarray
    eligible_unknown: np.ndarray
    uses_source: np.ndarray            # [region, source]: the source backs some figure of the region
    # segment group → (covered, eligible, rows, rows with eligible unknown) per [region, period], summed
    # over the group's segments: totals() over whole groups adds these instead of summing the cube.
    group_totals: dict | None = field(default=None, compare=False, repr=False)
    # fast.cube.CubeHistory, when the fast path made the cube: which rows, and what changed since.
    history: object | None = field(default=None, compare=False, repr=False)


CELL_ARRAYS = ("covered", "eligible", "rows", "unknown")      # [region, period, segment]
ROW_COUNTS = ("rows", "unknown")  # cell arrays that count rows (32 bits); the others sum people (maybe 64)
GROUP_ARRAYS = ("covered", "eligible", "rows", "unknown")     # per segment group: [region, period]


def cell_amounts(rows) -> dict[str, np.ndarray]:
    """What each row adds to its cell in each of the CELL_ARRAYS; every other cube figure is a sum of these."""
    return {"covered": rows.covered, "eligible": np.maximum(rows.eligible, 0),
            "rows": np.ones(len(rows.region), dtype=np.int32), "unknown": rows.eligible < 0}


def build_cube(tree: Tree, facts: CoverageFacts, segments, sources) -> Cube:
    """The cube: each row's counts put in its cell, then rolled up the tree."""
    total = int(facts.eligible.sum(dtype=np.int64)) + int(facts.covered.sum(dtype=np.int64)) + len(facts.region)
    shapes = array_shapes(tree, facts.periods, segments, sources, total)
    arrays = counted_arrays(tree, facts, shapes, segments, segment_groups(segments), len(sources))
    return assemble_cube(facts.periods, segments, sources, arrays)


def segment_groups(segments) -> list[str]:
    return list(dict.fromkeys(s.group for s in segments))


def array_names(groups) -> list[str]:
    return [*(f"cell-{n}" for n in CELL_ARRAYS), "sources",
            *(f"group-{i}-{n}" for i in range(len(groups)) for n in GROUP_ARRAYS)]


def count_type(total: int):
    """No roll-up can exceed the sum of all rows (`total`): when that fits in 32 bits, so does every
    cell, and the cube takes half the memory (and half the time to fill)."""
    return np.int32 if total < 2**31 else np.int64


def array_shapes(tree: Tree, periods, segments, sources, total: int) -> dict:
    """Each of the cube's arrays by name: (shape, dtype)."""
    shape = (len(tree.regions), len(periods), len(segments))
    counts = count_type(total)
    shapes = {name: ((shape[0], shape[1]), np.dtype(np.int64))
              for name in array_names(segment_groups(segments)) if name.startswith("group-")}
    shapes.update({f"cell-{name}": (shape, np.dtype(np.int32 if name in ROW_COUNTS else counts))
                   for name in CELL_ARRAYS})
    shapes["sources"] = ((shape[0], len(sources)), np.dtype(np.int32))
    return shapes


def assemble_cube(periods, segments, sources, arrays: dict, history=None) -> Cube:
    plain = {name: array.view(np.ndarray) for name, array in arrays.items()}
    group_totals = {group: tuple(plain[f"group-{i}-{n}"] for n in GROUP_ARRAYS)
                    for i, group in enumerate(segment_groups(segments))}
    return Cube(tuple(periods), tuple(segments), tuple(sources), plain["cell-covered"], plain["cell-eligible"],
                plain["cell-rows"] > 0, plain["cell-unknown"] > 0, plain["sources"] > 0, group_totals, history)


def counted_arrays(tree: Tree, facts: CoverageFacts, shapes: dict, segments, groups, n_sources) -> dict:
    arrays = {name: np.zeros(*spec) for name, spec in shapes.items() if not name.startswith("group-")}
    shape = shapes["cell-covered"][0]
    # One flat index per row, computed once, instead of a three-way fancy index per array.
    region = facts.region.astype(np.int64)
    cell = cell_key(region, facts.period, facts.segment, shape[1], shape[2])
    for name, amount in cell_amounts(facts).items():
        arrays[f"cell-{name}"].reshape(-1)[cell] = amount  # one row per cell: set, not added
    arrays["sources"][:] = np.bincount(region * n_sources + facts.source,
                                       minlength=shape[0] * n_sources).reshape(shape[0], n_sources)
    roll_up(tree, *arrays.values())
    for i, group in enumerate(groups):
        members = [k for k, s in enumerate(segments) if s.group == group]
        for n in GROUP_ARRAYS:
            arrays[f"group-{i}-{n}"] = arrays[f"cell-{n}"][:, :, members].sum(axis=2, dtype=np.int64)
    return arrays


def roll_up(tree: Tree, *arrays: np.ndarray) -> None:
    """Add every region's figures into its parent, deepest level first."""
    depth = tree.depth
    for level in range(len(LEVELS) - 1, 0, -1):
        rows = np.flatnonzero((depth == level) & (tree.parent >= 0))
        if rows.size == 0:
            continue
        parents = tree.parent[rows]
        # Regions are sorted by code, so the children of one parent are consecutive: summing
        # runs with reduceat is much faster than np.add.at on five million cells.
        starts = np.flatnonzero(np.r_[True, parents[1:] != parents[:-1]])
        if np.any(np.diff(parents[starts]) <= 0):
            raise ValueError("regions are not grouped by parent")
        targets = parents[starts]
        ends = np.r_[starts[1:], len(rows)]
        # Leaves of the deepest level sit next to each other in the arrays themselves (a village's
        # siblings follow it directly): sum the runs in place instead of copying nine tenths of the cube.
        in_place = bool(np.all(rows[ends - 1] - rows[starts] == ends - 1 - starts))
        bounds = np.stack([rows[starts], rows[ends - 1] + 1], axis=1).reshape(-1)
        for array in arrays:
            ufunc = np.logical_or if array.dtype == bool else np.add
            if in_place and bounds[-1] < len(array):
                sums = ufunc.reduceat(array, bounds, axis=0)[::2]
            elif in_place:  # the last run ends with the array: reduceat needs every index inside it
                sums = ufunc.reduceat(array, bounds[:-1], axis=0)[::2]
            else:
                sums = ufunc.reduceat(array[rows], starts, axis=0)
            array[targets] = ufunc(array[targets], sums)


@dataclass(frozen=True)
class Totals:
    """Sums over a set of segments per [region, period]: the figures behind headlines and trends."""

    covered: np.ndarray
    eligible: np.ndarray
    reported: np.ndarray
    eligible_unknown: np.ndarray

    def rate(self) -> np.ndarray:
        """Coverage rate in percent; NaN where it cannot be known."""
        known = self.reported & ~self.eligible_unknown & (self.eligible > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(known, self.covered * 100.0 / np.where(known, self.eligible, 1), np.nan)


def totals(cube: Cube, segment_mask: np.ndarray) -> Totals:
    if cube.group_totals:
        inside = [g for g in cube.group_totals if any(m and s.group == g for m, s in zip(segment_mask, cube.segments))]
        if all(bool(m) == (s.group in inside) for m, s in zip(segment_mask, cube.segments)) and inside:
            parts = [cube.group_totals[g] for g in inside]
            covered, eligible, rows, unknown = (sum(p[k] for p in parts[1:]) + parts[0][k] if len(parts) > 1
                                                else parts[0][k] for k in range(4))
            return Totals(covered=covered, eligible=eligible, reported=rows > 0, eligible_unknown=unknown > 0)
    reported = cube.reported[:, :, segment_mask]
    return Totals(
        covered=cube.covered[:, :, segment_mask].sum(axis=2),
        eligible=cube.eligible[:, :, segment_mask].sum(axis=2),
        reported=reported.any(axis=2),
        eligible_unknown=(cube.eligible_unknown[:, :, segment_mask] & reported).any(axis=2),
    )


def headline_mask(segments) -> np.ndarray:
    return np.array([s.group in HEADLINE_GROUPS for s in segments], dtype=bool)


def group_mask(segments, group: str) -> np.ndarray:
    return np.array([s.group == group for s in segments], dtype=bool)


def gap_to_target(covered: int, eligible: int, target_pct) -> int:
    """People still to enrol before covered/eligible reaches the target (0 when reached)."""
    numerator, denominator = target_ratio(target_pct)
    needed = -(-numerator * eligible // denominator)  # exact ceiling, no floating point
    return max(0, needed - covered)


@lru_cache(maxsize=8)
def target_ratio(target_pct) -> tuple[int, int]:
    ratio = Fraction(str(target_pct)) / 100
    return ratio.numerator, ratio.denominator


def change_pct(now: float, before: float) -> float | None:
    """Relative change in percent, or None when there is no base to compare with."""
    if before is None or now is None or before <= 0:
        return None
    return (now - before) * 100.0 / before


def period_a_year_before(period: str) -> str:
    year, month = period.split("-")
    return f"{int(year) - 1:04d}-{month}"
