"""Dated releases of the downloads, kept across deploys, and what changed in each.

A release is the download zip as published for one latest month of data. The current one is
`unduh/data.zip`, also at `unduh/arsip/<month>/data.zip`; when a build brings a later month, the
published site's zip (from `--previous`) is frozen as the release of its month, and every release
the published site kept (its `unduh/arsip/index.json` and zips) is carried over, so a link to last
month's data stays valid. Each release notes what changed since the one before (from the
changelog), site-wide and per kabupaten: the download archive page and the data-changes feeds
are made from these notes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problems, tr
from .changelog import Changelog

ARCHIVE = "arsip/"        # inside the download folder
INDEX = "index.json"
ZIP = "data.zip"
FORMAT = 1
PERIOD_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")  # fullmatch only: it names a folder


def release_path(period: str) -> str:
    """A release's zip, relative to unduh/arsip/ (the period is checked: it names a folder)."""
    if not PERIOD_RE.fullmatch(period):
        raise ValueError(f"{period!r} is not a month (YYYY-MM)")
    return f"{period}/{ZIP}"


@dataclass(frozen=True)
class Release:
    period: str                  # the latest month of data in it, YYYY-MM
    as_of: str                   # the site's as_of date when it was published
    sha256: str = ""             # of its zip ("" for this build's current release until its zip is made)
    bytes: int = 0
    notes: dict = field(default_factory=dict, compare=False)  # what changed: see release_notes
    current: bool = False        # the site's latest release: its zip is unduh/data.zip too


@dataclass(frozen=True)
class Published:
    """What the published site (--previous) holds of releases."""

    releases: tuple[Release, ...] = ()     # frozen ones, with their zips
    zips: dict = field(default_factory=dict)   # period → zip bytes
    latest: Release | None = None          # its current release (the one its data.zip is)
    latest_zip: bytes | None = None


