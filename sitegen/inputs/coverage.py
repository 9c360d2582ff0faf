"""`data/coverage.csv` → validated coverage facts as columns (numpy arrays).

The national file has about five million rows, so it is parsed by polars and
checked with vectorised expressions; every message still names `file:line`.
Line numbers are exact: when a row's position and its line could differ
(quoted fields, ragged or blank lines, bad bytes) the file is read row by row
with `csv` instead, which is slower but names every line.

A build that changes one village should not re-read five million rows, so the
file is cut into 256 KB pieces at line ends and each piece's checked columns are
cached by its content hash (and by the region, segment and source lists they
were checked against). An edit changes only the pieces it touches; the checks
that span the whole file (duplicates, a segment at two levels) always run on all
rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path

import numpy as np

from ..errors import MAX_REPORTED_PER_RULE, Problems
from ..fast.piecestore import PieceStore
from ..fast.snapshot import snapshot
from .files import BOM, check_header, read_bytes
from ..system import can_pass_fds, fd_path

COLUMNS = ("period", "region_code", "segment", "covered", "eligible", "source")
FIRST_YEAR, LAST_YEAR = 1900, 2099  # a year like 0000 or 2205 is a typo
COUNT_RE = r"^[0-9]{1,15}$"  # [0-9], not \d: polars' \d also matches other scripts' digits
FIRST_DATA_LINE = 2
PIECE_BYTES = 256 << 10  # small pieces: a one-village edit re-reads (and re-deflates) a dozen of them
ARRAYS = ("region", "period", "segment", "covered", "eligible", "source")


class CoverageFacts:
    """One entry per input row; `eligible` is -1 where the file left it empty.

    After an update load (a few pieces changed since the last build) the rows are not joined
    unless something asks for them (the cube is then updated from `state.change`)."""

    def __init__(self, periods, region=None, period=None, segment=None, covered=None, eligible=None, source=None,
                 file: CoverageFile | None = None, *, load=None, state=None):
        self.periods = periods
        self.file = file
        self.state = state  # cubestate.StateRef, with a cache folder
        self._load = load
        self._columns = None if load is not None else dict(
            region=region, period=period, segment=segment, covered=covered, eligible=eligible, source=source)

    def _column(self, name: str) -> np.ndarray:
        if self._columns is None:
            self._columns = self._load()
        return self._columns[name]

    region = property(lambda self: self._column("region"))
    period = property(lambda self: self._column("period"))
    segment = property(lambda self: self._column("segment"))
    covered = property(lambda self: self._column("covered"))
    eligible = property(lambda self: self._column("eligible"))
    source = property(lambda self: self._column("source"))


@dataclass(frozen=True)
class CoverageFile:
    """The file as read (the download page publishes it), cut into pieces with their SHA-256."""

    data: bytes                  # or a read-only map of the snapshot (see snapshot): sliced, not searched
    bounds: tuple[tuple[int, int], ...]
    digests: tuple[str, ...]
    copy: object = field(default=None, compare=False, repr=False)  # snapshot.LinkedFile of exactly `data`

    @property
    def digest(self) -> str:
        return hashlib.sha256("".join(self.digests).encode() + self.data[:self.bounds[0][0]]).hexdigest() \
            if self.bounds else hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Rows:
    """Checked rows as arrays: indices are -1 where a value was invalid (and reported);
    `period` is a month number (year × 12 + month − 1). `line` is None when row i is on
    line FIRST_DATA_LINE + i (the fast path), so five million line numbers are not kept."""

    line: np.ndarray | None
    region: np.ndarray
    period: np.ndarray
    segment: np.ndarray
    covered: np.ndarray
    eligible: np.ndarray
    source: np.ndarray


@dataclass
class Lookups:
    region_codes: list[str]
    region_levels: list[str]
    segment_ids: list[str]
    source_ids: list[str]

    enum_types: dict | None = field(default=None, repr=False)  # made by rowcheck.enums when first needed

    def digest(self) -> str:
        h = hashlib.sha256(Path(__file__).read_bytes())
        for values in (self.region_codes, self.segment_ids, self.source_ids):
            h.update("\0".join(values).encode() + b"\1")
        return h.hexdigest()[:24]


def prefetch_coverage(data_dir: Path, cache_dir: Path | None):
    """Copying and hashing coverage.csv in a thread (both let go of the GIL) while the caller reads
    the other inputs (started by the command line already, see sitegen.fast.early);
    `load_coverage(..., prefetched=)` takes the result. None without a cache."""
    if cache_dir is None:
        return None
    from ..fast.early import take_coverage_read

    return take_coverage_read(data_dir, cache_dir)


def read_and_hash(path: Path, cache_dir: Path, taken=None):
    """(path, data, its snapshot, piece bounds, piece digests, ParsedAhead or None), or None: then
    load_coverage reads the file itself and reports why it cannot. `taken`: the snapshot, if made."""
    try:
        taken = taken or snapshot(path, cache_dir)
        if taken is None or taken[0][:len(BOM)] == BOM:
            return None
        data, copy = taken
        plain_header = b'"' not in data[: max(0, data.find(b"\n"))]
        bounds = tuple(pieces(data))
        digests = tuple(piece_digests(data, bounds, copy.fd)) if plain_header else ()
        ahead = parse_ahead(data, bounds, digests, cache_dir, copy) if digests else None
        return path, data, copy, bounds, digests, ahead
    except Exception:  # noqa: BLE001 - read again, with every problem reported
        return None


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
    from . import rowcheck

    header = header_names(bytes(data[:data.find(b"\n")]))
    if len(set(header)) != len(header):
        return None
    newlines, commas = counted_bytes(data, bounds)
    counts = [n + (0 if data[end - 1:end] == b"\n" else 1) for n, (_, end) in zip(newlines, bounds)]
    shape = rowcheck.TextShape(1 + sum(counts), commas, data.find(b'"') >= 0,
                               data.find(b" ") >= 0 or data.find(b"\t") >= 0)
    # (perf) polars maps the snapshot itself: a copy of its 290 MB as bytes took 0.3 s.
    source = (fd_path(copy.fd) if copy is not None else None) or bytes(data)
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


def load_coverage(data_dir: Path, lookups: Lookups, problems: Problems,
                  cache_dir: Path | None = None, prefetched=None) -> CoverageFacts | None:
    path = data_dir / "coverage.csv"
    got = prefetched.result() if prefetched is not None else None
    if got is not None and got[0] == path:
        _, data, copy, bounds, digests, ahead = got
    else:
        ahead = None
        taken = snapshot(path, cache_dir) if cache_dir else None
        if taken is None:
            data, copy = read_bytes(path, problems), None
        elif taken[0][:len(BOM)] == BOM:  # published without its BOM: not the file as it is
            data, copy = bytes(taken[0][len(BOM):]), None
        else:
            data, copy = taken
        bounds = digests = None
    if data is None:
        return None
    header = read_header(path, data, problems)
    if header is None:
        return None
    before = problems.error_count()
    saved = problems.checkpoint()
    plain_header = b'"' not in data[: max(0, data.find(b"\n"))]
    if bounds is None:
        bounds = tuple(pieces(data))
        digests = tuple(piece_digests(data, bounds, copy.fd if copy is not None else None)) if plain_header else ()
    context = piece_context(lookups, header)
    state_folder = cache_dir / "state" if cache_dir else None
    if plain_header and state_folder is not None and bounds:
        facts = load_update(path, data, header, bounds, digests, context, lookups, problems, cache_dir, copy)
        if facts is not None:
            return facts
    rows, counts = (read_pieces(path, data, header, bounds, digests, lookups, problems, cache_dir, context, ahead)
                    if plain_header else (None, None))
    if rows is None:
        from . import rowcheck

        problems.rollback(saved)  # the exact reader reports again, with certain line numbers
        frame = rowcheck.read_exact(path, bytes(data), problems)
        bounds, digests = (), ()
        if frame is None:
            return None
        rows = rowcheck.check_frame(path, frame, lookups, problems)
    if len(rows.region) == 0 and problems.error_count() == before:
        problems.error(path, 1, "has no data rows; add one row per period, region_code and segment")
        return None
    periods, period_index = number_periods(rows.period)
    # The two checks across all rows are numpy work that lets go of the GIL: run them side by side.
    mixed_levels = Problems(strict=problems.strict)
    with ThreadPoolExecutor(max_workers=1) as other_core:
        pending = other_core.submit(report_mixed_levels, path, rows, period_index, periods, lookups, mixed_levels)
        report_duplicates(path, rows, period_index, periods, lookups, problems)
        pending.result()
    problems.merge(mixed_levels)
    if problems.error_count() > before:
        return None
    state = None
    if state_folder is not None and digests and counts is not None:
        state = save_rows_state(state_folder, context, digests, counts, rows, period_index, periods, lookups)
    return CoverageFacts(tuple(periods), rows.region, period_index, rows.segment, rows.covered, rows.eligible,
                         rows.source, CoverageFile(data, bounds, digests, copy), state=state)


def piece_context(lookups: Lookups, header: list[str]) -> str:
    """What a piece's checked columns depend on besides its bytes: the header decides what each
    column means, the lookups what is valid."""
    return hashlib.sha256((lookups.digest() + ",".join(header) + version("polars")).encode()).hexdigest()[:24]


# --- an update: only the pieces that changed --------------------------------------------

def load_update(path, data, header, bounds, digests, context, lookups: Lookups, problems: Problems,
                cache_dir: Path, copy=None) -> CoverageFacts | None:
    """The facts from the last load's rows state and the pieces that changed since, or None when a
    full load is needed (no usable state, many pieces changed, or any check that fails: the full
    load then reports every problem with its line)."""
    from ..fast import cubestate

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
    update = cubestate.update_rows(state, join_rows(removed_rows), join_rows(added_rows), lookups)
    if update is None:
        return None
    new_state, periods, removed_rows, added_rows = update
    new_id = cubestate.rows_id(context, digests)
    new_state = dataclasses.replace(new_state, id=new_id, digests=tuple(digests), lines=np.array(counts, np.int64))
    cubestate.write_rows_state(folder, context, new_state)
    store.prune(set(digests))

    def load_all() -> dict:
        parts = [load_piece(store, digest) for digest in digests]
        if any(p is None for p in parts):  # the cache was cleared meanwhile: parse it all again
            from . import rowcheck
            rows = rowcheck.checked_piece(path, bytes(data), header, FIRST_DATA_LINE, lookups, Problems())
        else:
            rows = join_rows(parts)
        _, period_index = number_periods(rows.period)
        return dict(region=rows.region, period=period_index, segment=rows.segment, covered=rows.covered,
                    eligible=rows.eligible, source=rows.source)

    ref = cubestate.StateRef(folder, new_id, new_state.total, cubestate.Change(state.id, removed_rows, added_rows))
    return CoverageFacts(tuple(periods), file=CoverageFile(data, bounds, digests, copy), load=load_all, state=ref)


def parse_pieces(path, data, header, bounds, digests, positions, counts, starts, lookups, problems,
                 store: PieceStore) -> list[Rows] | None:
    """The checked rows of the pieces at `positions`: from the cache, or parsed in one polars call."""
    found = {i: load_piece(store, digests[i]) for i in positions}
    missing = [i for i in positions if found[i] is None]
    if missing:
        from . import rowcheck

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
            found[i] = slice_rows(rows, offset, counts[i])
            offset += counts[i]
            if problems.error_count() == before:
                store.put(digests[i], columns_of(found[i]))
    return [found[i] for i in positions]


def save_rows_state(folder: Path, context: str, digests, counts, rows: Rows, period_index, periods,
                    lookups: Lookups):
    """After a full load without problems: the rows state the next load updates."""
    from ..fast import cubestate

    n_periods, n_segments = len(periods), len(lookups.segment_ids)
    cells = len(lookups.region_codes) * n_periods * n_segments
    low = int(rows.period.min())
    keys = (rows.region.astype(np.int64) * n_periods + period_index) * n_segments + rows.segment
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


# --- reading --------------------------------------------------------------------------

def read_header(path: Path, data: bytes, problems: Problems) -> list[str] | None:
    header_end = data.find(b"\n")
    header_bytes = data[: header_end if header_end >= 0 else len(data)]
    if not header_bytes.strip():
        problems.error(path, 1, "file is empty; expected a header row")
        return None
    header = header_names(header_bytes)
    if b'"' not in header_bytes and not check_header(path, header, COLUMNS, problems):
        return None
    return header


def header_names(header_bytes: bytes) -> list[str]:
    return [h.strip() for h in header_bytes.decode("utf-8", "replace").rstrip("\r").split(",")]


def pieces(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of ~4 MB runs of whole lines after the header; cut points move with the text."""
    start = data.find(b"\n") + 1
    bounds = []
    while 0 < start < len(data):
        cut = data.find(b"\n", start + PIECE_BYTES)
        end = len(data) if cut < 0 else cut + 1
        bounds.append((start, end))
        start = end
    return bounds


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
    return join_rows(cached), counts


