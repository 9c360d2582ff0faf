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
from ..inputs.data import LEVELS, Region, Segment, Source

HEADLINE_GROUPS = ("ekosistem_desa", "pekerja_rentan")


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
    # (rows id, rows id of the last load it was updated from or None, regions whose cells changed since,
    # the state folder): lets an update recompute page digests and index entries for those regions only.
    history: tuple | None = field(default=None, compare=False, repr=False)


def build_cube(tree: Tree, facts: CoverageFacts, segments, sources) -> Cube:
    """The cube, as counts rolled up the tree. When the facts come with a state of the last build
    (see cubestate), the last build's cube is updated along the changed rows' ancestors instead."""
    from ..fast import cubestate

    shape = (len(tree.regions), len(facts.periods), len(segments))
    state = getattr(facts, "state", None)
    # No roll-up can exceed the sum of all rows: when that fits in 32 bits, so does every cell,
    # and the cube takes half the memory (and half the time to fill).
    total = state.total if state is not None else \
        int(facts.eligible.sum(dtype=np.int64)) + int(facts.covered.sum(dtype=np.int64)) + len(facts.region)
    counts = np.int32 if total < 2**31 else np.int64
    groups = list(dict.fromkeys(s.group for s in segments))
    names = cubestate.array_names(groups)
    shapes = {name: ((shape[0], shape[1]), np.dtype(np.int64)) for name in names if name.startswith("group-")}
    shapes.update({"cell-covered": (shape, np.dtype(counts)), "cell-eligible": (shape, np.dtype(counts)),
                   "cell-rows": (shape, np.dtype(np.int32)), "cell-unknown": (shape, np.dtype(np.int32)),
                   "sources": ((shape[0], len(sources)), np.dtype(np.int32))})
    store = cubestate.CubeState(state.folder, cubestate.cube_key(tree.parent, segments, sources, counts)) \
        if state is not None else None
    arrays, history = None, None
    if store is not None and state.change is not None:
        updated = updated_arrays(store, state, tree, shapes, segments, groups, len(sources))
        if updated is not None:
            arrays, changed = updated
            history = (state.rows, state.change.previous, changed, state.folder)
    if arrays is None:
        arrays = counted_arrays(tree, facts, shapes, segments, groups, len(sources))
        if store is not None:
            cubestate.in_background(store.save_base, state.rows, arrays)
            history = (state.rows, None, None, state.folder)
    plain = {name: array.view(np.ndarray) for name, array in arrays.items()}
    group_totals = {group: tuple(plain[f"group-{i}-{n}"] for n in cubestate.GROUP_ARRAYS)
                    for i, group in enumerate(groups)}
    return Cube(facts.periods, tuple(segments), tuple(sources), plain["cell-covered"], plain["cell-eligible"],
                plain["cell-rows"] > 0, plain["cell-unknown"] > 0, plain["sources"] > 0, group_totals, history)


def counted_arrays(tree: Tree, facts: CoverageFacts, shapes: dict, segments, groups, n_sources) -> dict:
    arrays = {name: np.zeros(*spec) for name, spec in shapes.items() if not name.startswith("group-")}
    shape = shapes["cell-covered"][0]
    # One flat index per row, computed once, instead of a three-way fancy index per array.
    region = facts.region.astype(np.int64)
    cell = (region * shape[1] + facts.period) * shape[2] + facts.segment
    arrays["cell-covered"].reshape(-1)[cell] = facts.covered
    arrays["cell-eligible"].reshape(-1)[cell] = np.maximum(facts.eligible, 0)
    arrays["cell-rows"].reshape(-1)[cell] = 1
    arrays["cell-unknown"].reshape(-1)[cell] = facts.eligible < 0
    arrays["sources"][:] = np.bincount(region * n_sources + facts.source,
                                       minlength=shape[0] * n_sources).reshape(shape[0], n_sources)
    roll_up(tree, *arrays.values())
    for i, group in enumerate(groups):
        members = [k for k, s in enumerate(segments) if s.group == group]
        for n in ("covered", "eligible", "rows", "unknown"):
            arrays[f"group-{i}-{n}"] = arrays[f"cell-{n}"][:, :, members].sum(axis=2, dtype=np.int64)
    return arrays


