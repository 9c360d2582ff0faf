"""The shape of the coverage data, in one leaf module: `coverage.csv`'s columns, the checked rows
as arrays, the lookups they are checked against, month numbers and labels, and the cell key.

Every stage and every fast path reads these names from here; this module imports nothing of sitegen.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

COLUMNS = ("period", "region_code", "segment", "covered", "eligible", "source")
FIRST_YEAR, LAST_YEAR = 1900, 2099  # a year like 0000 or 2205 is a typo
COUNT_RE = r"^[0-9]{1,15}$"  # [0-9], not \d: polars' \d also matches other scripts' digits
FIRST_DATA_LINE = 2


@dataclass(frozen=True)
class Rows:
    """Checked rows as arrays, one entry per row: `region`, `segment` and `source` index the lookups'
    lists and are -1 where a value was invalid (and reported); `period` is a month number (see
    `month_number`), or an index into the sorted periods once those are known; `eligible` is -1
    where the file left it empty. `line` is None when row i is on line FIRST_DATA_LINE + i."""

    region: np.ndarray
    period: np.ndarray
    segment: np.ndarray
    covered: np.ndarray
    eligible: np.ndarray
    source: np.ndarray
    line: np.ndarray | None = None

    def columns(self) -> list[np.ndarray]:
        return [getattr(self, name) for name in ARRAYS]

    @classmethod
    def of_columns(cls, columns) -> Rows:
        return cls(*columns)

    def slice(self, offset: int, count: int) -> Rows:
        return Rows.of_columns(column[offset:offset + count] for column in self.columns())

    def select(self, keep: np.ndarray) -> Rows:
        return Rows.of_columns(column[keep] for column in self.columns())

    @staticmethod
    def join(parts: list[Rows]) -> Rows:
        if not parts:
            return Rows.of_columns(np.zeros(0, np.int32) for _ in ARRAYS)
        return Rows.of_columns(np.concatenate(columns) for columns in zip(*(p.columns() for p in parts)))

    def lines(self) -> np.ndarray:
        if self.line is not None:
            return self.line
        return np.arange(FIRST_DATA_LINE, FIRST_DATA_LINE + len(self.region), dtype=np.int64)


ARRAYS = tuple(f.name for f in fields(Rows) if f.name != "line")


@dataclass
class Lookups:
    """What a row's values are checked against: the site's regions (with their levels), segments and sources."""

    region_codes: list[str]
    region_levels: list[str]
    segment_ids: list[str]
    source_ids: list[str]

    enum_types: dict | None = field(default=None, repr=False)  # made by rowcheck.enums when first needed


def month_number(year: int, month: int) -> int:
    """Months counted from year 0: year × 12 + month − 1 (consecutive months, consecutive numbers)."""
    return year * 12 + month - 1


def month_label(number: int) -> str:
    """The period label of a month number: "YYYY-MM"."""
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def number_periods(months: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Sorted period labels, and each row's index into them (-1 for invalid rows)."""
    valid = months >= 0
    if not valid.any():
        return [], np.full(len(months), -1, dtype=np.int64)
    low = int(months[valid].min())
    seen = np.bincount(months[valid] - low)  # months span a few hundred values: counting beats sorting
    present = np.flatnonzero(seen)
    labels = [month_label(m + low) for m in present.tolist()]
    position = np.full(len(seen), -1, dtype=np.int64)
    position[present] = np.arange(len(present))
    index = np.where(valid, position[np.clip(months - low, 0, len(seen) - 1)], -1)
    return labels, index


CELL_KEY_COLUMNS = ("region", "period", "segment")  # one row per cell: what names a row


def cell_key(region, period, segment, n_periods: int, n_segments: int):
    """The flat index of a [region, period, segment] cell of the cube (numbers or int64 arrays)."""
    if isinstance(region, np.ndarray):
        region = region.astype(np.int64)
    return (region * n_periods + period) * n_segments + segment
