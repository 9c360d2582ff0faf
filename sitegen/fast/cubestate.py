"""The last build's coverage, kept in the cache folder, so that a rebuild after a small edit
updates a few cells instead of checking and summing five million rows again.

Two records, both named by the content they describe:

* the **rows state** (`state/rows-<context>.npz`, ~1 MB): which pieces of `coverage.csv` the
  last successful load had (their SHA-256, in order, and their line counts), the rows per month,
  the rows per (period, segment, level) and one bit per (region, period, segment) cell that has
  a row. With it, a load that finds a few pieces changed checks only those pieces' rows: the
  checks across rows (a duplicate cell, a segment at two levels, the list of months) are
  decided by updating these counts. Whenever such a check fails, or anything does not match,
  the load falls back to reading every row, which reports each problem with its line.
* the **cube state** (`state/cube-<key>/`): the rolled-up cube as counts — covered, eligible,
  rows, rows with eligible unknown per [region, period, segment]; rows per [region, source];
  and the same per segment group per [region, period] — for one version of the rows. Every
  figure of the cube is a sum over the rows of a subtree, so removing the rows of the old pieces
  and adding those of the new ones, along each row's chain of ancestors, gives exactly the cube
  a full build makes. The arrays are stored once as a *base* (plain `.npy` files, mapped
  copy-on-write, so a rebuild reads only the pages it touches) and a small *patch* of changed
  cells; a new base is written when the patch grows large.

Any damaged or missing state only makes the build a full one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..schema import ARRAYS, CELL_KEY_COLUMNS, Rows, cell_key, month_label
from .cache import code_digest
from ..system import replace_atomically

FORMAT = 1
REBASE_SHARE = 0.02   # a patch above this share of the cube's cells is folded into a new base
MAX_CHANGED_SHARE = 0.25  # more pieces changed than this: a full load is as fast and simpler


# --- the rows state ---------------------------------------------------------------------

@dataclass(frozen=True)
class RowsState:
    id: str                      # names this exact set of rows: the context and every piece's digest
    digests: tuple[str, ...]     # every piece's SHA-256, in file order
    lines: np.ndarray            # lines per piece
    low: int                     # the first month number counted in `months`
    months: np.ndarray           # rows per month number, from `low`
    levels: np.ndarray           # rows per (period index × segments + segment) × levels + level
    total: int                   # sum(eligible) + sum(covered) + rows: decides the cube's integer width
    present: np.ndarray          # packed bits, one per (region, period, segment) cell: it has a row
    cells: int                   # regions × periods × segments


def rows_id(context: str, digests) -> str:
    return hashlib.sha256((f"{FORMAT}\0{context}\0" + "\0".join(digests)).encode() + code_digest()).hexdigest()[:32]


def rows_path(folder: Path, context: str) -> Path:
    return folder / f"rows-{context}.npz"


def read_rows_state(folder: Path | None, context: str) -> RowsState | None:
    if folder is None:
        return None
    try:
        with np.load(rows_path(folder, context), allow_pickle=False) as stored:
            meta = json.loads(bytes(stored["meta"]).decode())
            state = RowsState(meta["id"], tuple(meta["digests"]), stored["lines"], int(meta["low"]),
                              stored["months"], stored["levels"], int(meta["total"]), stored["present"],
                              int(meta["cells"]))
    except Exception:  # noqa: BLE001 - no state, or a damaged one: a full load
        return None
    if meta.get("format") != FORMAT or state.id != rows_id(context, state.digests) \
            or len(state.lines) != len(state.digests) or state.present.size * 8 < state.cells:
        return None
    return state


def write_rows_state(folder: Path, context: str, state: RowsState) -> None:
    meta = json.dumps({"format": FORMAT, "id": state.id, "digests": list(state.digests), "low": state.low,
                       "total": state.total, "cells": state.cells}).encode()
    folder.mkdir(parents=True, exist_ok=True)
    path = rows_path(folder, context)
    replace_atomically(path, lambda file: np.savez(
        file, meta=np.frombuffer(meta, dtype=np.uint8), lines=state.lines, months=state.months,
        levels=state.levels, present=state.present))


def has_bits(packed: np.ndarray, keys: np.ndarray) -> np.ndarray:
    return (packed[keys >> 3] >> (7 - (keys & 7)).astype(np.uint8)) & 1 == 1


def set_bits(packed: np.ndarray, keys: np.ndarray, value: bool) -> None:
    masks = (np.uint8(1) << (7 - (keys & 7)).astype(np.uint8)).astype(np.uint8)
    if value:
        np.bitwise_or.at(packed, keys >> 3, masks)
    else:
        np.bitwise_and.at(packed, keys >> 3, ~masks)


# --- the cube state -----------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """The rows of the pieces that left the file and of those that came in (periods as indices)."""

    previous: str                # the rows id these changes apply to
    removed: Rows
    added: Rows


@dataclass(frozen=True)
class StateRef:
    """Where the states live, which rows this load has, and how they differ from the last load's."""

    folder: Path
    rows: str
    total: int                   # sum(eligible) + sum(covered) + rows, as the rows state has it
    change: Change | None = None


