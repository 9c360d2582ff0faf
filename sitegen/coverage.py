"""`data/coverage.csv` → validated coverage facts as columns (numpy arrays).

The national file has about five million rows, so it is parsed by polars and
checked with vectorised expressions; every message still names `file:line`.
Line numbers are exact: when a row's position and its line could differ
(quoted fields, ragged or blank lines, bad bytes) the file is read row by row
with `csv` instead, which is slower but names every line.

A build that changes one village should not re-read five million rows, so the
file is cut into ~2 MB pieces at line ends and each piece's checked columns are
cached by its content hash (and by the region, segment and source lists they
were checked against). An edit changes only the pieces it touches; the checks
that span the whole file (duplicates, a segment at two levels) always run on all
rows.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import polars as pl

from .errors import MAX_REPORTED_PER_RULE, Problems
from .sources import check_header, csv_records, decode_utf8, read_bytes

COLUMNS = ("period", "region_code", "segment", "covered", "eligible", "source")
PERIOD_RE = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"  # 1900-2099: a year like 0000 or 2205 is a typo
COUNT_RE = r"^[0-9]{1,15}$"  # [0-9], not \d: polars' \d also matches other scripts' digits
FIRST_DATA_LINE = 2
PIECE_BYTES = 2 << 20
ARRAYS = ("region", "period", "segment", "covered", "eligible", "source")


@dataclass(frozen=True)
class CoverageFacts:
    """One entry per input row; `eligible` is -1 where the file left it empty."""

    periods: tuple[str, ...]
    region: np.ndarray
    period: np.ndarray
    segment: np.ndarray
    covered: np.ndarray
    eligible: np.ndarray
    source: np.ndarray


@dataclass(frozen=True)
class Rows:
    """Checked rows as arrays: indices are -1 where a value was invalid (and reported);
    `period` is a month number (year × 12 + month − 1)."""

    line: np.ndarray
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

    @cached_property
    def enums(self) -> dict[str, pl.Enum]:
        """Enum types made once: with 90,000 region codes, building one costs milliseconds."""
        return {"region_code": pl.Enum(self.region_codes), "segment": pl.Enum(self.segment_ids),
                "source": pl.Enum(self.source_ids)}

    def digest(self) -> str:
        h = hashlib.sha256(Path(__file__).read_bytes())
        for values in (self.region_codes, self.segment_ids, self.source_ids):
            h.update("\0".join(values).encode() + b"\1")
        return h.hexdigest()[:24]


def load_coverage(data_dir: Path, lookups: Lookups, problems: Problems,
                  cache_dir: Path | None = None) -> CoverageFacts | None:
    path = data_dir / "coverage.csv"
    data = read_bytes(path, problems)
    if data is None:
        return None
    header = read_header(path, data, problems)
    if header is None:
        return None
    before = problems.error_count()
    saved = problems.checkpoint()
    plain_header = b'"' not in data[: max(0, data.find(b"\n"))]
    rows = read_pieces(path, data, header, lookups, problems, cache_dir) if plain_header else None
    if rows is None:
        problems.rollback(saved)  # the exact reader reports again, with certain line numbers
        frame = read_exact(path, data, problems)
        if frame is None:
            return None
        rows = check_frame(path, frame, lookups, problems)
    if len(rows.line) == 0 and problems.error_count() == before:
        problems.error(path, 1, "has no data rows; add one row per period, region_code and segment")
        return None
    periods, period_index = number_periods(rows.period)
    report_duplicates(path, rows, period_index, periods, lookups, problems)
    report_mixed_levels(path, rows, period_index, periods, lookups, problems)
    if problems.error_count() > before:
        return None
    return CoverageFacts(tuple(periods), rows.region.astype(np.int64), period_index, rows.segment.astype(np.int64),
                         rows.covered, rows.eligible, rows.source.astype(np.int64))


# --- reading --------------------------------------------------------------------------

def read_header(path: Path, data: bytes, problems: Problems) -> list[str] | None:
    header_end = data.find(b"\n")
    header_bytes = data[: header_end if header_end >= 0 else len(data)]
    if not header_bytes.strip():
        problems.error(path, 1, "file is empty; expected a header row")
        return None
    header = [h.strip() for h in header_bytes.decode("utf-8", "replace").rstrip("\r").split(",")]
    if b'"' not in header_bytes and not check_header(path, header, COLUMNS, problems):
        return None
    return header


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


def read_pieces(path, data, header, lookups: Lookups, problems, cache_dir) -> Rows | None:
    # The header decides what each column means, so it is part of the key, with the lookups.
    context = hashlib.sha256((lookups.digest() + ",".join(header) + pl.__version__).encode()).hexdigest()[:24]
    folder = cache_dir / "coverage" / context if cache_dir else None
    header_line = ",".join(header).encode() + b"\n"
    plan, line = [], FIRST_DATA_LINE
    view = memoryview(data)
    for start, end in pieces(data):
        count = data.count(b"\n", start, end) + (0 if data[end - 1:end] == b"\n" else 1)
        digest = hashlib.sha256(view[start:end]).hexdigest()[:32]
        plan.append((start, end, line, count, digest, load_piece(folder, digest, line, count)))
        line += count
    missing = [(start, end, first) for start, end, first, _, _, cached in plan if cached is None]
    if len(missing) > len(plan) // 2:
        # A cold cache: one polars call over the whole file is faster than one per piece.
        missing = [(plan[0][0], plan[-1][1], FIRST_DATA_LINE)] if plan else []
    parsed = {}
    for start, end, first in missing:
        whole = start == plan[0][0] and end == plan[-1][1]
        text = data if whole else header_line + data[start:end]  # no copy of a 300 MB file
        lines = data.count(b"\n", start, end) + (0 if data.endswith(b"\n") or end < len(data) else 1)
        if b'"' in text or text.count(b",") != (len(header) - 1) * (lines + 1):
            return None  # quotes, or a ragged or blank line: the exact reader names the lines
        before = problems.error_count()
        rows = parse_rows(path, text, header, first, lookups, problems)
        if rows is None:
            return None  # e.g. bytes that are not UTF-8: the exact reader names the line
        parsed[first] = (rows, problems.error_count() == before)
    parts = []
    for start, end, first, count, digest, cached in plan:
        if cached is None:
            owner = max(f for f in parsed if f <= first)
            rows, clean = parsed[owner]
            cached = slice_rows(rows, first - owner, count)
            if folder is not None and clean:
                save_piece(folder, digest, cached)
        parts.append(cached)
    if folder is not None:
        prune(folder, {p[4] for p in plan})
    return Rows(*(np.concatenate([getattr(p, f) for p in parts]) if parts else np.zeros(0, np.int64)
                  for f in ("line", *ARRAYS)))


def parse_rows(path, text: bytes, header: list[str], first_line: int, lookups: Lookups,
               problems: Problems) -> Rows | None:
    try:
        frame = pl.read_csv(io.BytesIO(text), infer_schema=False, empty_string_is_null=False, new_columns=header,
                            row_index_name="line", row_index_offset=first_line)
    except pl.exceptions.PolarsError:
        return None
    frame = frame.select(pl.col("line").cast(pl.Int64), *COLUMNS)
    if b" " in text or b"\t" in text:
        frame = frame.with_columns(pl.col(c).str.strip_chars() for c in COLUMNS)
    return check_frame(path, frame, lookups, problems)


def slice_rows(rows: Rows, offset: int, count: int) -> Rows:
    return Rows(*(getattr(rows, f)[offset:offset + count] for f in ("line", *ARRAYS)))


def load_piece(folder: Path | None, digest: str, first_line: int, count: int) -> Rows | None:
    if folder is None:
        return None
    try:
        with np.load(folder / f"{digest}.npz") as stored:
            arrays = {name: stored[name] for name in ARRAYS}
        for name in ("covered", "eligible"):
            arrays[name] = arrays[name].astype(np.int64)
    except Exception:  # noqa: BLE001 - a damaged cache file is only a cache miss
        return None
    if len(arrays["region"]) != count:
        return None
    return Rows(np.arange(first_line, first_line + count, dtype=np.int64), **arrays)


def save_piece(folder: Path, digest: str, rows: Rows) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{digest}.tmp{os.getpid()}.npz"
    np.savez(tmp, **{name: compact(getattr(rows, name)) for name in ARRAYS})
    tmp.replace(folder / f"{digest}.npz")


def compact(array: np.ndarray) -> np.ndarray:
    """Counts fit in 32 bits almost always; halve what is written (load_piece widens them again)."""
    if array.dtype == np.int64 and (array.size == 0 or (array.min() >= -1 and array.max() < 2**31)):
        return array.astype(np.int32)
    return array


def prune(folder: Path, used: set[str]) -> None:
    if folder.is_dir():
        for stored in folder.glob("*.npz"):
            if stored.name.split(".")[0] not in used:
                stored.unlink(missing_ok=True)


def read_exact(path: Path, data: bytes, problems: Problems) -> pl.DataFrame | None:
    text = decode_utf8(path, data, problems)
    if text is None:
        return None
    before = problems.error_count()
    lines, cells = [], {c: [] for c in COLUMNS}
    for line, row in csv_records(path, text, COLUMNS, problems):
        lines.append(line)
        for column in COLUMNS:
            cells[column].append(row[column].strip())
    if problems.error_count() > before and not lines:
        return None
    return pl.DataFrame({"line": pl.Series(lines, dtype=pl.Int64),
                         **{c: pl.Series(v, dtype=pl.String) for c, v in cells.items()}})


# --- checking rows --------------------------------------------------------------------

def index_of(column: str, enum: pl.Enum) -> pl.Expr:
    """Position of each value among the Enum's categories (null where absent)."""
    return pl.col(column).cast(enum, strict=False).to_physical().cast(pl.Int32)


