"""Parsing and checking coverage rows one by one, with polars.

Kept apart from `coverage` so that polars (about 0.15 s to import) is loaded only
when some rows have to be parsed: a rebuild whose pieces are all cached skips it.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from ..errors import MAX_REPORTED_PER_RULE, Problems, tr, tr_noop
from ..schema import COLUMNS, COUNT_RE, FIRST_YEAR, LAST_YEAR, Lookups, Rows, month_number
from .files import csv_records, decode_utf8


def enums(lookups: Lookups) -> dict[str, pl.Enum]:
    """Enum types made once per Lookups: with 90,000 region codes, building one costs milliseconds."""
    if lookups.enum_types is None:
        lookups.enum_types = {"region_code": pl.Enum(lookups.region_codes), "segment": pl.Enum(lookups.segment_ids),
                              "source": pl.Enum(lookups.source_ids)}
    return lookups.enum_types


def same_name(column: str) -> str:
    return column


def checked_piece(path, text: bytes, header: list[str], lines: int | np.ndarray, lookups: Lookups,
                  problems: Problems, frame: pl.DataFrame | None = None, label=same_name) -> Rows | None:
    """Parse and check runs of whole lines after a header; `lines` is the line of the first row, or
    of every row; `frame` is parse_text's result when already made. None where only the exact reader
    can name the lines (quotes, ragged or blank lines, bytes that are not UTF-8)."""
    frame = frame if frame is not None else parse_text(text, header, lines)
    if frame is None:
        return None
    rows = check_frame(path, frame, lookups, problems, label)
    return dataclasses.replace(rows, line=None)  # the caller knows each row's line


@dataclass(frozen=True)
class TextShape:
    """What parse_text needs to know of a text before it trusts polars with it."""

    lines: int      # the header is one of them; a last line without its newline counts
    commas: int
    quotes: bool
    blanks: bool    # a space or a tab anywhere


def shape_of(text: bytes) -> TextShape:
    return TextShape(text.count(b"\n") + (0 if text.endswith(b"\n") else 1), text.count(b","), b'"' in text,
                     b" " in text or b"\t" in text)


def parse_text(text: bytes | str, header: list[str], lines: int | np.ndarray,
               shape: TextShape | None = None) -> pl.DataFrame | None:
    """The rows of `text` (a header line, then whole lines) as strings with their line numbers, or
    None where polars could get the line numbers wrong. `text` may be the name of a file whose
    `shape` is given: polars then maps the file instead of reading a copy of its bytes."""
    shape = shape or shape_of(text)
    if shape.quotes or shape.commas != (len(header) - 1) * shape.lines:
        return None
    try:
        frame = pl.read_csv(text if isinstance(text, str) else io.BytesIO(text), infer_schema=False,
                            empty_string_is_null=False, new_columns=header,
                            row_index_name="line", row_index_offset=lines if isinstance(lines, int) else 0)
    except pl.exceptions.PolarsError:
        return None
    if not isinstance(lines, int):
        if len(lines) != frame.height:
            return None
        frame = frame.with_columns(line=pl.Series(lines, dtype=pl.Int64))
    elif frame.height != shape.lines - 1:
        return None
    frame = frame.select(pl.col("line").cast(pl.Int64), *COLUMNS)
    if shape.blanks:
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


def index_of(column: str, enum: pl.Enum) -> pl.Expr:
    """Position of each value among the Enum's categories (null where absent)."""
    return pl.col(column).cast(enum, strict=False).to_physical().cast(pl.Int32)


# Every valid period as a category: a cast finds each row's month faster than a regex and slicing.
MONTHS = pl.Enum([f"{year:04d}-{month:02d}" for year in range(FIRST_YEAR, LAST_YEAR + 1) for month in range(1, 13)])


def count(column: str) -> pl.Expr:
    return pl.when(pl.col(column).str.contains(COUNT_RE)).then(pl.col(column).cast(pl.Int64, strict=False))


