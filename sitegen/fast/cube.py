"""The fast way to the cube `model.cube.build_cube` makes: update the last build's cube.

Every figure of the cube is a sum over the rows of a subtree, so taking out the rows of the
pieces of coverage.csv that left the file and putting in those that came in, along each row's
chain of ancestors, gives exactly the cube a full build makes (fast.cubestate keeps the arrays).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..inputs.coverage import CoverageFacts
from ..model import cube as plain
from ..model.cube import CELL_ARRAYS, GROUP_ARRAYS, Cube, Tree, array_shapes, assemble_cube, segment_groups
from ..schema import cell_key
from . import cubestate


@dataclass(frozen=True)
class CubeHistory:
    """Which rows a cube was made of, and what changed since the rows of the previous build: an
    update then recomputes page digests and index entries for the changed regions only."""

    rows: str                    # the rows id (fast.cubestate)
    previous: str | None         # the rows id it was updated from, None for a cube counted in full
    changed: np.ndarray | None   # regions whose cells changed since `previous`
    folder: Path                 # the state folder


def build_cube(tree: Tree, facts: CoverageFacts, segments, sources) -> Cube:
    """The cube, updated along the changed rows' ancestors when the facts come with a state of the
    last build (fast.coverage), else counted in full (and kept for the next build)."""
    state = facts.state
    if state is None:
        return plain.build_cube(tree, facts, segments, sources)
    groups = segment_groups(segments)
    shapes = array_shapes(tree, facts.periods, segments, sources, state.total)
    counts = shapes["cell-covered"][1]
    store = cubestate.CubeState(state.folder, cubestate.cube_key(tree.parent, segments, sources, counts))
    if state.change is not None:
        updated = updated_arrays(store, state, tree, shapes, segments, groups, len(sources))
        if updated is not None:
            arrays, changed = updated
            return assemble_cube(facts.periods, segments, sources, arrays,
                                 CubeHistory(state.rows, state.change.previous, changed, state.folder))
    arrays = plain.counted_arrays(tree, facts, shapes, segments, groups, len(sources))
    cubestate.in_background(store.save_base, state.rows, arrays)
    return assemble_cube(facts.periods, segments, sources, arrays, CubeHistory(state.rows, None, None, state.folder))


def updated_arrays(store, state, tree: Tree, shapes: dict, segments, groups, n_sources) -> tuple | None:
    """The last build's arrays, with the rows of the removed pieces taken out and those of the
    added pieces put in, at each row's region and every ancestor of it."""
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
    parts = [(change.removed, -1), (change.added, 1)]
    region = np.concatenate([rows.region.astype(np.int64) for rows, _ in parts])
    period = np.concatenate([rows.period.astype(np.int64) for rows, _ in parts])
    segment = np.concatenate([rows.segment.astype(np.int64) for rows, _ in parts])
    source = np.concatenate([rows.source.astype(np.int64) for rows, _ in parts])
    sign = np.concatenate([np.full(len(rows.region), s, dtype=np.int64) for rows, s in parts])
    amounts = {name: sign * np.concatenate([plain.cell_amounts(rows)[name].astype(np.int64) for rows, _ in parts])
               for name in CELL_ARRAYS}
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
    cell = cell_key(at, period[row], segment[row], shape[1], shape[2])
    for n in CELL_ARRAYS:
        deltas[f"cell-{n}"] = cubestate.merge_patch(empty, empty, cell, amounts[n][row])
    deltas["sources"] = cubestate.merge_patch(empty, empty, at * n_sources + source[row], sign[row])
    group_of = np.array([groups.index(s.group) for s in segments], dtype=np.int64)
    place = at * shape[1] + period[row]
    for i in range(len(groups)):
        inside = group_of[segment[row]] == i
        for n in GROUP_ARRAYS:
            deltas[f"group-{i}-{n}"] = cubestate.merge_patch(empty, empty, place[inside], amounts[n][row][inside])
    return deltas
