"""One region's page: its context, its charts and their one-sentence summaries."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass

from babel.lists import format_list

from ..inputs.data import GROUPS
from ..inputs.figures import NATIONAL
from ..render.formatting import month_label
from .site import (CHILD_LEVEL, Chart, Page, Site, Texts, breadcrumb, change_row, child_rows, comparison_rows,
                    display_name, group_changes, headline_figures, level_name, parent_comparison, segment_rows,
                    sibling_links)
from .news import ON_REGION_PAGE, news_item
from .api import DOWNLOADS, region_csv_path, region_json_path
from ..inputs.boundaries import map_features
from .urls import relative_url
from .share import has_share_image, share_card, share_meta
from .embed import embed_codes, embed_path, has_embed
from .releases import FEED, FOLDER, kabupaten_code, kabupaten_feed_path


def group_names(_) -> dict[str, str]:
    return {"ekosistem_desa": _("Ekosistem desa"), "pekerja_rentan": _("Pekerja rentan"),
            "formal": _("Pekerja formal"), "informal": _("Pekerja informal")}


def region_facts(site: Site, r: int) -> dict:
    """What a region's page shows that reads the same in every language: figures, names, links.
    Made once per region and shared by its pages in each language."""
    region = site.tree.regions[r]
    children = child_rows(site, r) if site.tree.children[r] else []
    headline = headline_figures(site, r)
    return {
        "region": region,
        "title": display_name(region),
        "is_root": r == site.tree.root,
        "base": relative_url(site.paths[r], ""),
        "page_path": site.paths[r],
        "breadcrumb": breadcrumb(site, r),
        "headline": headline,
        "segments": segment_rows(site, r),
        "children": children,
        "gap_ranking": gap_ranking(site, children),
        "changes": own_changes(site, r),
        "group_changes": group_changes(site, r),
        "siblings": sibling_links(site, r) if region.level == "desa" else [],
        "comparison": comparison_rows(site, r) if r != site.tree.root else [],
        "sources": [s for s, used in zip(site.cube.sources, site.cube.uses_source[r]) if used],
        "illustrative": bool(site.illustrative[r]),
        "news": region_news(site, r),
        "news_url": relative_url(site.paths[r], "berita/"),
        "trend_series": trend_series(site, r),
        "published": published_figures(site, r, headline),
        "data_feed": data_feed_url(site, r),
    }


def data_feed_url(site: Site, r: int) -> str | None:
    """The Atom feed of data changes that concerns this region: its kabupaten's, or above a kabupaten the
    site's (none on a site without any month of data, which has no release archive)."""
    if not site.cube.periods:
        return None
    code = kabupaten_code(site, r)
    return relative_url(site.paths[r], kabupaten_feed_path(code) if code else FOLDER + FEED)


def published_figures(site: Site, r: int, headline: dict | None) -> list[dict]:
    """The real figures published about this region (figures.yaml), and on the home page the national
    ones: each with its source, and when the region's cost of closing the gap is shown (in `headline`,
    its headline_figures), that cost as a share of the published amount (the cost comes from this
    site's figures, which may be illustrative)."""
    if not site.figures:
        return []
    code, is_root = site.tree.regions[r].code, r == site.tree.root
    sources = {source.id: source for source in site.cube.sources}
    shown = [f for f in site.figures if f.region == code or (is_root and f.region == NATIONAL)]
    rows = []
    for figure in shown:
        parts = figure.date.split("-")
        row = {"figure": figure, "source": sources[figure.source], "national": figure.region == NATIONAL,
               "year": parts[0], "month": "-".join(parts[:2]) if len(parts) == 2 else None,
               "day": dt.date.fromisoformat(figure.date) if len(parts) == 3 else None, "cost_share": None,
               "digits": len(repr(figure.value).partition(".")[2])}  # 99.5 → '99,5%', 35.68 → '35,68%'

        if figure.cost_share and figure.value:
            cost = headline["yearly_cost"] if headline else None
            if cost:
                row["cost_share"] = {"cost": cost, "share_pct": 100 * cost / figure.value}
        rows.append(row)
    return rows


