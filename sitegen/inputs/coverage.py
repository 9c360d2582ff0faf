"""`data/coverage.csv` → checked coverage facts as columns (numpy arrays): the plain way.

1. read the bytes and check the header;
2. parse and check every row (rowcheck: polars with vectorised rules, or row by row with the `csv`
   module where polars could get a line number wrong: quoted fields, ragged or blank lines);
3. check across rows: no cell given twice, a segment reported at one level per period;
4. number the months.

Every problem names `file:line`. The national file has about five million rows; reading it
again after a one-village edit is what `sitegen.fast.coverage` avoids (same facts, from a cache).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import MAX_REPORTED_PER_RULE, Problems, line_ref, tr, tr_noop
from ..schema import ARRAYS, COLUMNS, FIRST_DATA_LINE, Lookups, Rows, cell_key, number_periods
from .files import BOM, check_header, decode_utf8, read_bytes
from .spreadsheets import UnreadableCsv, column_labels, is_semicolon_csv, semicolons_to_commas, workbook_as_csv

WORKBOOK = "coverage.xlsx"  # read instead of coverage.csv where a site keeps its data in Excel

PIECE_BYTES = 256 << 10  # the download zip deflates the file in pieces of whole lines this long


class CoverageFacts:
    """One entry per input row (`period` as an index into `periods`); see schema.Rows.

    The rows may be loaded only when something asks for them (`load`): an update build of the
    fast path updates the cube from the changed rows alone (`state`, see fast.cubestate)."""

    def __init__(self, periods: tuple[str, ...], rows: Rows | None, file: CoverageFile | None = None, *,
                 load=None, state=None):
        self.periods = periods
        self.file = file
        self.state = state
        self._load = load
        self._rows = rows

    @property
    def rows(self) -> Rows:
        if self._rows is None:
            self._rows = self._load()
        return self._rows

    def __getattr__(self, name: str):
        """facts.covered and the like: a column of the rows (schema.ARRAYS)."""
        if name in ARRAYS:
            return getattr(self.rows, name)
        raise AttributeError(name)


@dataclass(frozen=True)
class CoverageFile:
    """The file as read (the download page publishes it), and where its pieces of whole lines
    start and end (none where the rows were read one by one); `digests` and `copy` come with the
    fast path: each piece's SHA-256, and a private copy of the file (fast.snapshot.LinkedFile)."""

    data: bytes
    bounds: tuple[tuple[int, int], ...] = ()
    digests: tuple[str, ...] = ()
    copy: object = field(default=None, compare=False, repr=False)

    @property
    def digest(self) -> str:
        if self.digests:
            return hashlib.sha256("".join(self.digests).encode() + self.data[:self.bounds[0][0]]).hexdigest()
        return hashlib.sha256(self.data).hexdigest()


def load_coverage(data_dir: Path, lookups: Lookups, problems: Problems) -> CoverageFacts | None:
    path = data_dir / "coverage.csv"
    if (data_dir / WORKBOOK).exists():
        if path.exists():
            problems.error(data_dir / WORKBOOK, None, tr("coverage.csv is there too: keep one of the two"))
            return None
        converted = workbook_as_csv(data_dir / WORKBOOK, problems)
        if converted is None:
            return None
        data, path = converted  # problems name the sheet and the row: `data/coverage.xlsx [Sheet]:14: ...`
    else:
        data = read_bytes(path, problems)
        if data is None:
            return None
        data = as_comma_csv(path, data, problems)
    if data is None:
        return None
    header = read_header(path, data, problems)
    if header is None:
        return None
    before = problems.error_count()
    label = column_labels(header) if (data_dir / WORKBOOK).exists() else None
    rows, bounds = read_rows(path, data, header, lookups, problems, label)
    if rows is None:
        return None
    return checked_facts(path, rows, lookups, problems, before, CoverageFile(data, bounds))


def read_rows(path: Path, data: bytes, header: list[str], lookups: Lookups,
              problems: Problems, label=None) -> tuple[Rows | None, tuple]:
    """Every row checked on its own, and the pieces of the file (none where it was read row by row).
    `label` names a column in a problem (default: its name; a workbook's: its letter and name)."""
    from . import rowcheck  # lazy: polars takes ~0.15 s to import: only when rows are parsed

    label = label or rowcheck.same_name
    saved = problems.checkpoint()
    if b'"' not in header_bytes(data):
        rows = rowcheck.checked_piece(path, bytes(data), header, FIRST_DATA_LINE, lookups, problems, label=label)
        if rows is not None:
            return rows, tuple(pieces(data))
    problems.rollback(saved)
    return read_rows_exactly(path, data, lookups, problems, label), ()


def read_rows_exactly(path: Path, data: bytes, lookups: Lookups, problems: Problems, label=None) -> Rows | None:
    """Every row checked by the exact reader (row by row with `csv`): for files whose line numbers a
    polars parse could get wrong (quoted fields, ragged or blank lines, bad bytes)."""
    from . import rowcheck  # lazy: polars takes ~0.15 s to import: only when rows are parsed

    frame = rowcheck.read_exact(path, bytes(data), problems)
    return rowcheck.check_frame(path, frame, lookups, problems, label or rowcheck.same_name) \
        if frame is not None else None


