"""Region → page: the figures, sentences, tables and chart rows one page shows.

Everything here is pure: it reads the tree and the cube and returns plain
values. It runs once per page, so it indexes arrays and never scans them.
"""

from __future__ import annotations

import math
from typing import Protocol
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..render.charts import ChartTemplate
from ..inputs.config import SiteConfig
from ..inputs.data import Region
from ..render.formatting import NumberFormat
from ..model.cube import Cube, Totals, Tree, change_pct, gap_to_target, period_a_year_before
from ..inputs.targets import Rates, projected_period
from ..model.budgets import Budgets
from .urls import relative_url

CHILD_LEVEL = {"nasional": "provinsi", "provinsi": "kabupaten", "kabupaten": "kecamatan", "kecamatan": "desa"}


@dataclass(frozen=True)
class Site:
    """Everything a page may read, built once per build (and shared with worker processes)."""

    config: SiteConfig
    tree: Tree
    cube: Cube
    headline: Totals
    headline_rate: np.ndarray          # [region, period], NaN where unknown
    group_rates: dict[str, np.ndarray] # segment group → [region, period] rates, for trend lines
    paths: tuple[str, ...]             # each region's folder, relative to a language's root
    illustrative: np.ndarray           # [region]: some figure comes from an illustrative source
    period_index: dict[str, int]
    group_masks: dict = None           # segment group → boolean mask over cube.segments
    news: object = None                # news.News, when the site has articles
    rates: Rates | None = None         # premiums, from rates.yaml (no cost is shown without it)
    boundaries: dict = None            # region code → GeoJSON geometry (maps need data/boundaries/)
    changes: dict = None               # region → its data changes since --previous
    budgets: Budgets | None = None     # each village's ADD, from budgets.csv
    prefixes: tuple[str, ...] = ("",)  # each language's folder: every page exists once per language
    figures: tuple = ()                # inputs.figures.PublishedFigure: real published figures
    share_levels: frozenset = frozenset()  # region levels whose pages have a share image (pages/share.py)
    embed_levels: frozenset = frozenset()  # region levels whose pages have an embed page (pages/embed.py)


@dataclass(frozen=True)
class Chart:
    id: str
    kind: str
    title: str
    summary: str
    spec: str
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    missing: tuple[str, ...] = ()      # on a map: the regions without a polygon, listed beside it


@dataclass(frozen=True)
class Page:
    path: str          # site-relative file path, e.g. 'desa/63-10-01-2001-x/index.html'
    template: str      # template names to try, most specific first, joined by '|'
    context: dict


class Texts:
    """One language of the site: its gettext (the strings live in the catalog), number formats,
    chart templates (axis titles are translated), and the folder its pages live in."""

    def __init__(self, gettext, numbers: NumberFormat, locale: str, lang: str = "id", prefix: str = "",
                 charts: dict[str, ChartTemplate] | None = None):
        self._ = gettext
        self.numbers = numbers
        self.locale = locale          # Babel's locale: 'id', 'en_GB'
        self.lang = lang              # the page's language code: 'id', 'en'
        self.prefix = prefix          # this language's folder in the site: '' or 'en/'
        self.site_root = "../" * prefix.count("/")  # from this language's root to the site's (shared files)
        self.charts = charts or {}


# The kind of region is part of its official name ("Kecamatan Batu Licin"), in English too;
# kabupaten/kota names already carry their kind.
NAME_PREFIXES = {"provinsi": "Provinsi", "kecamatan": "Kecamatan", "desa": "Desa", "kelurahan": "Kelurahan",
                 "desa_adat": "Desa Adat"}


def display_name(region: Region) -> str:
    """'Desa Sungai Dua', 'Kecamatan Batu Licin': the region's name as Kemendagri writes it."""
    prefix = NAME_PREFIXES.get(region.kind if region.level == "desa" else region.level)
    return f"{prefix} {region.name}" if prefix else region.name


def level_name(level: str, _) -> str:
    return {"nasional": _("Nasional"), "provinsi": _("Provinsi"), "kabupaten": _("Kabupaten/Kota"),
            "kecamatan": _("Kecamatan"), "desa": _("Desa/Kelurahan")}[level]