def region_page(site: Site, r: int, texts: Texts, facts: dict | None = None) -> Page:
    """The page of region r in one language (`facts` from region_facts, when already made)."""
    _ = texts._
    facts = facts or region_facts(site, r)
    region, children, comparison = facts["region"], facts["children"], facts["comparison"]
    charts = [chart for chart in (
        map_chart(site, region.level, children, texts) if children and site.boundaries else None,
        comparison_chart(site, comparison, texts) if comparison else None,
        ranking_chart(site, region.level, children, texts) if children else None,
        trend_chart(site, facts["trend_series"], texts),
    ) if chart is not None]
    names = group_names(_)
    context = {
        **facts,
        "level_name": level_name(region.level, _),
        "children_level_name": level_name(CHILD_LEVEL[region.level], _) if children else "",
        "group_changes": [{**row, "name": names[row["group"]]} for row in facts["group_changes"]],
        "parent_comparison": parent_comparison(comparison, texts),
        "charts": charts,
        "downloads": {"json": relative_url(site.paths[r], texts.site_root + region_json_path(region.code)),
                      "csv": relative_url(site.paths[r], texts.site_root + region_csv_path(region.code)),
                      "all": relative_url(site.paths[r], DOWNLOADS)},
    }
    if has_embed(site, r):
        context["embed_codes"] = embed_codes(site, r, texts.prefix, facts["title"], charts, _)
        context["embed_url"] = site.config.base_url + embed_path(site, r, texts.prefix)
    if has_share_image(site, r):
        context["share_card"] = card = share_card(site, facts, texts)
        context["share_image"] = share_meta(site, r, texts, card)
    templates = f"{region.level}-{region.code}.html|{region.level}.html|region.html"
    return Page(texts.prefix + site.paths[r] + "index.html", templates, context)


def own_changes(site: Site, r: int, shown: int = 20) -> list[dict]:
    """The region's own figures that changed since the published data (--previous)."""
    return [change_row(site, c, site.paths[r]) for c in (site.changes or {}).get(r, [])[:shown]]


def gap_ranking(site: Site, children: list[dict], shown: int = 10) -> list[dict]:
    """The children furthest from the target in people (not in percent: a large village at 80%
    can need more enrolments than a small one at 40%)."""
    ranked = sorted((c for c in children if c.get("gap")), key=lambda c: (-c["gap"], c["region"].name))[:shown]
    rates = site.rates
    return [{**c, "cost": rates.yearly_cost(c["eligible"] - c["covered"]) if rates else None} for c in ranked]


def region_news(site: Site, r: int) -> list[dict]:
    """The newest articles about this region or any place inside it (on the home page: all news)."""
    news = site.news
    if not news or not news.articles:
        return []
    indices = range(len(news.articles)) if r == site.tree.root else news.by_region.get(r, ())
    return [news_item(news.articles[i], site.paths[r], site.tree, site.paths, display_name)
            for i in list(indices)[:ON_REGION_PAGE]]


def rate_cell(rate: float | None, fmt) -> tuple[str, float | None]:
    """A rate in a chart's table: its text, and its value for the bar drawn behind it."""
    known = rate is not None and not math.isnan(rate)
    return fmt.percent(rate), (min(max(rate, 0.0), 100.0) if known else None)


def ranking_chart(site: Site, level: str, children: list[dict], texts: Texts) -> Chart | None:
    _, fmt = texts._, texts.numbers
    known = [c for c in children if c.get("rate") is not None]
    if not known:
        return None
    child_level = CHILD_LEVEL[level]
    best, worst = known[0], known[-1]
    summary = _("Cakupan tertinggi di %(best)s (%(best_rate)s) dan terendah di %(worst)s (%(worst_rate)s); "
                "target %(target)s.") % {
        "best": best["name"], "best_rate": fmt.percent(best["rate"]),
        "worst": worst["name"], "worst_rate": fmt.percent(worst["rate"]),
        "target": fmt.percent(float(site.config.target.coverage_pct))}
    rows = [{"name": c["region"].name, "rate": round(c["rate"], 2)} for c in known]
    return Chart(
        id="chart-ranking", kind="ranking",
        title=_("Cakupan per %(level)s, diurutkan") % {"level": level_name(child_level, _).lower()},
        summary=summary, spec=texts.charts["ranking"].fill(rows),
        columns=(level_name(child_level, _), _("Cakupan")),
        rows=tuple((c["name"], rate_cell(c["rate"], fmt)) for c in known),
    )


