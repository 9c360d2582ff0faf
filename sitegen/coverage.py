"""`data/coverage.csv` → validated coverage facts as columns (numpy arrays).

The national file has about five million rows, so rows are parsed by polars and
checked with vectorised expressions; every message still names `file:line`.
Line numbers are exact: when the file holds quotes or ragged rows (where a
row's position and its line could differ) it is read row by row with `csv`.
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
    frame = index_columns(frame, region_codes, segment_ids, source_ids)
    report_row_problems(path, frame, problems)
    report_duplicates(path, frame, problems)
    report_mixed_levels(path, frame.filter(pl.col("region_idx").is_not_null() & pl.col("segment_idx").is_not_null()),
                        region_levels, problems)
    if problems.error_count() > before:
        return None
    return to_facts(frame)


# --- reading --------------------------------------------------------------------------

def read_frame(path: Path, problems: Problems) -> pl.DataFrame | None:
    """All cells as strings plus a `line` column."""
    data = read_bytes(path, problems)
    if data is None or decode_utf8(path, data, problems) is None:
        return None
    header_end = data.find(b"\n")
    header_text = data[: header_end if header_end >= 0 else len(data)].decode().rstrip("\r")
    if not header_text.strip():
        problems.error(path, 1, "file is empty; expected a header row")
        return None
    header = [h.strip() for h in header_text.split(",")]
    if b'"' not in data[:header_end] and not check_header(path, header, COLUMNS, problems):
        return None
    frame = read_fast(data, header) if b'"' not in data else None
    return frame if frame is not None else read_exact(path, data, problems)


def read_fast(data: bytes, header: list[str]) -> pl.DataFrame | None:
    """Parse with polars; None when line numbers could not be trusted (ragged rows)."""
    rows_with_text = data.count(b"\n") + (0 if data.endswith(b"\n") else 1) - 1
    expected_commas = (len(header) - 1) * (rows_with_text + 1)
    if np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == ord(",")) != expected_commas:
        return None  # a ragged or blank line: let the exact reader name it
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, empty_string_is_null=False,
                            new_columns=header, row_index_name="line", row_index_offset=FIRST_DATA_LINE)
    except pl.exceptions.PolarsError:
        return None
    frame = frame.with_columns(pl.col("line").cast(pl.Int64))
    return frame.select(["line", *COLUMNS]).with_columns(pl.col(c).str.strip_chars() for c in COLUMNS)


def read_exact(path: Path, data: bytes, problems: Problems) -> pl.DataFrame | None:
    before = problems.error_count()
    lines, cells = [], {c: [] for c in COLUMNS}
    for line, row in csv_records(path, data.decode("utf-8"), COLUMNS, problems):
        lines.append(line)
        for column in COLUMNS:
            cells[column].append(row[column].strip())
    if problems.error_count() > before and not lines:
        return None
    return pl.DataFrame({"line": pl.Series(lines, dtype=pl.Int64),
                         **{c: pl.Series(v, dtype=pl.String) for c, v in cells.items()}})


# --- checking -------------------------------------------------------------------------

def index_columns(frame, region_codes, segment_ids, source_ids) -> pl.DataFrame:
    def lookup(column, keys):
        mapping = {key: index for index, key in enumerate(keys)}
        return pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.Int32)

    frame = frame.with_columns(
        region_idx=lookup("region_code", region_codes),
        segment_idx=lookup("segment", segment_ids),
        source_idx=lookup("source", source_ids),
        period_ok=pl.col("period").str.contains(PERIOD_RE),
        covered_ok=pl.col("covered").str.contains(COUNT_RE),
        eligible_ok=(pl.col("eligible") == "") | pl.col("eligible").str.contains(COUNT_RE),
    )
    frame = frame.with_columns(
        covered_n=pl.when(pl.col("covered_ok")).then(pl.col("covered").cast(pl.Int64, strict=False)),
        eligible_n=pl.when(pl.col("eligible_ok") & (pl.col("eligible") != ""))
        .then(pl.col("eligible").cast(pl.Int64, strict=False)),
    )
    return frame


ROW_RULES = (
    # (rule name, failing-row expression, message built from the row)
    ("period not YYYY-MM", ~pl.col("period_ok"),
     lambda r: f'period "{r["period"]}" is not a month in YYYY-MM form (e.g. 2025-04)'),
    ("unknown region_code", pl.col("region_idx").is_null(),
     lambda r: f'region_code "{r["region_code"]}" is not in regions.csv'),
    ("unknown segment", pl.col("segment_idx").is_null(),
     lambda r: f'segment "{r["segment"]}" is not an id in segments.yaml'),
    ("covered not a whole number", ~pl.col("covered_ok"),
     lambda r: f'covered "{r["covered"]}" is not a whole number'),
    ("eligible not a whole number", ~pl.col("eligible_ok"),
     lambda r: f'eligible "{r["eligible"]}" is not a whole number (leave it empty when unknown)'),
    ("covered > eligible", pl.col("covered_n") > pl.col("eligible_n"),
     lambda r: f'covered {r["covered"]} is more than eligible {r["eligible"]}'),
    ("unknown source", pl.col("source_idx").is_null(),
     lambda r: f'source "{r["source"]}" is not an id in sources.yaml'),
)


def report_row_problems(path: Path, frame: pl.DataFrame, problems: Problems) -> None:
    for rule, failing, message in ROW_RULES:
        bad = frame.filter(failing.fill_null(False))
        shown = bad.head(MAX_REPORTED_PER_RULE)
        for row in shown.iter_rows(named=True):
            problems.error(path, row["line"], message(row), rule=rule)
        problems.count_more(path, rule, len(bad) - len(shown))


def report_duplicates(path: Path, frame: pl.DataFrame, problems: Problems) -> None:
    key = ["period", "region_code", "segment"]
    duplicated = frame.filter(pl.struct(key).is_duplicated())
    if duplicated.is_empty():
        return
    first = duplicated.group_by(key).agg(pl.col("line").min().alias("first_line"))
    repeats = duplicated.join(first, on=key).filter(pl.col("line") != pl.col("first_line")).sort("line")
    for row in repeats.iter_rows(named=True):
        problems.error(path, row["line"],
                       f'duplicate row for period {row["period"]}, region_code {row["region_code"]}, '
                       f'segment {row["segment"]} (first given on line {row["first_line"]})',
                       rule="duplicate row")


def report_mixed_levels(path: Path, frame: pl.DataFrame, region_levels: list[str], problems: Problems) -> None:
    """A segment is reported at one level per period, so that no worker is counted twice."""
    levels = pl.Series("level", region_levels, dtype=pl.String)
    frame = frame.select("line", "period", "segment", "region_code",
                         pl.col("region_idx").map_batches(lambda s: levels.gather(s), return_dtype=pl.String).alias("level"))
    first = frame.sort("line").group_by(["period", "segment"]).agg(
        pl.col("level").first().alias("first_level"), pl.col("line").first().alias("first_line"))
    mixed = frame.join(first, on=["period", "segment"]).filter(pl.col("level") != pl.col("first_level")).sort("line")
    for row in mixed.iter_rows(named=True):
        problems.error(path, row["line"],
                       f'segment {row["segment"]} in {row["period"]} is reported here for a {row["level"]} '
                       f'({row["region_code"]}) but on line {row["first_line"]} for a {row["first_level"]}; '
                       f'report a segment at one level per period so nobody is counted twice',
                       rule="segment at two levels")


def to_facts(frame: pl.DataFrame) -> CoverageFacts:
    periods = tuple(sorted(frame.get_column("period").unique().to_list()))
    period_idx = frame.get_column("period").replace_strict(
        {p: i for i, p in enumerate(periods)}, return_dtype=pl.Int32)
    return CoverageFacts(
        periods=periods,
        region=frame.get_column("region_idx").to_numpy(),
        period=period_idx.to_numpy(),
        segment=frame.get_column("segment_idx").to_numpy(),
        covered=frame.get_column("covered_n").to_numpy(),
        eligible=frame.get_column("eligible_n").fill_null(-1).to_numpy(),
        source=frame.get_column("source_idx").to_numpy(),
    )