@lru_cache(maxsize=8)
def ratio_phrases(_) -> tuple[tuple[float, str], ...]:
    """How a rate compares with its parent's, in words: (upper bound of the ratio, phrase).
    Each phrase fits 'Cakupan X … rata-rata Y' / 'Coverage in X is … the Y average'."""
    return ((0.15, _("kurang dari seperlima")), (0.225, _("sekitar seperlima")), (0.29, _("sekitar seperempat")),
            (0.415, _("sekitar sepertiga")), (0.58, _("sekitar setengah")), (0.71, _("sekitar dua pertiga")),
            (0.82, _("sekitar tiga perempat")), (0.95, _("sedikit di bawah")), (1.05, _("hampir sama dengan")),
            (1.25, _("sedikit di atas")), (1.75, _("sekitar satu setengah kali")), (2.5, _("sekitar dua kali")),
            (math.inf, _("lebih dari dua kali")))


def parent_comparison(comparison: list[dict], texts: Texts) -> str | None:
    """'Cakupan Desa X sekitar tiga perempat rata-rata Kecamatan Y (61,2% dibanding 81,7%).'"""
    if len(comparison) < 2 or comparison[0]["rate"] is None or not comparison[1]["rate"]:
        return None
    here, parent = comparison[0], comparison[1]
    ratio = here["rate"] / parent["rate"]
    phrase = next(text for bound, text in ratio_phrases(texts._) if ratio < bound)
    return texts._("Cakupan %(name)s %(comparison)s rata-rata %(parent)s (%(rate)s dibanding %(parent_rate)s).") % {
        "name": here["name"], "comparison": phrase, "parent": parent["name"],
        "rate": texts.numbers.percent(here["rate"]), "parent_rate": texts.numbers.percent(parent["rate"])}


def figures_at(site: Site, r: int, p: int) -> dict | None:
    totals = site.headline
    if p < 0 or not totals.reported[r, p]:
        return None
    covered = int(totals.covered[r, p])
    eligible = None if totals.eligible_unknown[r, p] else int(totals.eligible[r, p])
    rate = float(site.headline_rate[r, p])
    return {
        "covered": covered,
        "eligible": eligible,
        "rate": None if math.isnan(rate) else rate,
        "gap": gap_to_target(covered, eligible, site.config.target.coverage_pct) if eligible else None,
    }


def headline_figures(site: Site, r: int) -> dict | None:
    p = len(site.cube.periods) - 1
    now = figures_at(site, r, p)
    if now is None:
        return None
    previous = period_a_year_before(site.cube.periods[p])
    before = figures_at(site, r, site.period_index.get(previous, -1))
    now["period"] = site.cube.periods[p]
    now["previous_period"] = previous if before else None
    now["covered_change_pct"] = change_pct(now["covered"], before["covered"]) if before else None
    both_rates = before and now["rate"] is not None and before["rate"] is not None
    now["rate_change_points"] = now["rate"] - before["rate"] if both_rates else None
    target = float(site.config.target.coverage_pct)
    now["projection"], now["projected_period"] = projected_period(
        now["rate"], before["rate"] if before else None, target, now["period"])
    now["target_year"] = site.config.target.year
    now["uncovered"] = now["eligible"] - now["covered"] if now["eligible"] is not None else None
    now["yearly_cost"] = site.rates.yearly_cost(now["uncovered"]) if site.rates and now["uncovered"] else None
    share = site.budgets.share_pct(r, now["yearly_cost"]) if site.budgets else None
    now["add"] = {"year": site.budgets.year, "amount": int(site.budgets.amount[r]), "share_pct": share} \
        if share is not None else None
    return now


