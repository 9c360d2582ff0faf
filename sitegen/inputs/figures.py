"""`figures.yaml`: real figures published by others (a regency's or the country's), each with its
value, unit, date and source. They are shown as "angka resmi yang dipublikasikan" on the page of
their region, apart from the per-village numbers, and never added into them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from .config import Text, read_text_pair, warn_unknown_keys
from .data import ID_RE, Source, load_list
from ..errors import Problems, tr
from .files import line_of

FIGURE_KEYS = {"id", "region", "label", "value", "unit", "date", "source", "note", "cost_share"}
UNITS = ("orang", "persen", "rupiah")
NATIONAL = "nasional"  # a figure for Indonesia as a whole: shown on the site's home page
DATE_RE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-\d{2})?)?$")


@dataclass(frozen=True)
class PublishedFigure:
    id: str
    region: str            # a code in regions.csv, or "nasional"
    label: Text
    value: float | int
    unit: str              # one of UNITS
    date: str              # what the figure refers to: 2025, 2025-04 or 2025-07-14
    source: str            # an id in sources.yaml
    note: Text | None = None
    cost_share: bool = False  # the page also shows its yearly cost of closing the gap as a share of this amount


def load_figures(data_dir: Path, regions: list, sources: list[Source], problems: Problems) -> list[PublishedFigure]:
    """Every figure of figures.yaml (none when the site has no such file), checked."""
    path = data_dir / "figures.yaml"
    if not path.exists():
        return []
    region_codes = {region.code for region in regions}
    by_id = {source.id: source for source in sources}
    figures, seen = [], {}
    for item in load_list(path, "figures", problems):
        line = line_of(item)
        if not isinstance(item, dict):
            problems.error(path, line, tr("each figure must be a mapping with id, region, label, value, unit, date "
                                          "and source"))
            continue
        warn_unknown_keys(item, FIGURE_KEYS, path, problems)
        before = problems.error_count()
        fid = item.get("id")
        if not isinstance(fid, str) or not ID_RE.match(fid):
            problems.error(path, line, tr("id {id} must be lower-case letters, digits, _ and -", id=repr(fid)))
        elif fid in seen:
            problems.error(path, line, tr("id {id} is given twice (first on line {first_line})",
                                          id=repr(fid), first_line=seen[fid]))
        region = str(item.get("region") or "")
        if region != NATIONAL and region not in region_codes:
            problems.error(path, line_of(item, "region") or line,
                           tr("region {code} is neither a code in regions.csv nor 'nasional'", code=repr(region)))
        label = read_text_pair(item.get("label"), path, line_of(item, "label") or line, "label", problems)
        note = (read_text_pair(item["note"], path, line_of(item, "note"), "note", problems)
                if item.get("note") is not None else None)
        value = item.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
            problems.error(path, line_of(item, "value") or line,
                           tr("value {value} must be a number of at least 0, written without thousands "
                              "separators (10488, 35.68)", value=repr(value)))
        unit = item.get("unit")
        if unit not in UNITS:
            problems.error(path, line_of(item, "unit") or line, tr("unit {value} must be one of {allowed}",
                                                                   value=repr(unit), allowed=", ".join(UNITS)))
        elif unit == "persen" and isinstance(value, (int, float)) and value > 100:
            problems.error(path, line_of(item, "value") or line,
                           tr("value {value} is a percentage above 100", value=repr(value)))
        date = item.get("date")
        date = date.isoformat() if isinstance(date, dt.date) else str(date if date is not None else "")
        if not DATE_RE.match(date) or (len(date) == 10 and not valid_day(date)):
            problems.error(path, line_of(item, "date") or line,
                           tr("date {value} must be a year, a month or a day: 2024, 2025-04 or 2025-07-14",
                              value=repr(item.get("date"))))
        source = item.get("source")
        if source not in by_id:
            problems.error(path, line_of(item, "source") or line,
                           tr("source {source} is not an id in sources.yaml", source=repr(source)))
        elif by_id[source].illustrative:
            problems.error(path, line_of(item, "source") or line,
                           tr("source {source} is marked illustrative: a published figure needs a real source",
                              source=repr(source)))
        elif not by_id[source].url:
            problems.error(path, line_of(item, "source") or line,
                           tr("source {source} has no url: a published figure must link to where it was published",
                              source=repr(source)))
        cost_share = item.get("cost_share", False)
        if cost_share not in (True, False) or (cost_share and unit != "rupiah"):
            problems.error(path, line_of(item, "cost_share") or line,
                           tr("cost_share must be true or false, and true only for an amount in rupiah"))
        if problems.error_count() == before:
            seen[fid] = line
            figures.append(PublishedFigure(fid, region, label, value, unit, date, source, note, cost_share))
    return figures


def valid_day(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
        return True
    except ValueError:
        return False