def checked_facts(path: Path, rows: Rows, lookups: Lookups, problems: Problems, errors_before: int,
                  file: CoverageFile, across_rows=None) -> CoverageFacts | None:
    """The facts, once the checks across rows pass (`across_rows` runs them; default: one after the other)."""
    if len(rows.region) == 0 and problems.error_count() == errors_before:
        problems.error(path, 1, tr("has no data rows; add one row per period, region_code and segment"))
        return None
    periods, period_index = number_periods(rows.period)
    (across_rows or check_across_rows)(path, rows, period_index, periods, lookups, problems)
    if problems.error_count() > errors_before:
        return None
    indexed = Rows(region=rows.region, period=period_index, segment=rows.segment, covered=rows.covered,
                   eligible=rows.eligible, source=rows.source)
    return CoverageFacts(tuple(periods), indexed, file)


def check_across_rows(path: Path, rows: Rows, period_index, periods, lookups: Lookups, problems: Problems) -> None:
    report_duplicates(path, rows, period_index, periods, lookups, problems)
    report_mixed_levels(path, rows, period_index, periods, lookups, problems)


# --- reading --------------------------------------------------------------------------

def as_comma_csv(path: Path, data: bytes, problems: Problems) -> bytes | None:
    """The file as sitegen's comma CSV: as it is (without a BOM), or rewritten when Excel saved it with
    `;` (inputs/spreadsheets.py); None after reporting that it is not UTF-8."""
    if data[:len(BOM)] == BOM:
        data = data[len(BOM):]
    if not is_semicolon_csv(bytes(header_bytes(data)).decode("utf-8", "replace")):
        return data
    text = decode_utf8(path, bytes(data), problems)
    if text is None:
        return None
    try:
        return semicolons_to_commas(text).encode("utf-8")
    except UnreadableCsv as exc:
        problems.error(path, exc.line, tr("unreadable CSV: {reason}", reason=exc))
        return None


def header_bytes(data: bytes) -> bytes:
    end = data.find(b"\n")
    return data[: end if end >= 0 else len(data)]


def read_header(path: Path, data: bytes, problems: Problems) -> list[str] | None:
    first = header_bytes(data)
    if not first.strip():
        problems.error(path, 1, tr("file is empty; expected a header row"))
        return None
    header = header_names(first)
    if b'"' not in first and not check_header(path, header, COLUMNS, problems):
        return None
    return header


def header_names(header: bytes) -> list[str]:
    return [h.strip() for h in bytes(header).decode("utf-8", "replace").rstrip("\r").split(",")]


def pieces(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of runs of whole lines after the header, each PIECE_BYTES or a little more."""
    start = data.find(b"\n") + 1
    bounds = []
    while 0 < start < len(data):
        cut = data.find(b"\n", start + PIECE_BYTES)
        end = len(data) if cut < 0 else cut + 1
        bounds.append((start, end))
        start = end
    return bounds


def line_count(data, start: int, end: int) -> int:
    """Lines in data[start:end], a run of whole lines (the last one may lack its newline)."""
    text = data[start:end]
    return text.count(b"\n") + (0 if text.endswith(b"\n") else 1)


# --- checking across rows -------------------------------------------------------------

def keyed(rows: Rows, period_index: np.ndarray) -> np.ndarray:
    return (rows.region >= 0) & (period_index >= 0) & (rows.segment >= 0)


def report_duplicates(path, rows: Rows, period_index, periods, lookups: Lookups, problems: Problems) -> None:
    ok = keyed(rows, period_index)
    n_periods, n_segments = max(1, len(periods)), max(1, len(lookups.segment_ids))
    keys = cell_key(rows.region[ok], period_index[ok], rows.segment[ok], n_periods, n_segments)
    if keys.size == 0:
        return
    per_cell = np.bincount(keys)  # keys are dense: counting beats hashing five million rows
    if per_cell.max() <= 1:
        return
    lines = rows.lines()[ok]
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
        problems.error(path, line, tr("duplicate row for period {period}, region_code {region}, segment {segment} "
                                      "(first given on {first})", period=periods[period],
                                      region=lookups.region_codes[region], segment=lookups.segment_ids[segment],
                                      first=line_ref(path, first)), rule=tr_noop("duplicate row"))
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
    lines, regions = rows.lines()[ok], rows.region[ok]
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
        problems.error(path, line, tr("segment {segment} in {period} is reported here for a {level} ({code}) but on "
                                      "{first_line} for a {first_level}; report a segment at one level per "
                                      "period so nobody is counted twice", segment=segment, period=period,
                                      level=lvl, code=code, first_line=line_ref(path, first_line),
                                      first_level=first_level),
                       rule=tr_noop("segment at two levels"))
    problems.count_more(path, "segment at two levels", len(clashes) - min(len(clashes), MAX_REPORTED_PER_RULE))