def cube_key(parent: np.ndarray, segments, sources, dtype) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(parent, dtype=np.int64).tobytes())
    digest.update(json.dumps([FORMAT, [(s.id, s.group) for s in segments], [s.id for s in sources],
                              np.dtype(dtype).str]).encode())
    digest.update(code_digest())
    return digest.hexdigest()[:24]


class CubeState:
    """The arrays of one version of the cube (a base mapped copy-on-write plus its patch)."""

    def __init__(self, folder: Path, key: str):
        self.folder = folder / f"cube-{key}"
        self.head = self.folder / "head.npz"

    def load(self, rows: str, names: list[str], shapes: dict) -> tuple[dict, dict] | None:
        """The arrays (writable, private) and the patch, if the state is of these rows."""
        try:
            with np.load(self.head, allow_pickle=False) as stored:
                meta = json.loads(bytes(stored["meta"]).decode())
                if meta.get("format") != FORMAT or meta.get("rows") != rows:
                    return None
                patch = {name: (stored[f"{name}.index"], stored[f"{name}.value"]) for name in names}
            base = self.folder / f"base-{meta['base']}"
            arrays = {}
            for name in names:
                array = np.load(base / f"{name}.npy", mmap_mode="c", allow_pickle=False)
                if array.shape != shapes[name][0] or array.dtype != shapes[name][1]:
                    return None
                arrays[name] = array
        except Exception:  # noqa: BLE001 - a missing or damaged state: the cube is built from the rows
            return None
        for name, (index, value) in patch.items():
            flat = arrays[name].reshape(-1)
            if index.size and (index.min() < 0 or index.max() >= flat.size):
                return None
            flat[index] += value.astype(flat.dtype)
        return arrays, {"base": meta["base"], **patch}

    def save_patch(self, rows: str, base: str, patch: dict) -> None:
        meta = json.dumps({"format": FORMAT, "rows": rows, "base": base}).encode()
        self.folder.mkdir(parents=True, exist_ok=True)
        entries = {"meta": np.frombuffer(meta, dtype=np.uint8)}
        for name, (index, value) in patch.items():
            entries[f"{name}.index"], entries[f"{name}.value"] = index, value
        replace_atomically(self.head, lambda file: np.savez(file, **entries))

    def save_base(self, rows: str, arrays: dict) -> None:
        """A new base of these arrays with an empty patch; older bases are removed."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".base-{rows}.tmp{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
        final = self.folder / f"base-{rows}"
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        empty = {name: (np.zeros(0, np.int64), np.zeros(0, np.int64)) for name in arrays}
        self.save_patch(rows, rows, empty)
        for old in self.folder.glob("base-*"):
            if old.name != final.name:
                shutil.rmtree(old, ignore_errors=True)


_writers: list[threading.Thread] = []


def in_background(work, *args) -> None:
    """Write a state while the build goes on; the process waits for it before exiting (a thread that
    is not a daemon), and a state is only ever replaced by an atomic rename."""
    def run():
        try:
            work(*args)
        except OSError:
            pass  # the cache is only a cache

    thread = threading.Thread(target=run, name="sitegen-state")
    thread.start()
    _writers.append(thread)


def wait_for_writers() -> None:
    while _writers:
        _writers.pop().join()


def merge_patch(index: np.ndarray, value: np.ndarray, more_index: np.ndarray, more_value: np.ndarray):
    """Two sparse deltas as one, with unique sorted indices and no zero entry."""
    if more_index.size == 0:
        return index, value
    both = np.concatenate([index, more_index])
    values = np.concatenate([value, more_value.astype(np.int64)])
    unique, inverse = np.unique(both, return_inverse=True)
    sums = np.zeros(len(unique), dtype=np.int64)
    np.add.at(sums, inverse, values)
    keep = sums != 0
    return unique[keep], sums[keep]


def region_levels(lookups) -> np.ndarray:
    """Each region's level as a number (in order of first appearance, as the full check counts them)."""
    names = list(dict.fromkeys(lookups.region_levels))
    number = {name: i for i, name in enumerate(names)}
    return np.array([number[level] for level in lookups.region_levels], dtype=np.int64)


