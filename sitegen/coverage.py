"""`data/coverage.csv` → validated coverage facts as columns (numpy arrays).

The national file has about five million rows, so it is parsed by polars and
checked with vectorised expressions; every message still names `file:line`.
Line numbers are exact: when a row's position and its line could differ
(quoted fields, ragged or blank lines, bad bytes) the file is read row by row
with `csv` instead, which is slower but names every line.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from .errors import MAX_REPORTED_PER_RULE, Problems
from .sources import check_header, csv_records, decode_utf8, read_bytes

COLUMNS = ("period", "region_code", "segment", "covered", "eligible", "source")
PERIOD_RE = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
COUNT_RE = r"^[0-9]{1,15}$"  # [0-9], not \d: polars' \d also matches other scripts' digits
FIRST_DATA_LINE = 2


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


def load_coverage(data_dir: Path, region_codes: list[str], region_levels: list[str],
                  segment_ids: list[str], source_ids: list[str], problems: Problems) -> CoverageFacts | None:
    path = data_dir / "coverage.csv"
    frame = read_frame(path, problems)
    if frame is None:
        return None
    before = problems.error_count()
    frame, periods = index_columns(frame, region_codes, segment_ids, source_ids)
    report_row_problems(path, frame, problems)
    keyed = pl.all_horizontal(pl.col(c).is_not_null() for c in ("region_idx", "segment_idx", "period_idx"))
    valid = frame if problems.error_count() == before else frame.filter(keyed)
    report_duplicates(path, valid, len(periods), len(segment_ids), problems)
    report_mixed_levels(path, valid, region_levels, len(segment_ids), problems)
    if problems.error_count() > before:
        return None
    return to_facts(frame, periods)


# --- reading --------------------------------------------------------------------------

def read_frame(path: Path, problems: Problems) -> pl.DataFrame | None:
    """All cells as strings plus a `line` column."""
    data = read_bytes(path, problems)
    if data is None:
        return None
    header_end = data.find(b"\n")
    header_bytes = data[: header_end if header_end >= 0 else len(data)]
    if not header_bytes.strip():
        problems.error(path, 1, "file is empty; expected a header row")
        return None
    header = [h.strip() for h in header_bytes.decode("utf-8", "replace").rstrip("\r").split(",")]
    if b'"' not in header_bytes and not check_header(path, header, COLUMNS, problems):
        return None
    frame = read_fast(data, header) if b'"' not in data else None
    if frame is None:
        frame = read_exact(path, data, problems)
    return frame


def read_fast(data: bytes, header: list[str]) -> pl.DataFrame | None:
    """Parse with polars; None when line numbers could not be trusted or the bytes are not UTF-8."""
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if data.count(b",") != (len(header) - 1) * lines:
        return None  # a ragged or blank line: let the exact reader name it
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, empty_string_is_null=False,
                            new_columns=header, row_index_name="line", row_index_offset=FIRST_DATA_LINE)
    except pl.exceptions.PolarsError:
        return None
    frame = frame.select(pl.col("line").cast(pl.Int64), *COLUMNS)
    if b" " in data or b"\t" in data:
        frame = frame.with_columns(pl.col(c).str.strip_chars() for c in COLUMNS)
    return frame


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


# --- checking -------------------------------------------------------------------------

def index_of(column: str, keys) -> pl.Expr:
    """Position of each value in `keys` (null where absent), through polars' Enum lookup."""
    return pl.col(column).cast(pl.Enum(list(keys)), strict=False).to_physical().cast(pl.Int32)


def index_columns(frame: pl.DataFrame, region_codes, segment_ids, source_ids) -> tuple[pl.DataFrame, list[str]]:
    """Add each row's region/segment/source/period index (null when unknown) and its counts."""
    periods = frame.get_column("period").unique()
    valid_periods = sorted(periods.filter(periods.str.contains(PERIOD_RE)).to_list())

    def count(column):
        return pl.when(pl.col(column).str.contains(COUNT_RE)).then(pl.col(column).cast(pl.Int64, strict=False))

    frame = frame.with_columns(
        region_idx=index_of("region_code", region_codes),
        segment_idx=index_of("segment", segment_ids),
        source_idx=index_of("source", source_ids),
        period_idx=index_of("period", valid_periods),
        covered_n=count("covered"),
        eligible_n=count("eligible"),
    )
    return frame, valid_periods