def count(column: str) -> pl.Expr:
    return pl.when(pl.col(column).str.contains(COUNT_RE)).then(pl.col(column).cast(pl.Int64, strict=False))


ROW_RULES = (
    # (rule name, failing-row expression, message built from the row)
    ("period not YYYY-MM", pl.col("period_n").is_null(),
     lambda r: f'period "{r["period"]}" is not a month in YYYY-MM form between 1900 and 2099 (e.g. 2025-04)'),
    ("unknown region_code", pl.col("region_idx").is_null(),
     lambda r: f'region_code "{r["region_code"]}" is not in regions.csv'),
    ("unknown segment", pl.col("segment_idx").is_null(),
     lambda r: f'segment "{r["segment"]}" is not an id in segments.yaml'),
    ("covered not a whole number", pl.col("covered_n").is_null(),
     lambda r: f'covered "{r["covered"]}" is not a whole number'),
    ("eligible not a whole number", pl.col("eligible_n").is_null() & (pl.col("eligible") != ""),
     lambda r: f'eligible "{r["eligible"]}" is not a whole number (leave it empty when unknown)'),
    ("covered > eligible", pl.col("covered_n") > pl.col("eligible_n"),
     lambda r: f'covered {r["covered"]} is more than eligible {r["eligible"]}'),
    ("unknown source", pl.col("source_idx").is_null(),
     lambda r: f'source "{r["source"]}" is not an id in sources.yaml'),
)