def updated_arrays(store, state, tree: Tree, shapes: dict, segments, groups, n_sources) -> tuple | None:
    """The last build's arrays, with the rows of the removed pieces taken out and those of the
    added pieces put in, at each row's region and every ancestor of it."""
    from ..fast import cubestate

    loaded = store.load(state.change.previous, list(shapes), shapes)
    if loaded is None:
        return None
    arrays, patch = loaded
    deltas = cell_deltas(tree, state.change, shapes["cell-covered"][0], segments, groups, n_sources)
    cells = 0
    for name, (index, value) in deltas.items():
        arrays[name].reshape(-1)[index] += value.astype(arrays[name].dtype)
        patch[name] = cubestate.merge_patch(*patch[name], index, value)
        cells += arrays[name].size
    if sum(len(patch[name][0]) for name in deltas) > cubestate.REBASE_SHARE * cells:
        cubestate.in_background(store.save_base, state.rows, arrays)
    else:
        store.save_patch(state.rows, patch["base"], {name: patch[name] for name in deltas})
    changed = np.unique(np.concatenate([deltas["cell-rows"][0], deltas["cell-covered"][0],
                                        deltas["cell-eligible"][0], deltas["cell-unknown"][0]])
                        // (shapes["cell-covered"][0][1] * shapes["cell-covered"][0][2]))
    changed = np.union1d(changed, deltas["sources"][0] // max(1, n_sources))
    return arrays, changed


def cell_deltas(tree: Tree, change, shape, segments, groups, n_sources) -> dict:
    """Per array: (flat indices, amounts) that remove the old rows and add the new ones, summed up
    each row's chain of ancestors (every cube figure is a sum over a subtree's rows)."""
    from ..fast import cubestate

    parts = [(change.removed, -1), (change.added, 1)]
    region = np.concatenate([rows.region.astype(np.int64) for rows, _ in parts])
    period = np.concatenate([rows.period.astype(np.int64) for rows, _ in parts])
    segment = np.concatenate([rows.segment.astype(np.int64) for rows, _ in parts])
    source = np.concatenate([rows.source.astype(np.int64) for rows, _ in parts])
    eligible = np.concatenate([rows.eligible.astype(np.int64) for rows, _ in parts])
    sign = np.concatenate([np.full(len(rows.region), s, dtype=np.int64) for rows, s in parts])
    amounts = {"covered": sign * np.concatenate([rows.covered.astype(np.int64) for rows, _ in parts]),
               "eligible": sign * np.maximum(eligible, 0), "rows": sign, "unknown": sign * (eligible < 0)}
    chain_region, chain_row = [], []
    current, rows_at = region, np.arange(len(region))
    while current.size:
        chain_region.append(current)
        chain_row.append(rows_at)
        up = tree.parent[current]
        keep = up >= 0
        current, rows_at = up[keep], rows_at[keep]
    at = np.concatenate(chain_region) if chain_region else np.zeros(0, np.int64)
    row = np.concatenate(chain_row) if chain_row else np.zeros(0, np.int64)
    empty = np.zeros(0, np.int64)
    deltas = {}
    cell = (at * shape[1] + period[row]) * shape[2] + segment[row]
    for n in cubestate.CELL_ARRAYS:
        deltas[f"cell-{n}"] = cubestate.merge_patch(empty, empty, cell, amounts[n][row])
    deltas["sources"] = cubestate.merge_patch(empty, empty, at * n_sources + source[row], sign[row])
    group_of = np.array([groups.index(s.group) for s in segments], dtype=np.int64)
    place = at * shape[1] + period[row]
    for i in range(len(groups)):
        inside = group_of[segment[row]] == i
        for n in cubestate.GROUP_ARRAYS:
            deltas[f"group-{i}-{n}"] = cubestate.merge_patch(empty, empty, place[inside], amounts[n][row][inside])
    return deltas


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