ROW_RULES = (
    # (rule name, failing-row expression, message built from the row)
    ("period not YYYY-MM", pl.col("period_idx").is_null(),
     lambda r: f'period "{r["period"]}" is not a month in YYYY-MM form (e.g. 2025-04)'),
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


def report_row_problems(path: Path, frame: pl.DataFrame, problems: Problems) -> None:
    counts = frame.select(failing.fill_null(False).sum().alias(rule) for rule, failing, _ in ROW_RULES).row(0, named=True)
    for rule, failing, message in ROW_RULES:
        if not counts[rule]:
            continue
        shown = frame.filter(failing.fill_null(False)).head(MAX_REPORTED_PER_RULE)
        for row in shown.iter_rows(named=True):
            problems.error(path, row["line"], message(row), rule=rule)
        problems.count_more(path, rule, counts[rule] - len(shown))


def cell_keys(frame: pl.DataFrame, n_periods: int, n_segments: int) -> np.ndarray:
    """One int64 per row identifying its (region, period, segment) cell."""
    region = frame.get_column("region_idx").to_numpy().astype(np.int64)
    period = frame.get_column("period_idx").to_numpy().astype(np.int64)
    segment = frame.get_column("segment_idx").to_numpy().astype(np.int64)
    return (region * n_periods + period) * n_segments + segment


def report_duplicates(path: Path, frame: pl.DataFrame, n_periods: int, n_segments: int, problems: Problems) -> None:
    raw_keys = cell_keys(frame, n_periods, n_segments)
    if raw_keys.size == 0:
        return
    # Keys are dense (region × period × segment), so counting beats hashing five million rows.
    per_cell = np.bincount(raw_keys)
    if per_cell.max() <= 1:
        return
    duplicated = per_cell[raw_keys] > 1
    rows = frame.with_columns(key=pl.Series(raw_keys)).filter(pl.Series(duplicated))
    first = rows.group_by("key").agg(pl.col("line").min().alias("first_line"))
    repeats = rows.join(first, on="key").filter(pl.col("line") != pl.col("first_line")).sort("line")
    for row in repeats.head(MAX_REPORTED_PER_RULE).iter_rows(named=True):
        problems.error(path, row["line"],
                       f'duplicate row for period {row["period"]}, region_code {row["region_code"]}, '
                       f'segment {row["segment"]} (first given on line {row["first_line"]})',
                       rule="duplicate row")
    problems.count_more(path, "duplicate row", len(repeats) - min(len(repeats), MAX_REPORTED_PER_RULE))


def report_mixed_levels(path: Path, frame: pl.DataFrame, region_levels: list[str], n_segments: int,
                        problems: Problems) -> None:
    """A segment is reported at one level per period, so that no worker is counted twice."""
    level_codes = {level: i for i, level in enumerate(dict.fromkeys(region_levels))}
    level_of_region = np.array([level_codes[level] for level in region_levels], dtype=np.int8)
    level = level_of_region[frame.get_column("region_idx").to_numpy()]
    group = frame.get_column("period_idx").to_numpy().astype(np.int64) * n_segments + frame.get_column("segment_idx").to_numpy()
    if group.size == 0:
        return
    low = np.full(group.max() + 1, 127, dtype=np.int8)
    high = np.full(group.max() + 1, -1, dtype=np.int8)
    np.minimum.at(low, group, level)
    np.maximum.at(high, group, level)
    if (low[group] == high[group]).all():
        return
    names = list(level_codes)
    mixed = frame.with_columns(level=pl.Series([names[i] for i in level], dtype=pl.String)) \
        .filter(pl.Series(low[group] != high[group]))
    first = mixed.sort("line").group_by(["period", "segment"]).agg(
        pl.col("level").first().alias("first_level"), pl.col("line").first().alias("first_line"))
    clashes = mixed.join(first, on=["period", "segment"]).filter(pl.col("level") != pl.col("first_level")).sort("line")
    for row in clashes.head(MAX_REPORTED_PER_RULE).iter_rows(named=True):
        problems.error(path, row["line"],
                       f'segment {row["segment"]} in {row["period"]} is reported here for a {row["level"]} '
                       f'({row["region_code"]}) but on line {row["first_line"]} for a {row["first_level"]}; '
                       f'report a segment at one level per period so nobody is counted twice',
                       rule="segment at two levels")
    problems.count_more(path, "segment at two levels", len(clashes) - min(len(clashes), MAX_REPORTED_PER_RULE))


def to_facts(frame: pl.DataFrame, periods: list[str]) -> CoverageFacts:
    def column(name, dtype):
        return frame.get_column(name).to_numpy().astype(dtype, copy=False)

    return CoverageFacts(
        periods=tuple(periods),
        region=column("region_idx", np.int64),
        period=column("period_idx", np.int64),
        segment=column("segment_idx", np.int64),
        covered=column("covered_n", np.int64),
        eligible=frame.get_column("eligible_n").fill_null(-1).to_numpy(),
        source=column("source_idx", np.int64),
    )