def check_frame(path: Path, frame: pl.DataFrame, lookups: Lookups, problems: Problems) -> Rows:
    """Check every row on its own; report problems; return the rows as arrays."""
    month = pl.col("period").str.slice(0, 4).cast(pl.Int32, strict=False) * 12 + \
        pl.col("period").str.slice(5, 2).cast(pl.Int32, strict=False) - 1
    frame = frame.with_columns(
        region_idx=index_of("region_code", lookups.enums["region_code"]),
        segment_idx=index_of("segment", lookups.enums["segment"]),
        source_idx=index_of("source", lookups.enums["source"]),
        period_n=pl.when(pl.col("period").str.contains(PERIOD_RE)).then(month),
        covered_n=count("covered"),
        eligible_n=count("eligible"),
    )
    report_row_problems(path, frame, problems)

    def column(name, dtype, missing=-1):
        return frame.get_column(name).fill_null(missing).to_numpy().astype(dtype, copy=False)

    return Rows(column("line", np.int64), column("region_idx", np.int32), column("period_n", np.int32),
                column("segment_idx", np.int16), column("covered_n", np.int64), column("eligible_n", np.int64),
                column("source_idx", np.int16))


def report_row_problems(path: Path, frame: pl.DataFrame, problems: Problems) -> None:
    counts = frame.select(failing.fill_null(False).sum().alias(rule) for rule, failing, _ in ROW_RULES).row(0, named=True)
    for rule, failing, message in ROW_RULES:
        if not counts[rule]:
            continue
        shown = frame.filter(failing.fill_null(False)).head(MAX_REPORTED_PER_RULE)
        for row in shown.iter_rows(named=True):
            problems.error(path, row["line"], message(row), rule=rule)
        problems.count_more(path, rule, counts[rule] - len(shown))


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
    lines = rows.line[ok]
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
    lines, regions = rows.line[ok], rows.region[ok]
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