def map_chart(site: Site, level: str, children: list[dict], texts: Texts) -> Chart | None:
    _, fmt = texts._, texts.numbers
    features, missing = map_features(site.boundaries, children)
    if not features:
        return None
    child_level = level_name(CHILD_LEVEL[level], _)
    known = [c for c in children if c.get("rate") is not None]
    summary = _("Peta cakupan per %(level)s: makin gelap, makin tinggi cakupannya.") % {"level": child_level.lower()}
    if known:
        summary += " " + _("Tertinggi %(best)s (%(best_rate)s), terendah %(worst)s (%(worst_rate)s).") % {
            "best": known[0]["name"], "best_rate": fmt.percent(known[0]["rate"]),
            "worst": known[-1]["name"], "worst_rate": fmt.percent(known[-1]["rate"])}
    return Chart(
        id="chart-map", kind="map", title=_("Peta cakupan per %(level)s") % {"level": child_level.lower()},
        summary=summary, spec=texts.charts["map"].fill(features),
        columns=(child_level, _("Cakupan")),
        rows=tuple((c["name"], rate_cell(c.get("rate"), fmt)) for c in sorted(children, key=lambda c: c["name"])),
        missing=tuple(missing),
    )


def comparison_chart(site: Site, comparison: list[dict], texts: Texts) -> Chart | None:
    _, fmt = texts._, texts.numbers
    known = [c for c in comparison if c["rate"] is not None]
    if len(known) < 2 or comparison[0]["rate"] is None:
        return None
    first, others = known[0], known[1:]
    summary = _("Cakupan %(name)s %(rate)s, dibandingkan dengan %(others)s.") % {
        "name": first["name"], "rate": fmt.percent(first["rate"]),
        "others": format_list([f"{c['name']} {fmt.percent(c['rate'])}" for c in others], locale=texts.locale)}
    return Chart(
        id="chart-comparison", kind="comparison",
        title=_("Dibandingkan dengan wilayah di atasnya"),
        summary=summary,
        spec=texts.charts["comparison"].fill([{"name": c["name"], "rate": round(c["rate"], 2)} for c in known]),
        columns=(_("Wilayah"), _("Cakupan")),
        rows=tuple((c["name"], rate_cell(c["rate"], fmt)) for c in known),
    )


@dataclass(frozen=True)
class TrendSeries:
    """One segment group's monthly rates in a region, as every language's trend chart uses them."""

    group: str
    values: list[float]          # per period, NaN where unknown
    known: list[int]             # the periods with a rate
    json_rows: list[tuple[str, str]]  # per known period: the row's JSON before and after the group's name


def trend_series(site: Site, r: int) -> list[TrendSeries]:
    """The groups with a known rate in some month (made once per region, shared by its languages)."""
    periods = site.cube.periods
    series = []
    for group in GROUPS:
        rates = site.group_rates.get(group)
        if rates is None:
            continue
        values = rates[r].tolist()
        known = [p for p, v in enumerate(values) if v == v]  # not NaN
        if known:
            # The chart's data rows as json.dumps writes {"period": …, "group": …, "rate": round(v, 2)}.
            rows = [(f'{{"period":"{periods[p]}-01","group":', f',"rate":{round(values[p], 2)!r}}}') for p in known]
            series.append(TrendSeries(group, values, known, rows))
    return series


def trend_chart(site: Site, series: list[TrendSeries], texts: Texts) -> Chart | None:
    if not series:
        return None
    _, fmt, locale = texts._, texts.numbers, texts.locale
    names = group_names(_)
    periods = site.cube.periods
    data, sentences = [], []
    for line in series:
        name = json.dumps(names[line.group], ensure_ascii=False)
        data += [head + name + tail for head, tail in line.json_rows]
        p0, p1 = line.known[0], line.known[-1]
        sentences.append(_("%(group)s dari %(start)s (%(start_period)s) menjadi %(end)s (%(end_period)s)") % {
            "group": names[line.group], "start": fmt.percent(line.values[p0]),
            "start_period": month_label(periods[p0], locale),
            "end": fmt.percent(line.values[p1]), "end_period": month_label(periods[p1], locale)})
    # The table has one row per month and one column per group: easier to read than a long list.
    shown = sorted({p for line in series for p in line.known})
    table = tuple((month_label(periods[p], locale), *(rate_cell(line.values[p], fmt) for line in series))
                  for p in shown)
    return Chart(
        id="chart-trend", kind="trend", title=_("Tren cakupan per bulan"),
        summary=_("Cakupan: %(changes)s.") % {"changes": "; ".join(sentences)},
        spec=texts.charts["trend"].fill_json("[" + ",".join(data) + "]"),
        columns=(_("Bulan"), *(names[line.group] for line in series)),
        rows=table,
    )