def update_rows(state: RowsState, removed, added, lookups):
    """The rows state with `removed` rows gone and `added` rows in, and both sets of rows with their
    period as an index; None when the update would change the list of months, or when a check across
    rows could fail (a cell given twice, a segment at two levels): a full load decides those."""
    months = state.months.astype(np.int64).copy()
    for rows, sign in ((removed, -1), (added, 1)):
        offset = rows.period.astype(np.int64) - state.low
        if offset.size and (offset.min() < 0 or offset.max() >= len(months)):
            return None
        np.add.at(months, offset, sign)
    if (months < 0).any() or not np.array_equal(months > 0, state.months > 0) or months.sum() == 0:
        return None
    present_months = np.flatnonzero(months > 0)
    position = np.full(len(months), -1, dtype=np.int64)
    position[present_months] = np.arange(len(present_months))
    periods = [month_label(m + state.low) for m in present_months.tolist()]
    n_periods, n_segments = len(periods), len(lookups.segment_ids)
    if len(lookups.region_codes) * n_periods * n_segments != state.cells:
        return None

    def indexed(rows):
        index = position[rows.period.astype(np.int64) - state.low]
        if (index < 0).any() or (rows.region < 0).any() or (rows.segment < 0).any() or (rows.source < 0).any():
            raise ValueError
        return dataclasses.replace(rows, period=index)

    try:
        removed, added = indexed(removed), indexed(added)
    except ValueError:
        return None
    present = state.present.copy()
    old_keys = cell_key(removed.region, removed.period, removed.segment, n_periods, n_segments)
    new_keys = cell_key(added.region, added.period, added.segment, n_periods, n_segments)
    if not has_bits(present, old_keys).all() or np.unique(old_keys).size != old_keys.size:
        return None  # the state does not describe these rows
    set_bits(present, old_keys, False)
    if np.unique(new_keys).size != new_keys.size or has_bits(present, new_keys).any():
        return None  # a cell given twice: the full check names both lines
    set_bits(present, new_keys, True)
    level = region_levels(lookups)
    n_levels = len(state.levels) // max(1, n_periods * n_segments)
    if level.max(initial=0) >= n_levels:
        return None
    levels = state.levels.astype(np.int64).copy()
    for rows, sign in ((removed, -1), (added, 1)):
        np.add.at(levels, (rows.period * n_segments + rows.segment) * n_levels + level[rows.region], sign)
    if (levels < 0).any() or ((levels.reshape(-1, n_levels) > 0).sum(axis=1) > 1).any():
        return None  # a segment at two levels: the full check names the lines
    total = state.total
    for rows, sign in ((removed, -1), (added, 1)):
        total += sign * (int(rows.eligible.sum(dtype=np.int64)) + int(rows.covered.sum(dtype=np.int64))
                         + len(rows.region))
    new_state = RowsState(state.id, state.digests, state.lines, state.low, months, levels, total, present,
                          state.cells)
    # A piece that changed still holds mostly the same rows: those cancel out of the cube's update.
    _, old_at, new_at = np.intersect1d(old_keys, new_keys, assume_unique=True, return_indices=True)
    same = np.ones(len(old_at), dtype=bool)
    for name in ARRAYS:
        if name not in CELL_KEY_COLUMNS:
            same &= getattr(removed, name)[old_at] == getattr(added, name)[new_at]
    removed, added = drop_rows(removed, old_at[same]), drop_rows(added, new_at[same])
    return new_state, periods, removed, added


def drop_rows(rows: Rows, at: np.ndarray) -> Rows:
    keep = np.ones(len(rows.region), dtype=bool)
    keep[at] = False
    return rows.select(keep)