def group_changes(site: Site, r: int) -> list[dict]:
    """Workers covered per segment group now and a year earlier, with the change in percent
    (the published figures compare December with December: both are given where they exist)."""
    cube = site.cube
    latest = len(cube.periods) - 1
    rows = []
    for group, mask in site.group_masks.items():
        row = {"group": group}
        for key, (later, earlier) in (("last_12_months", (latest, site.period_index.get(
                period_a_year_before(cube.periods[latest]), -1) if latest >= 0 else -1)),
                                      ("calendar_year", last_december_pair(site))):
            if earlier < 0 or later < 0 or not (cube.reported[r, later, mask].any() and cube.reported[r, earlier, mask].any()):
                continue
            now, before = int(cube.covered[r, later, mask].sum()), int(cube.covered[r, earlier, mask].sum())
            row[key] = {"from": cube.periods[earlier], "to": cube.periods[later], "before": before, "now": now,
                        "change_pct": change_pct(now, before)}
        if len(row) > 1:
            rows.append(row)
    return rows


def last_december_pair(site: Site) -> tuple[int, int]:
    """(index of the last December with a December a year before it, index of that one), or (-1, -1)."""
    for p in range(len(site.cube.periods) - 1, -1, -1):
        year, month = site.cube.periods[p].split("-")
        if month == "12":
            before = site.period_index.get(f"{int(year) - 1:04d}-12", -1)
            if before >= 0:
                return p, before
    return -1, -1


def segment_rows(site: Site, r: int) -> list[dict]:
    cube, p = site.cube, len(site.cube.periods) - 1
    rows = []
    for s in np.flatnonzero(cube.reported[r, p]):
        covered = int(cube.covered[r, p, s])
        eligible = None if cube.eligible_unknown[r, p, s] else int(cube.eligible[r, p, s])
        rows.append({
            "segment": cube.segments[s],
            "covered": covered,
            "eligible": eligible,
            "rate": covered * 100.0 / eligible if eligible else None,
            "gap": gap_to_target(covered, eligible, site.config.target.coverage_pct) if eligible else None,
        })
    return rows


def child_rows(site: Site, r: int) -> list[dict]:
    """Children with their latest figures, ranked by rate (highest first), unknown rates last."""
    p = len(site.cube.periods) - 1
    rows = []
    for c in site.tree.children[r]:
        region = site.tree.regions[c]
        rows.append({"region": region, "name": display_name(region),
                     "url": relative_url(site.paths[r], site.paths[c]), **(figures_at(site, c, p) or {})})
    rows.sort(key=lambda row: (row.get("rate") is None, -(row.get("rate") or 0), row["region"].name))
    return rows


def sibling_links(site: Site, r: int) -> list[dict]:
    parent = int(site.tree.parent[r])
    if parent < 0:
        return []
    return [{"name": display_name(site.tree.regions[s]), "url": relative_url(site.paths[r], site.paths[s]),
             "current": s == r} for s in site.tree.children[parent]]


def breadcrumb(site: Site, r: int) -> list[dict]:
    return [{"name": display_name(site.tree.regions[a]), "url": relative_url(site.paths[r], site.paths[a])}
            for a in site.tree.ancestors(r)]


def comparison_rows(site: Site, r: int) -> list[dict]:
    """This region beside its parent and the site's root region (the regency on a village page)."""
    p = len(site.cube.periods) - 1
    chain = [r]
    parent = int(site.tree.parent[r])
    if parent >= 0:
        chain.append(parent)
    if site.tree.root not in chain:
        chain.append(site.tree.root)
    rows = []
    for c in chain:
        rate = float(site.headline_rate[c, p])
        rows.append({"name": display_name(site.tree.regions[c]), "rate": None if math.isnan(rate) else rate})
    return rows


def change_row(site: Site, change, from_dir: str) -> dict:
    region = site.tree.regions[change.region]
    segment = next((s for s in site.cube.segments if s.id == change.segment), None)
    return {"name": display_name(region), "code": region.code,
            "url": relative_url(from_dir, site.paths[change.region]),
            "segment": segment, "period": change.period, "before": change.before, "after": change.after}


class Writer(Protocol):
    """Where pages go (output.writer.SiteWriter): site-relative paths, text or bytes."""

    def write(self, path: str, content: str | bytes) -> None: ...


class LanguageWriter:
    """Writes one language's pages into its folder of the site ('' or 'en/')."""

    def __init__(self, writer: Writer, prefix: str):
        self.writer = writer
        self.prefix = prefix

    def write(self, path: str, content: str | bytes) -> None:
        self.writer.write(self.prefix + path, content)
