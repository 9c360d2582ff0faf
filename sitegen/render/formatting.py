"""Numbers and dates in the reader's locale (Indonesian first), through Babel.

Babel supplies the locale's symbols and month names once; formatting a number is
then plain string work, because a national build formats tens of millions of
numbers and `babel.numbers.format_decimal` costs ~8 µs a call. Tests check that
the results equal Babel's own.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_compact_decimal, get_decimal_symbol, get_group_symbol, get_minus_sign_symbol, get_plus_sign_symbol


@dataclass(frozen=True)
class NumberFormat:
    locale: str
    group: str
    decimal: str
    minus: str
    plus: str
    # Python's "1,234.5" → the locale's symbols, all at once (one str.translate call: a national
    # build formats tens of millions of numbers); None where Python's symbols are the locale's.
    _symbols: dict | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self):
        table = {ord(","): self.group, ord("."): self.decimal, ord("-"): self.minus}
        if any(chr(key) != value for key, value in table.items()):
            object.__setattr__(self, "_symbols", table)

    def integer(self, value) -> str:
        return self._swap(f"{int(value):,}")

    def decimal_number(self, value: float, digits: int = 1) -> str:
        return self._swap(f"{value:,.{digits}f}")

    def percent(self, value: float | None, digits: int = 1) -> str:
        """`value` is already in percent (81.73 → '81,73%' in Indonesian)."""
        if value is None:
            return "–"
        value = float(value)  # (perf) numpy's float64 formats at half the speed of Python's float
        if value != value:  # NaN
            return "–"
        return self._swap(f"{value:,.{digits}f}") + "%"

    def signed_percent(self, value: float | None, digits: int = 2) -> str:
        if value is None:
            return "–"
        sign = self.plus if value > 0 else ""
        return sign + self.percent(value, digits)

    def points(self, value: float | None, digits: int = 1) -> str:
        if value is None or math.isnan(value):
            return "–"
        sign = self.plus if value > 0 else ""
        return sign + self.decimal_number(value, digits)

    def compact(self, value: float) -> str:
        """A large amount in words: 125330000000 → '125,33 miliar' ('125.33 billion')."""
        if abs(value) < 1_000_000:
            return self.integer(value)
        return format_compact_decimal(value, format_type="long", locale=self.locale, fraction_digits=2)

    def file_size(self, size: int) -> str:
        """1536 → '1,5 KB' (1,024 bytes to the KB, as file managers show it)."""
        for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
            if size >= scale:
                return f"{self.decimal_number(size / scale, 1)} {unit}"
        return f"{self.integer(size)} B"

    def _swap(self, text: str) -> str:
        symbols = self._symbols
        if symbols is None:
            return text
        # (perf) Most numbers on a page carry one kind of symbol (a percent under 1,000, a count
        # without decimals): str.replace swaps it in a third of str.translate's time.
        if "-" not in text:
            if "," not in text:
                return text.replace(".", self.decimal)
            if "." not in text:
                return text.replace(",", self.group)
        return text.translate(symbols)


@lru_cache(maxsize=None)
def number_format(locale: str) -> NumberFormat:
    return NumberFormat(locale, get_group_symbol(locale), get_decimal_symbol(locale),
                        get_minus_sign_symbol(locale), get_plus_sign_symbol(locale))


@lru_cache(maxsize=256)
def long_date(value: dt.date, locale: str) -> str:
    """16 April 2025"""
    return format_date(value, "d MMMM y", locale=locale)


@lru_cache(maxsize=None)
def month_label(period: str, locale: str, width: str = "MMMM") -> str:
    """'2025-04' → 'April 2025' (or 'Apr 2025' with width='MMM')."""
    year, month = period.split("-")
    return format_date(dt.date(int(year), int(month), 1), f"{width} y", locale=locale)


def vega_format_locale(locale: str) -> dict:
    """d3-format locale for vega-embed, so chart axes and tooltips read like the page."""
    numbers = number_format(locale)
    return {"decimal": numbers.decimal, "thousands": numbers.group, "grouping": [3],
            "currency": ["Rp", ""], "minus": numbers.minus, "percent": "%"}


def vega_time_format_locale(locale: str) -> dict:
    """d3-time-format locale built from Babel's calendar data."""
    loc = Locale.parse(locale)
    months = [loc.months["format"]["wide"][i] for i in range(1, 13)]
    short_months = [loc.months["format"]["abbreviated"][i] for i in range(1, 13)]
    # d3 counts days from Sunday; Babel from Monday (0).
    days = [loc.days["format"]["wide"][(i + 6) % 7] for i in range(7)]
    short_days = [loc.days["format"]["abbreviated"][(i + 6) % 7] for i in range(7)]
    return {"dateTime": "%A, %e %B %Y %X", "date": "%d/%m/%Y", "time": "%H.%M.%S",
            "periods": ["AM", "PM"], "days": days, "shortDays": short_days,
            "months": months, "shortMonths": short_months}
