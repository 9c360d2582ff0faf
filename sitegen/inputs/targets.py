"""Targets turned into decisions: when the target is reached at the current pace, and what
enrolling everyone still unprotected would cost the village fund.

Premiums come from `data/rates.yaml` (never from code): for workers who are not wage
earners (Bukan Penerima Upah) the Jaminan Kecelakaan Kerja premium is a percentage of
the declared monthly income with a floor, and Jaminan Kematian is a fixed amount a month.
All money is whole rupiah and computed with integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path


from .config import URL_RE, warn_unknown_keys
from ..errors import Problems, tr
from .files import LineDict, line_of, load_yaml

RATES_KEYS = {"declared_monthly_income", "jkk", "jkm", "source"}
LAST_YEAR = 2100  # a projection beyond this is "not at the current pace"


@dataclass(frozen=True)
class Rates:
    declared_monthly_income: int   # Rp
    jkk_pct: Fraction               # of the declared income
    jkk_minimum: int                # Rp a month
    jkm_monthly: int                # Rp a month
    source_title: str
    source_url: str

    @property
    def jkk_monthly(self) -> int:
        return max(self.jkk_minimum, math.ceil(self.declared_monthly_income * self.jkk_pct / 100))

    @property
    def monthly_premium(self) -> int:
        """Rp per person per month: JKK plus JKM."""
        return self.jkk_monthly + self.jkm_monthly

    def yearly_cost(self, people: int) -> int:
        """Rp a year to enrol `people` workers in JKK and JKM."""
        return people * self.monthly_premium * 12


def load_rates(data_dir: Path, problems: Problems) -> Rates | None:
    """`rates.yaml`, when the site has one (without it, pages show no cost)."""
    path = data_dir / "rates.yaml"
    if not path.exists():
        return None
    raw = load_yaml(path, problems)
    if raw is None:
        return None
    if not isinstance(raw, LineDict):
        problems.error(path, 1, tr("must be a mapping with declared_monthly_income, jkk, jkm and source"))
        return None
    warn_unknown_keys(raw, RATES_KEYS, path, problems)
    before = problems.error_count()

    def amount(mapping, key, where):
        value = mapping.get(key) if isinstance(mapping, dict) else None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.error(path, line_of(mapping, key) if isinstance(mapping, LineDict) else line_of(raw, where),
                           tr("{key} must be a whole number of rupiah (e.g. 10000), not {value}", key=where, value=repr(value)))
            return 0
        return value

    income = amount(raw, "declared_monthly_income", "declared_monthly_income")
    jkk, jkm = raw.get("jkk"), raw.get("jkm")
    jkk_pct = jkk.get("rate_pct") if isinstance(jkk, dict) else None
    if isinstance(jkk_pct, bool) or not isinstance(jkk_pct, (int, float)) or not 0 <= jkk_pct <= 100:
        problems.error(path, line_of(jkk, "rate_pct") if isinstance(jkk, LineDict) else line_of(raw, "jkk"),
                       tr("jkk.rate_pct must be a percentage between 0 and 100, not {value}", value=repr(jkk_pct)))
        jkk_pct = 0
    jkk_minimum = amount(jkk, "minimum_monthly", "jkk.minimum_monthly")
    jkm_monthly = amount(jkm, "monthly", "jkm.monthly")
    source = raw.get("source")
    title = source.get("title") if isinstance(source, dict) else None
    url = (source.get("url") or "") if isinstance(source, dict) else ""
    if not isinstance(title, str) or not title.strip():
        problems.error(path, line_of(raw, "source"), tr("source.title must name the regulation the rates come from"))
    elif url and not URL_RE.match(str(url)):
        problems.error(path, line_of(source, "url"), tr("source.url {value} is not an http(s) URL", value=repr(url)))
    if problems.error_count() > before:
        return None
    return Rates(income, Fraction(str(jkk_pct)), jkk_minimum, jkm_monthly, title.strip(), str(url))


def projected_period(rate_now: float | None, rate_year_ago: float | None, target_pct: float,
                     latest_period: str) -> tuple[str, str | None]:
    """When the rate reaches the target if it keeps growing as in the last 12 months.

    Returns (status, 'YYYY-MM' or None): "reached" (already at or above the target),
    "projected" (with the month), "not_at_pace" (no growth, or not before 2100), or
    "unknown" (no rate now or a year ago).
    """
    if rate_now is None or math.isnan(rate_now):
        return "unknown", None
    if rate_now >= target_pct:
        return "reached", None
    if rate_year_ago is None or math.isnan(rate_year_ago):
        return "unknown", None
    growth = rate_now - rate_year_ago  # points a year
    if growth <= 0:
        return "not_at_pace", None
    months = math.ceil((target_pct - rate_now) / growth * 12)
    year, month = (int(part) for part in latest_period.split("-"))
    total = year * 12 + (month - 1) + months
    if total // 12 >= LAST_YEAR:
        return "not_at_pace", None
    return "projected", f"{total // 12:04d}-{total % 12 + 1:02d}"