def line_count(data, start: int, end: int) -> int:
    """Lines in data[start:end], a run of whole lines (the last one may lack its newline)."""
    text = data[start:end]
    return text.count(b"\n") + (0 if text.endswith(b"\n") else 1)


def read_whole(path, data: bytes, header, bounds, digests, store: PieceStore, lookups: Lookups, problems,
               ahead: ParsedAhead | None = None):
    from . import rowcheck
    from ..fast.cubestate import in_background

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
        in_background(store.put_all, columns_of(rows), digests, counts)  # (perf) while the build goes on
    return rows, counts


def piece_digests(data, bounds: list[tuple[int, int]], fd: int | None = None) -> list[str]:
    """SHA-256 of each piece, on both cores (hashlib lets go of the GIL for large buffers); where
    `data` is the content of the open file `fd`, in a process of its own (see piecehash)."""
    if fd is not None and len(bounds) > 64 and can_pass_fds():
        digests = digests_in_process(fd, bounds)
        if digests is not None:
            return digests
    view = memoryview(data)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(lambda b: hashlib.sha256(view[b[0]:b[1]]).hexdigest()[:32], bounds))
    finally:
        view.release()


def digests_in_process(fd: int, bounds) -> list[str] | None:
    import subprocess
    import sys

    try:
        done = subprocess.run([sys.executable, "-I", "-S", str(Path(__file__).parent.parent / "fast" / "piecehash.py"), str(fd)],
                              input="".join(f"{a} {b}\n" for a, b in bounds).encode(), capture_output=True,
                              pass_fds=(fd,), check=True, timeout=600)
    except (OSError, subprocess.SubprocessError):  # (a timeout too) the threads hash it then
        return None
    digests = done.stdout.decode().split()
    return digests if len(digests) == len(bounds) else None