ROW_RULES = (
    # (rule name, failing-row expression, message built from the row and the columns' labels: the
    # column's name in a CSV, its letter and name in a workbook)
    (tr_noop("period not YYYY-MM"), pl.col("period_n").is_null(),
     lambda r, col: tr('{field} "{value}" is not a month in YYYY-MM form between {first} and {last} (e.g. 2025-04)',
                       field=col("period"), value=r["period"], first=FIRST_YEAR, last=LAST_YEAR)),
    (tr_noop("unknown region_code"), pl.col("region_idx").is_null(),
     lambda r, col: tr('{field} "{value}" is not in regions.csv', field=col("region_code"), value=r["region_code"])),
    (tr_noop("unknown segment"), pl.col("segment_idx").is_null(),
     lambda r, col: tr('{field} "{value}" is not an id in segments.yaml', field=col("segment"), value=r["segment"])),
    (tr_noop("covered not a whole number"), pl.col("covered_n").is_null(),
     lambda r, col: tr('{field} "{value}" is not a whole number', field=col("covered"), value=r["covered"])),
    (tr_noop("eligible not a whole number"), pl.col("eligible_n").is_null() & (pl.col("eligible") != ""),
     lambda r, col: tr('{field} "{value}" is not a whole number (leave it empty when unknown)',
                       field=col("eligible"), value=r["eligible"])),
    (tr_noop("covered > eligible"), pl.col("covered_n") > pl.col("eligible_n"),
     lambda r, col: tr("{covered_field} {covered} is more than {eligible_field} {eligible}", covered_field=col("covered"),
                       covered=r["covered"], eligible_field=col("eligible"), eligible=r["eligible"])),
    (tr_noop("unknown source"), pl.col("source_idx").is_null(),
     lambda r, col: tr('{field} "{value}" is not an id in sources.yaml', field=col("source"), value=r["source"])),
)


def check_frame(path: Path, frame: pl.DataFrame, lookups: Lookups, problems: Problems, label=same_name) -> Rows:
    """Check every row on its own; report problems; return the rows as arrays."""
    frame = frame.with_columns(
        region_idx=index_of("region_code", enums(lookups)["region_code"]),
        segment_idx=index_of("segment", enums(lookups)["segment"]),
        source_idx=index_of("source", enums(lookups)["source"]),
        period_n=index_of("period", MONTHS) + month_number(FIRST_YEAR, 1),  # MONTHS are consecutive months
        covered_n=count("covered"),
        eligible_n=count("eligible"),
    )
    report_row_problems(path, frame, problems, label)
    # One select makes every array at its final type, in one contiguous chunk each: converting
    # column by column (fill_null, to_numpy, astype) took twice as long as all the checks.
    arrays = frame.select(
        pl.col("line").cast(pl.Int64),
        region=pl.col("region_idx").fill_null(-1).cast(pl.Int32), period=pl.col("period_n").fill_null(-1).cast(pl.Int32),
        segment=pl.col("segment_idx").fill_null(-1).cast(pl.Int16), covered=pl.col("covered_n").fill_null(-1),
        eligible=pl.col("eligible_n").fill_null(-1), source=pl.col("source_idx").fill_null(-1).cast(pl.Int16),
    ).rechunk()
    return Rows(line=arrays.get_column("line").to_numpy(),
                **{name: arrays.get_column(name).to_numpy() for name in arrays.columns if name != "line"})


def report_row_problems(path: Path, frame: pl.DataFrame, problems: Problems, label=same_name) -> None:
    counts = frame.select(failing.fill_null(False).sum().alias(rule) for rule, failing, _ in ROW_RULES).row(0, named=True)
    for rule, failing, message in ROW_RULES:
        if not counts[rule]:
            continue
        shown = frame.filter(failing.fill_null(False)).head(MAX_REPORTED_PER_RULE)
        for row in shown.iter_rows(named=True):
            problems.error(path, row["line"], message(row, label), rule=rule)
        problems.count_more(path, rule, counts[rule] - len(shown))
