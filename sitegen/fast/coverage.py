"""The fast way to the facts `inputs.coverage.load_coverage` gives: the same facts, the same problems.

A build that changes one village should not re-read five million rows, so the file is cut into
pieces of whole lines (inputs.coverage.pieces) and each piece's checked columns are cached by its
content hash (and by the region, segment and source lists they were checked against). An edit
changes only the pieces it touches. The checks across rows run on all rows, or, after a small
edit, are decided from the last load's rows state (fast.cubestate).

Further, at national scale:
* the file is copied into a private anonymous file and hashed in a thread started before the
  pipeline is even imported (fast.early, fast.snapshot), and on a cold cache parsed there too;
* an update load hands the cube the rows that changed instead of all rows (fast.cube).

Wherever a step cannot be taken (no cache, a quoted header, a check that fails), the plain
stages of inputs.coverage do the work and report every problem with its line.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import Problems
from ..inputs import coverage as plain
from ..inputs.coverage import CoverageFacts, CoverageFile, line_count, pieces, read_header
from ..inputs.files import BOM, read_bytes
from ..inputs.spreadsheets import is_semicolon_csv
from ..schema import ARRAYS, FIRST_DATA_LINE, Lookups, Rows, cell_key, number_periods
from ..system import fd_path
from .cache import source_digest
from . import cubestate
from .cubestate import in_background
from .piecestore import PieceStore
from .snapshot import LinkedFile, Snapshot, snapshot


def prefetch_coverage(data_dir: Path, cache_dir: Path):
    """The copy and hashing of coverage.csv, running in a thread (started by the command line
    already, see fast.early) while the caller reads the other inputs; `load_coverage` takes it."""
    from .early import take_coverage_read  # lazy: early.py imports this module lazily itself (it must stay light)

    return take_coverage_read(data_dir, cache_dir)


class HashedCoverage(NamedTuple):
    """coverage.csv copied, cut into pieces and hashed (by fast.early's thread, before it is needed)."""

    path: Path
    data: object                    # the snapshot's mapped bytes
    copy: LinkedFile
    bounds: tuple                   # (start, end) of each piece
    digests: tuple                  # each piece's SHA-256; () where the header needs the exact reader
    ahead: ParsedAhead | None


def read_and_hash(path: Path, cache_dir: Path, taken: Snapshot | None = None,
                  parsing=lambda: None) -> HashedCoverage | None:
    """The file copied and hashed, or None: then load_coverage reads the file itself and reports why
    it cannot. `taken`: the snapshot, if made. `parsing()` is called when polars begins to parse the
    whole file, or when it is known that it will not (fast.early)."""
    try:
        taken = taken or snapshot(path, cache_dir)
        if taken is None or not publishable_as_is(taken.data):
            return None
        data, copy = taken
        plain_header = b'"' not in plain.header_bytes(data)
        bounds = tuple(pieces(data))
        if plain_header and not stored_pieces(cache_dir):
            # A cache that never held a piece: the whole file is parsed whatever the digests say, so
            # polars starts at once, and the pieces are hashed beside it.
            with ThreadPoolExecutor(max_workers=1) as parser:
                ahead = parser.submit(parse_whole, data, bounds, copy, parsing)
                digests = tuple(piece_digests(data, bounds))
                return HashedCoverage(path, data, copy, bounds, digests, ahead.result())
        parsing()
        digests = tuple(piece_digests(data, bounds)) if plain_header else ()
        ahead = parse_ahead(data, bounds, digests, cache_dir, copy) if digests else None
        return HashedCoverage(path, data, copy, bounds, digests, ahead)
    except Exception:  # noqa: BLE001 - read again, with every problem reported
        return None


def publishable_as_is(data) -> bool:
    """Whether the file is sitegen's comma CSV without a BOM, so that its snapshot can be published."""
    return data[:len(BOM)] != BOM and not is_semicolon_csv(
        bytes(plain.header_bytes(data)).decode("utf-8", "replace"))


@dataclass
class ParsedAhead:
    """The whole file parsed as text before the lookups to check it against are known."""

    header: list[str]
    frame: object            # rowcheck.parse_text's frame, None where the exact reader must read it
    counts: list[int]        # lines per piece


def parse_ahead(data, bounds, digests, cache_dir: Path, copy=None) -> ParsedAhead | None:
    """On a cold cache (most pieces never seen), parse the whole file now, in the prefetch thread:
    polars lets go of the GIL, so this overlaps with reading regions.csv. None when the cache has
    most pieces already (an update reads only the few new ones)."""
    wanted = set(digests)
    folders = cache_dir / "coverage"
    for folder in (folders.iterdir() if folders.is_dir() else ()):
        if 2 * len(wanted & PieceStore(folder, len(ARRAYS)).known()) >= len(wanted):
            return None
    return parse_whole(data, bounds, copy)


def stored_pieces(cache_dir: Path) -> bool:
    """Whether the cache holds a parsed piece of any coverage.csv (a directory listing or two)."""
    folders = cache_dir / "coverage"
    return any(PieceStore(folder, len(ARRAYS)).known() for folder in (folders.iterdir() if folders.is_dir() else ()))


def parse_whole(data, bounds, copy=None, parsing=lambda: None) -> ParsedAhead | None:
    """The whole file parsed as text (no lookups needed yet); None where the exact reader must read it."""
    from ..inputs import rowcheck  # lazy: polars takes ~0.15 s to import: only when rows are parsed

    header = plain.header_names(plain.header_bytes(data))
    if len(set(header)) != len(header):
        return None
    newlines, commas = counted_bytes(data, bounds)
    counts = [n + (0 if data[end - 1:end] == b"\n" else 1) for n, (_, end) in zip(newlines, bounds)]
    shape = rowcheck.TextShape(1 + sum(counts), commas, data.find(b'"') >= 0,
                               data.find(b" ") >= 0 or data.find(b"\t") >= 0)
    # polars maps the snapshot itself: a copy of its 290 MB as bytes took 0.3 s.
    source = (fd_path(copy.fd) if copy is not None else None) or bytes(data)
    parsing()
    return ParsedAhead(header, rowcheck.parse_text(source, header, FIRST_DATA_LINE, shape), counts)


def counted_bytes(data, bounds) -> tuple[list[int], int]:
    """Newlines in each piece, and commas in the whole file, counted on both cores (numpy's
    comparisons let go of the GIL; bytes.count does not)."""
    view = np.frombuffer(data, np.uint8) if len(data) else np.zeros(0, np.uint8)

    def count(bound):
        piece = view[bound[0]:bound[1]]
        return int(np.count_nonzero(piece == ord("\n"))), int(np.count_nonzero(piece == ord(",")))

    header_commas = int(np.count_nonzero(view[:bounds[0][0] if bounds else len(view)] == ord(",")))
    with ThreadPoolExecutor(max_workers=2) as pool:
        counted = list(pool.map(count, bounds))
    return [n for n, _ in counted], header_commas + sum(c for _, c in counted)


def load_coverage(data_dir: Path, lookups: Lookups, problems: Problems, cache_dir: Path,
                  prefetched=None) -> CoverageFacts | None:
    if (data_dir / plain.WORKBOOK).exists():  # a workbook is read the plain way (its cells, not its bytes)
        return plain.load_coverage(data_dir, lookups, problems)
    path = data_dir / "coverage.csv"
    got = prefetched.result() if prefetched is not None else None
    if got is not None and got.path == path:
        data, copy, bounds, digests, ahead = got.data, got.copy, got.bounds, got.digests, got.ahead
    else:
        ahead = None
        taken = snapshot(path, cache_dir)
        if taken is None:
            data = read_bytes(path, problems)
            data, copy = (plain.as_comma_csv(path, data, problems) if data is not None else None), None
        elif not publishable_as_is(taken.data):  # a BOM or `;`: published as sitegen's CSV, not as it is
            data, copy = plain.as_comma_csv(path, bytes(taken.data), problems), None
        else:
            data, copy = taken
        bounds = digests = None
    if data is None:
        return None
    header = read_header(path, data, problems)
    if header is None:
        return None
    before = problems.error_count()
    if b'"' in plain.header_bytes(data):  # only the exact reader knows what such a header means
        rows, bounds = plain.read_rows(path, data, header, lookups, problems)
        return plain.checked_facts(path, rows, lookups, problems, before, CoverageFile(data, bounds, (), copy)) \
            if rows is not None else None
    if bounds is None:
        bounds = tuple(pieces(data))
        digests = tuple(piece_digests(data, bounds))
    context = piece_context(lookups, header)
    state_folder = cache_dir / "state"
    if bounds:
        facts = load_update(path, data, header, bounds, digests, context, lookups, problems, cache_dir, copy)
        if facts is not None:
            return facts
    saved = problems.checkpoint()
    rows, counts = read_pieces(path, data, header, bounds, digests, lookups, problems, cache_dir, context, ahead)
    if rows is None:
        problems.rollback(saved)  # the exact reader reports again, with certain line numbers
        rows, bounds = plain.read_rows_exactly(path, data, lookups, problems), ()
        digests = counts = None
        if rows is None:
            return None
    facts = plain.checked_facts(path, rows, lookups, problems, before,
                                CoverageFile(data, bounds, digests or (), copy), across_rows=side_by_side)
    if facts is not None and digests and counts is not None:
        facts.state = save_rows_state(state_folder, context, digests, counts, rows, facts.period,
                                      facts.periods, lookups)
    return facts


def side_by_side(path, rows, period_index, periods, lookups: Lookups, problems: Problems) -> None:
    """The two checks across all rows are numpy work that lets go of the GIL: run them on both cores."""
    mixed_levels = Problems(strict=problems.strict)
    with ThreadPoolExecutor(max_workers=1) as other_core:
        pending = other_core.submit(plain.report_mixed_levels, path, rows, period_index, periods, lookups,
                                    mixed_levels)
        plain.report_duplicates(path, rows, period_index, periods, lookups, problems)
        pending.result()
    problems.merge(mixed_levels)


def lookups_digest(lookups: Lookups) -> str:
    """What a piece's checked columns depend on besides its bytes: the lists checked against, and
    the code that checks them."""
    h = hashlib.sha256(source_digest("schema.py", "inputs/coverage.py", "inputs/rowcheck.py", "inputs/files.py",
                                       "fast/coverage.py"))
    for values in (lookups.region_codes, lookups.segment_ids, lookups.source_ids):
        h.update("\0".join(values).encode() + b"\1")
    return h.hexdigest()[:24]


def piece_context(lookups: Lookups, header: list[str]) -> str:
    """The header decides what each column means, the lookups what is valid."""
    return hashlib.sha256((lookups_digest(lookups) + ",".join(header) + version("polars")).encode()).hexdigest()[:24]


# --- an update: only the pieces that changed --------------------------------------------

def load_update(path, data, header, bounds, digests, context, lookups: Lookups, problems: Problems,
                cache_dir: Path, copy=None) -> CoverageFacts | None:
    """The facts from the last load's rows state and the pieces that changed since, or None when a
    full load is needed (no usable state, many pieces changed, or any check that fails: the full
    load then reports every problem with its line)."""

    folder = cache_dir / "state"
    state = cubestate.read_rows_state(folder, context)
    if state is None or state.cells != len(lookups.region_codes) * len(state.months[state.months > 0]) * \
            len(lookups.segment_ids):
        return None
    store = piece_store(cache_dir, context)
    old, new = Counter(state.digests), Counter(digests)
    removed, added = list((old - new).elements()), new - old
    if len(removed) + sum(added.values()) > cubestate.MAX_CHANGED_SHARE * len(digests):
        return None
    removed_rows = [load_piece(store, digest) for digest in removed]
    if any(rows is None for rows in removed_rows):
        return None
    known_lines = dict(zip(state.digests, state.lines.tolist()))
    counts = [known_lines[d] if d in known_lines else line_count(data, *b) for d, b in zip(digests, bounds)]
    starts = np.cumsum([FIRST_DATA_LINE, *counts[:-1]]).tolist()
    wanted = Counter(added)
    positions = []
    for i, digest in enumerate(digests):
        if wanted[digest] > 0:
            wanted[digest] -= 1
            positions.append(i)
    saved = problems.checkpoint()
    added_rows = parse_pieces(path, data, header, bounds, digests, positions, counts, starts, lookups, problems,
                              store)
    if added_rows is None or problems.checkpoint()[:2] != saved[:2]:
        problems.rollback(saved)
        return None
    update = cubestate.update_rows(state, Rows.join(removed_rows), Rows.join(added_rows), lookups)
    if update is None:
        return None
    new_state, periods, removed_rows, added_rows = update
    new_id = cubestate.rows_id(context, digests)
    new_state = dataclasses.replace(new_state, id=new_id, digests=tuple(digests), lines=np.array(counts, np.int64))
    cubestate.write_rows_state(folder, context, new_state)
    store.prune(set(digests))

    def load_all() -> Rows:
        parts = [load_piece(store, digest) for digest in digests]
        if any(p is None for p in parts):  # the cache was cleared meanwhile: parse it all again
            from ..inputs import rowcheck  # lazy: polars takes ~0.15 s to import: only when rows are parsed
            rows = rowcheck.checked_piece(path, bytes(data), header, FIRST_DATA_LINE, lookups, Problems())
        else:
            rows = Rows.join(parts)
        _, period_index = number_periods(rows.period)
        return dataclasses.replace(rows, period=period_index)

    ref = cubestate.StateRef(folder, new_id, new_state.total, cubestate.Change(state.id, removed_rows, added_rows))
    return CoverageFacts(tuple(periods), None, CoverageFile(data, bounds, digests, copy), load=load_all, state=ref)


def parse_pieces(path, data, header, bounds, digests, positions, counts, starts, lookups, problems,
                 store: PieceStore) -> list[Rows] | None:
    """The checked rows of the pieces at `positions`: from the cache, or parsed in one polars call."""
    found = {i: load_piece(store, digests[i]) for i in positions}
    missing = [i for i in positions if found[i] is None]
    if missing:
        from ..inputs import rowcheck  # lazy: polars takes ~0.15 s to import: only when rows are parsed

        texts = [data[bounds[i][0]:bounds[i][1]] for i in missing]
        texts = [t if t.endswith(b"\n") else t + b"\n" for t in texts]
        lines = np.concatenate([np.arange(starts[i], starts[i] + counts[i]) for i in missing])
        before = problems.error_count()
        header_line = ",".join(header).encode() + b"\n"
        rows = rowcheck.checked_piece(path, header_line + b"".join(texts), header, lines, lookups, problems)
        if rows is None:
            return None
        offset = 0
        for i in missing:
            found[i] = rows.slice(offset, counts[i])
            offset += counts[i]
            if problems.error_count() == before:
                store.put(digests[i], found[i].columns())
    return [found[i] for i in positions]


def save_rows_state(folder: Path, context: str, digests, counts, rows: Rows, period_index, periods,
                    lookups: Lookups):
    """After a full load without problems: the rows state the next load updates."""

    n_periods, n_segments = len(periods), len(lookups.segment_ids)
    cells = len(lookups.region_codes) * n_periods * n_segments
    low = int(rows.period.min())
    keys = cell_key(rows.region, period_index, rows.segment, n_periods, n_segments)
    present = np.packbits(np.bincount(keys, minlength=cells) > 0)
    level = cubestate.region_levels(lookups)
    n_levels = int(level.max()) + 1
    levels = np.bincount((period_index * n_segments + rows.segment) * n_levels + level[rows.region],
                         minlength=n_periods * n_segments * n_levels)
    total = int(rows.eligible.sum(dtype=np.int64)) + int(rows.covered.sum(dtype=np.int64)) + len(rows.region)
    row_id = cubestate.rows_id(context, digests)
    state = cubestate.RowsState(row_id, tuple(digests), np.array(counts, np.int64), low,
                                np.bincount(rows.period - low), levels, total, present, cells)
    try:
        cubestate.write_rows_state(folder, context, state)
    except OSError:
        return None
    return cubestate.StateRef(folder, row_id, total)


# --- reading pieces --------------------------------------------------------------------

def read_pieces(path, data, header, bounds, digests, lookups: Lookups, problems, cache_dir, context,
                ahead: ParsedAhead | None = None):
    """The checked rows of every piece, and each piece's line count."""
    store = piece_store(cache_dir, context)
    cached = [load_piece(store, digest) for digest in digests]
    if sum(c is None for c in cached) > len(bounds) // 2:
        # A cold cache: one polars call over the whole file is faster than one per piece.
        return read_whole(path, data, header, bounds, digests, store, lookups, problems,
                          ahead if ahead is not None and ahead.header == header else None)
    # Pieces not seen before are parsed in one call: an edit to one village touches one piece per
    # month, and polars' fixed cost per call would otherwise be paid a dozen times.
    counts = [len(rows.region) if rows is not None else line_count(data, *bound) for bound, rows in zip(bounds, cached)]
    starts = np.cumsum([FIRST_DATA_LINE, *counts[:-1]]).tolist()
    missing = [i for i, rows in enumerate(cached) if rows is None]
    if missing:
        parsed = parse_pieces(path, data, header, bounds, digests, missing, counts, starts, lookups, problems, store)
        if parsed is None:
            return None, None
        for i, rows in zip(missing, parsed):
            cached[i] = rows
    store.prune(set(digests))
    return Rows.join(cached), counts


def read_whole(path, data: bytes, header, bounds, digests, store: PieceStore, lookups: Lookups, problems,
               ahead: ParsedAhead | None = None):
    from ..inputs import rowcheck  # lazy: polars takes ~0.15 s to import: only when rows are parsed

    before = problems.error_count()
    if ahead is not None and ahead.frame is None:
        return None, None
    frame = None
    if ahead is not None:
        frame, ahead.frame = ahead.frame, None  # its ~500 MB of text go as soon as they are checked
    rows = rowcheck.checked_piece(path, bytes(data) if frame is None else b"", header, FIRST_DATA_LINE, lookups,
                                  problems, frame=frame)
    del frame
    if rows is None:
        return None, None
    counts = ahead.counts if ahead is not None else [line_count(data, start, end) for start, end in bounds]
    if store.folder is not None and problems.error_count() == before:
        in_background(store.put_all, rows.columns(), digests, counts)  # while the build goes on
    return rows, counts


def piece_digests(data, bounds: list[tuple[int, int]]) -> list[str]:
    """SHA-256 of each piece, on both cores (hashlib lets go of the GIL for large buffers)."""
    view = memoryview(data)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(lambda b: hashlib.sha256(view[b[0]:b[1]]).hexdigest()[:32], bounds))
    finally:
        view.release()


def piece_store(cache_dir: Path, context: str) -> PieceStore:
    return PieceStore(cache_dir / "coverage" / context, len(ARRAYS))


def load_piece(store: PieceStore, digest: str) -> Rows | None:
    matrix = store.get(digest)
    return None if matrix is None else Rows.of_columns(matrix)