def slice_rows(rows: Rows, offset: int, count: int) -> Rows:
    return Rows(None, *(getattr(rows, name)[offset:offset + count] for name in ARRAYS))


def join_rows(parts: list[Rows]) -> Rows:
    if not parts:
        return Rows(None, *(np.zeros(0, np.int32) for _ in ARRAYS))
    return Rows(None, *(np.concatenate([getattr(p, name) for p in parts]) for name in ARRAYS))


def piece_store(cache_dir: Path | None, context: str) -> PieceStore:
    return PieceStore(cache_dir / "coverage" / context if cache_dir else None, len(ARRAYS))


def load_piece(store: PieceStore, digest: str) -> Rows | None:
    matrix = store.get(digest)
    return None if matrix is None else Rows(None, *matrix)


def columns_of(rows: Rows) -> list[np.ndarray]:
    return [getattr(rows, name) for name in ARRAYS]


# --- checking across rows -------------------------------------------------------------

def number_periods(months: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Sorted period labels, and each row's index into them (-1 for invalid rows)."""
    valid = months >= 0
    if not valid.any():
        return [], np.full(len(months), -1, dtype=np.int64)
    low = int(months[valid].min())
    seen = np.bincount(months[valid] - low)  # months span a few hundred values: counting beats sorting
    present = np.flatnonzero(seen)
    labels = [f"{(m + low) // 12:04d}-{(m + low) % 12 + 1:02d}" for m in present.tolist()]
    position = np.full(len(seen), -1, dtype=np.int64)
    position[present] = np.arange(len(present))
    index = np.where(valid, position[np.clip(months - low, 0, len(seen) - 1)], -1)
    return labels, index


def row_lines(rows: Rows) -> np.ndarray:
    if rows.line is not None:
        return rows.line
    return np.arange(FIRST_DATA_LINE, FIRST_DATA_LINE + len(rows.region), dtype=np.int64)


def keyed(rows: Rows, period_index: np.ndarray) -> np.ndarray:
    return (rows.region >= 0) & (period_index >= 0) & (rows.segment >= 0)


def report_duplicates(path, rows: Rows, period_index, periods, lookups: Lookups, problems: Problems) -> None:
    ok = keyed(rows, period_index)
    n_periods, n_segments = max(1, len(periods)), max(1, len(lookups.segment_ids))
    keys = (rows.region[ok].astype(np.int64) * n_periods + period_index[ok]) * n_segments + rows.segment[ok]
    if keys.size == 0:
        return
    per_cell = np.bincount(keys)  # keys are dense: counting beats hashing five million rows
    if per_cell.max() <= 1:
        return
    lines = row_lines(rows)[ok]
    repeated = np.flatnonzero(per_cell[keys] > 1)
    order = repeated[np.lexsort((lines[repeated], keys[repeated]))]
    first_line: dict[int, int] = {}
    reports = []
    for i in order.tolist():
        key = int(keys[i])
        if key in first_line:
            reports.append((int(lines[i]), key, first_line[key]))
        else:
            first_line[key] = int(lines[i])
    reports.sort()
    for line, key, first in reports[:MAX_REPORTED_PER_RULE]:
        cell, segment = divmod(key, n_segments)
        region, period = divmod(cell, n_periods)
        problems.error(path, line, f"duplicate row for period {periods[period]}, region_code "
                                   f"{lookups.region_codes[region]}, segment {lookups.segment_ids[segment]} "
                                   f"(first given on line {first})", rule="duplicate row")
    problems.count_more(path, "duplicate row", len(reports) - min(len(reports), MAX_REPORTED_PER_RULE))


def report_mixed_levels(path, rows: Rows, period_index, periods, lookups: Lookups, problems: Problems) -> None:
    """A segment is reported at one level per period, so that no worker is counted twice."""
    ok = keyed(rows, period_index)
    names = list(dict.fromkeys(lookups.region_levels))
    level_of_region = np.array([names.index(level) for level in lookups.region_levels], dtype=np.int64)
    level = level_of_region[rows.region[ok]]
    group = period_index[ok] * max(1, len(lookups.segment_ids)) + rows.segment[ok]
    if group.size == 0:
        return
    table = np.bincount(group * len(names) + level, minlength=(group.max() + 1) * len(names))
    mixed_groups = np.flatnonzero((table.reshape(-1, len(names)) > 0).sum(axis=1) > 1)
    if mixed_groups.size == 0:
        return
    lines, regions = row_lines(rows)[ok], rows.region[ok]
    clashes = []
    for g in mixed_groups.tolist():
        members = np.flatnonzero(group == g)
        members = members[np.argsort(lines[members])]
        first = members[0]
        for i in members[level[members] != level[first]].tolist():
            period, segment = divmod(g, max(1, len(lookups.segment_ids)))
            clashes.append((int(lines[i]), periods[period], lookups.segment_ids[segment], names[level[i]],
                            lookups.region_codes[regions[i]], int(lines[first]), names[level[first]]))
    clashes.sort()
    for line, period, segment, lvl, code, first_line, first_level in clashes[:MAX_REPORTED_PER_RULE]:
        problems.error(path, line, f"segment {segment} in {period} is reported here for a {lvl} ({code}) "
                                   f"but on line {first_line} for a {first_level}; report a segment at one "
                                   f"level per period so nobody is counted twice", rule="segment at two levels")
    problems.count_more(path, "segment at two levels", len(clashes) - min(len(clashes), MAX_REPORTED_PER_RULE))