def load_published(previous: Path | None, problems: Problems) -> Published:
    """The releases of the published site's folder: unduh/arsip/index.json, each frozen release's zip,
    and its current data.zip. A site published before releases existed has none of these."""
    if previous is None or not previous.is_dir():
        return Published()
    folder = previous / "unduh"
    index_path = folder / ARCHIVE / INDEX
    if not index_path.is_file():
        return Published()
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
        entries = [read_entry(e) for e in index["releases"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        problems.error(index_path, None, tr("not a release index written by sitegen: {reason}", reason=exc))
        return Published()
    frozen, zips, latest, latest_zip = [], {}, None, None
    for entry in entries:
        # The published site's current release: its zip is unduh/data.zip (the same bytes as in arsip/).
        path = folder / ZIP if entry.current else folder / ARCHIVE / release_path(entry.period)
        if not path.is_file():
            problems.error(path, None, tr("the release of {period} is listed in {index} but its zip is missing: "
                                          "fetch every release the index lists (docs/deploy.md)",
                                          period=entry.period, index=index_path))
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            problems.error(path, None, tr("the zip of the release of {period} is not the one its index lists "
                                          "(SHA-256 differs)", period=entry.period))
            continue
        if entry.current:
            latest, latest_zip = entry, data
        else:
            frozen.append(entry)
            zips[entry.period] = data
    return Published(tuple(frozen), zips, latest, latest_zip)


def read_entry(entry: dict) -> Release:
    """One release of an index.json, checked (its period names a folder, its zip is named by its hash)."""
    period, as_of, sha256 = entry["period"], entry["as_of"], entry["sha256"]
    release_path(period)
    dt.date.fromisoformat(as_of)
    if not (isinstance(sha256, str) and re.fullmatch(r"[0-9a-f]{64}", sha256)):
        raise ValueError(f"release {period}: sha256 is not a SHA-256")
    notes = entry.get("notes", {})
    if not isinstance(notes, dict):
        raise ValueError(f"release {period}: notes is not a mapping")
    return Release(period, as_of, sha256, int(entry["bytes"]), notes, bool(entry.get("current", False)))


def release_notes(log: Changelog, kabupaten_of) -> dict:
    """What changed since the published data, for the feeds: months added, figures revised (and in
    which kabupaten), regions added or removed. Empty when the build was compared with nothing."""
    if log.compared_with is None:
        return {}
    by_kabupaten: dict[str, int] = {}
    for change in log.changes:
        code = kabupaten_of(change.region)  # a region's kabupaten code, or None above that level
        if code:
            by_kabupaten[code] = by_kabupaten.get(code, 0) + 1
    return {"new_periods": list(log.new_periods), "gone_periods": list(log.gone_periods),
            "revised": len(log.changes), "revised_by_kabupaten": dict(sorted(by_kabupaten.items())),
            "added_regions": len(log.added_regions), "removed_regions": len(log.removed_regions)}


def merge_notes(earlier: dict, later: dict) -> dict:
    """Two builds of the same month (a correction after publishing): one release, both notes."""
    if not earlier:
        return later
    if not later:
        return earlier
    kabupaten = dict(earlier.get("revised_by_kabupaten", {}))
    for code, count in later.get("revised_by_kabupaten", {}).items():
        kabupaten[code] = kabupaten.get(code, 0) + count
    return {"new_periods": sorted(set(earlier.get("new_periods", [])) | set(later.get("new_periods", []))),
            "gone_periods": sorted(set(earlier.get("gone_periods", [])) | set(later.get("gone_periods", []))),
            "revised": earlier.get("revised", 0) + later.get("revised", 0),
            "revised_by_kabupaten": dict(sorted(kabupaten.items())),
            "added_regions": earlier.get("added_regions", 0) + later.get("added_regions", 0),
            "removed_regions": earlier.get("removed_regions", 0) + later.get("removed_regions", 0)}


@dataclass(frozen=True)
class Releases:
    current: Release
    frozen: tuple[Release, ...]      # newest first, each with its zip in `zips`
    zips: dict

    @property
    def all(self) -> tuple[Release, ...]:
        return (self.current, *self.frozen)


def releases_now(published: Published, period: str, as_of: str, notes: dict) -> Releases:
    """This build's releases: the current one, the published site's frozen ones, and its current
    one frozen when this build brings a later month."""
    frozen, zips = {r.period: r for r in published.releases}, dict(published.zips)
    latest = published.latest
    if latest is not None and published.latest_zip is not None:
        if latest.period == period:
            notes = merge_notes(latest.notes, notes)
        elif latest.period > period:
            pass  # a month since withdrawn from the data (the only copy of it was unduh/data.zip): gone
        elif latest.period not in frozen:
            data = published.latest_zip
            frozen[latest.period] = Release(latest.period, latest.as_of, latest.sha256, latest.bytes, latest.notes)
            zips[latest.period] = data
    frozen.pop(period, None)  # the current month is the current release
    zips.pop(period, None)
    ordered = tuple(sorted(frozen.values(), key=lambda r: r.period, reverse=True))
    return Releases(Release(period, as_of, notes=notes, current=True), ordered,
                    {r.period: zips[r.period] for r in ordered})


def index_json(releases: Releases, current_zip: bytes) -> bytes:
    """unduh/arsip/index.json: every release, newest first, each zip with its SHA-256 and size."""
    current = dataclasses.replace(releases.current, sha256=hashlib.sha256(current_zip).hexdigest(),
                                  bytes=len(current_zip))
    entries = [{"period": r.period, "as_of": r.as_of, "path": release_path(r.period), "sha256": r.sha256,
                "bytes": r.bytes, "notes": r.notes, **({"current": True} if r.current else {})}
               for r in (current, *releases.frozen)]
    return (json.dumps({"format": FORMAT, "releases": entries}, ensure_ascii=False, indent=1, sort_keys=True)
            + "\n").encode("utf-8")


def signature(index: dict) -> str:
    """What an index says besides the current zip's hash and size (which follow the download files):
    an update compares this build's with the previous output's to know whether the archive changed."""
    entries = [{k: v for k, v in e.items() if not (e.get("current") and k in ("sha256", "bytes"))}
               for e in index.get("releases", [])]
    return json.dumps(entries, sort_keys=True)
