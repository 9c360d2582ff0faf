"""`data/regions.csv`, `segments.yaml` and `sources.yaml` → typed, validated records."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .config import URL_RE, Text, read_text_pair, warn_unknown_keys
from ..errors import Problems, tr, tr_noop
from .files import csv_records, decode_utf8, line_of, load_yaml, read_bytes

LEVELS = ("nasional", "provinsi", "kabupaten", "kecamatan", "desa")
CODE_PATTERNS = {
    "nasional": re.compile(r"^[A-Z]{2}$"),
    "provinsi": re.compile(r"^\d{2}$"),
    "kabupaten": re.compile(r"^\d{2}\.\d{2}$"),
    "kecamatan": re.compile(r"^\d{2}\.\d{2}\.\d{2}$"),
    "desa": re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"),
}
KINDS = {"kabupaten": {"kabupaten", "kota"}, "desa": {"desa", "kelurahan", "desa_adat"}}
REGION_COLUMNS = ("code", "name", "level", "parent_code", "kind")

GROUPS = ("ekosistem_desa", "pekerja_rentan", "formal", "informal")
HEADLINE_GROUPS = GROUPS[:2]  # reported per desa/kelurahan, the headline figures; the others for the root region
PROGRAMS = ("JKK", "JKM", "JHT", "JP", "JKP")
SEGMENT_KEYS = {"id", "name", "description", "group", "programs"}
SOURCE_KEYS = {"id", "publisher", "title", "date", "url", "note", "illustrative"}
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class Region(NamedTuple):
    """One row of regions.csv (a NamedTuple: 90,000 of them are built per national build)."""

    code: str
    name: str
    level: str
    parent_code: str
    kind: str


@dataclass(frozen=True)
class Segment:
    id: str
    name: Text
    description: Text
    group: str
    programs: tuple[str, ...]


@dataclass(frozen=True)
class Source:
    id: str
    publisher: str
    title: str
    date: dt.date | None
    url: str
    note: str
    illustrative: bool


# --- regions --------------------------------------------------------------------------

def load_regions(data_dir: Path, root_code: str | None, problems: Problems) -> list[Region]:
    """All regions of the site, sorted by code (so every parent comes before its children)."""
    data = read_bytes(data_dir / "regions.csv", problems)
    return parse_regions(data_dir / "regions.csv", data, root_code, problems) if data is not None else []


def parse_regions(path: Path, data: bytes, root_code: str | None, problems: Problems) -> list[Region]:
    text = decode_utf8(path, data, problems)
    if text is None:
        return []
    regions: dict[str, Region] = {}
    lines: dict[str, int] = {}
    for line, row in csv_records(path, text, REGION_COLUMNS, problems):
        region = check_region_row(path, line, row, problems)
        if region is None:
            continue
        if region.code in regions:
            problems.error(path, line, tr("code {code} is given twice (first on line {first_line})",
                                          code=repr(region.code), first_line=lines[region.code]))
            continue
        regions[region.code] = region
        lines[region.code] = line
    check_region_tree(path, regions, lines, root_code, problems)
    return [regions[code] for code in sorted(regions)]


ALLOWED_KINDS = {level: KINDS.get(level, {""}) for level in LEVELS}
DEPTH = {level: depth for depth, level in enumerate(LEVELS)}


def check_region_row(path, line, row, problems: Problems) -> Region | None:
    code, name, level = row["code"].strip(), row["name"].strip(), row["level"].strip()
    parent, kind = row["parent_code"].strip(), row["kind"].strip()
    ok = True
    if level not in LEVELS:
        problems.error(path, line, tr("level {level} must be one of {allowed}",
                                      level=repr(level), allowed=", ".join(LEVELS)),
                       rule=tr_noop("bad level"))
        ok = False
    elif not CODE_PATTERNS[level].match(code):
        problems.error(path, line, tr("code {code} is not a {level} code (e.g. {example})",
                                      code=repr(code), level=level, example=example_code(level)), rule=tr_noop("bad code"))
        ok = False
    if not name:
        problems.error(path, line, tr("name is empty"), rule=tr_noop("empty name"))
        ok = False
    if ok and level in KINDS and kind not in KINDS[level]:
        problems.error(path, line, tr("kind {kind} must be one of {allowed} for a {level}",
                                      kind=repr(kind), allowed="|".join(sorted(KINDS[level])), level=level),
                       rule=tr_noop("bad kind"))
        ok = False
    elif ok and level not in KINDS and kind:
        problems.error(path, line, tr("kind {kind} must be empty for a {level}", kind=repr(kind), level=level),
                       rule=tr_noop("bad kind"))
        ok = False
    if ok and parent and level != "provinsi" and not code.startswith(parent + "."):
        problems.error(path, line, tr("parent_code {parent} is not the start of code {code}",
                                      parent=repr(parent), code=repr(code)),
                       rule=tr_noop("bad parent"))
        ok = False
    return Region(code, name, level, parent, kind) if ok else None


def example_code(level: str) -> str:
    return {"nasional": "ID", "provinsi": "63", "kabupaten": "63.10",
            "kecamatan": "63.10.01", "desa": "63.10.01.2001"}[level]


def check_region_tree(path, regions: dict, lines: dict, root_code, problems: Problems) -> None:
    if root_code is None:  # site.yaml is broken and already reported; the tree cannot be judged
        return
    if root_code not in regions:
        problems.error(path, None, tr("the root region {code} from site.yaml is not in this file", code=repr(root_code)))
        return
    for code, region in regions.items():
        if code == root_code:
            continue
        parent = regions.get(region.parent_code)
        if parent is None:
            problems.error(path, lines[code], tr("parent_code {parent} of {code} is not in this file",
                                                  parent=repr(region.parent_code), code=code),
                           rule=tr_noop("unknown parent"))
        elif LEVELS.index(parent.level) != LEVELS.index(region.level) - 1:
            problems.error(path, lines[code],
                           tr("parent_code {parent} is a {parent_level}; a {level} belongs to a {expected_level}",
                              parent=repr(region.parent_code), parent_level=parent.level, level=region.level,
                              expected_level=LEVELS[LEVELS.index(region.level) - 1]),
                           rule=tr_noop("parent level"))


# --- segments and sources -------------------------------------------------------------

def load_list(path: Path, key: str, problems: Problems) -> list:
    raw = load_yaml(path, problems)
    if raw is None:
        return []
    items = raw.get(key) if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        problems.error(path, line_of(raw), tr("expected a list of {key} (a top-level '{key}:' list)", key=key))
        return []
    return items


def load_segments(data_dir: Path, problems: Problems) -> list[Segment]:
    path = data_dir / "segments.yaml"
    segments, seen = [], {}
    for item in load_list(path, "segments", problems):
        line = line_of(item)
        if not isinstance(item, dict):
            problems.error(path, line, tr("each segment must be a mapping with id, name, description, group, programs"))
            continue
        warn_unknown_keys(item, SEGMENT_KEYS, path, problems)
        sid = item.get("id")
        before = problems.error_count()
        if not isinstance(sid, str) or not ID_RE.match(sid):
            problems.error(path, line, tr("id {id} must be lower-case letters, digits and _", id=repr(sid)))
        elif sid in seen:
            problems.error(path, line, tr("id {id} is given twice (first on line {first_line})",
                                          id=repr(sid), first_line=seen[sid]))
        name = read_text_pair(item.get("name"), path, line_of(item, "name") or line, "name", problems)
        desc = read_text_pair(item.get("description"), path, line_of(item, "description") or line, "description", problems)
        group = item.get("group")
        if group not in GROUPS:
            problems.error(path, line_of(item, "group") or line,
                           tr("group {group} must be one of {allowed}", group=repr(group), allowed=", ".join(GROUPS)))
        programs = item.get("programs")
        if not isinstance(programs, list) or not programs or any(p not in PROGRAMS for p in programs):
            problems.error(path, line_of(item, "programs") or line,
                           tr("programs {programs} must be a list drawn from {allowed}",
                              programs=repr(programs), allowed=", ".join(PROGRAMS)))
        if problems.error_count() == before:
            seen[sid] = line
            segments.append(Segment(sid, name, desc, group, tuple(programs)))
    if not segments and not problems:
        problems.error(path, None, tr("no segments are defined"))
    return segments


def load_sources(data_dir: Path, problems: Problems) -> list[Source]:
    path = data_dir / "sources.yaml"
    sources, seen = [], {}
    for item in load_list(path, "sources", problems):
        line = line_of(item)
        if not isinstance(item, dict):
            problems.error(path, line, tr("each source must be a mapping with id, publisher, title, date, url"))
            continue
        warn_unknown_keys(item, SOURCE_KEYS, path, problems)
        before = problems.error_count()
        sid = item.get("id")
        if not isinstance(sid, str) or not ID_RE.match(sid):
            problems.error(path, line, tr("id {id} must be lower-case letters, digits, _ and -", id=repr(sid)))
        elif sid in seen:
            problems.error(path, line, tr("id {id} is given twice (first on line {first_line})",
                                          id=repr(sid), first_line=seen[sid]))
        for key in ("publisher", "title"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                problems.error(path, line_of(item, key) or line, tr("{key} is missing or empty", key=key))
        date = item.get("date")
        if date is not None and not isinstance(date, dt.date):
            problems.error(path, line_of(item, "date"), tr("date {value} is not a date (YYYY-MM-DD)", value=repr(date)))
        url = item.get("url") or ""
        if url and not URL_RE.match(str(url)):
            problems.error(path, line_of(item, "url"), tr("url {url} is not an http(s) URL", url=repr(url)))
        illustrative = item.get("illustrative", False)
        if not isinstance(illustrative, bool):
            problems.error(path, line_of(item, "illustrative"), tr("illustrative must be true or false"))
        if problems.error_count() == before:
            seen[sid] = line
            sources.append(Source(sid, item["publisher"].strip(), item["title"].strip(), date,
                                  str(url), str(item.get("note") or "").strip(), illustrative))
    return sources
