"""The download archive (`unduh/arsip/`: every release's zip, its index and page) and the Atom feeds
of data changes, site-wide and per kabupaten (`unduh/arsip/feed.xml`, `unduh/arsip/feed/<code>.xml`)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from ..inputs.data import LEVELS
from ..model.releases import ARCHIVE, INDEX, Release, Releases, index_json, release_path
from ..render.formatting import month_label
from .api import DOWNLOADS
from .site import LanguageWriter, Site, Texts, Writer, display_name
from .urls import relative_url

FOLDER = DOWNLOADS + ARCHIVE
FEED = "feed.xml"


def kabupaten_code(site: Site, r: int) -> str | None:
    """The code of the kabupaten/kota a region is in (itself, if it is one); None above that level."""
    tree = site.tree
    for a in (r, *tree.ancestors(r)):
        if tree.regions[a].level == "kabupaten":
            return tree.regions[a].code
    return None


KABUPATEN_FEEDS = FOLDER + "feed/"


def kabupaten_feed_path(code: str) -> str:
    return f"{KABUPATEN_FEEDS}{code}.xml"


def write_archive_files(releases: Releases, current_zip, writer: Writer) -> None:
    """The files every language shares: the index and each release's zip."""
    writer.write(FOLDER + INDEX, index_json(releases, getattr(current_zip, "data", current_zip)))
    writer.write(FOLDER + release_path(releases.current.period), current_zip)
    for release in releases.frozen:
        writer.write(FOLDER + release_path(release.period), releases.zips[release.period])


def note_lines(notes: dict, texts: Texts, kabupaten: str | None = None) -> list[str]:
    """What changed in a release, in sentences (for one kabupaten: only its own revisions)."""
    _ = texts._
    if not notes:
        return [_("Terbitan pertama yang dicatat situs ini.")]
    lines = []
    if notes.get("new_periods"):
        lines.append(_("Bulan baru: %(months)s.") % {
            "months": ", ".join(month_label(p, texts.locale) for p in notes["new_periods"])})
    revised = notes.get("revised_by_kabupaten", {}).get(kabupaten, 0) if kabupaten else notes.get("revised", 0)
    if revised:
        lines.append(_("%(count)s angka bulan sebelumnya direvisi.") % {"count": texts.numbers.integer(revised)})
    if notes.get("gone_periods"):
        lines.append(_("Bulan yang dihapus: %(months)s.") % {
            "months": ", ".join(month_label(p, texts.locale) for p in notes["gone_periods"])})
    if not kabupaten and (notes.get("added_regions") or notes.get("removed_regions")):
        lines.append(_("Wilayah baru: %(added)s; wilayah dihapus: %(removed)s.") % {
            "added": notes.get("added_regions", 0), "removed": notes.get("removed_regions", 0)})
    return lines or [_("Tidak ada angka yang berubah.")]


def concerns(release: Release, code: str) -> bool:
    notes = release.notes
    return (not notes or bool(notes.get("new_periods")) or bool(notes.get("gone_periods"))
            or notes.get("revised_by_kabupaten", {}).get(code, 0) > 0)


def entries(site: Site, releases: Releases, texts: Texts, kabupaten: str | None = None) -> list[dict]:
    base = site.config.base_url
    shown = [r for r in releases.all if kabupaten is None or concerns(r, kabupaten)]
    return [{"release": r, "month": month_label(r.period, texts.locale), "as_of": dt.date.fromisoformat(r.as_of), "lines": note_lines(r.notes, texts, kabupaten),
             "url": base + texts.prefix + FOLDER + "#" + r.period,
             "zip_url": base + FOLDER + release_path(r.period),
             "zip_path": relative_url(FOLDER, texts.site_root + FOLDER + release_path(r.period))
             if texts.prefix else release_path(r.period),
             "current": r.current} for r in shown]


def write_archive_pages(site: Site, releases: Releases, renderer, writer: LanguageWriter, texts: Texts) -> None:
    """The archive page and the site-wide feed, in one language."""
    writer.write(FOLDER + "index.html", renderer.render("archive.html", {
        "title": texts._("Arsip rilis data"), "base": relative_url(FOLDER, ""), "page_path": FOLDER,
        "releases": entries(site, releases, texts), "feed": FEED, "illustrative": bool(site.illustrative.any()),
        "index": relative_url(FOLDER, texts.site_root + FOLDER + INDEX) if texts.prefix else INDEX}))
    write_feed(site, releases, renderer, writer, texts, None, FOLDER + FEED)


def write_kabupaten_feeds(site: Site, releases: Releases, renderer, writer: LanguageWriter, texts: Texts) -> None:
    """One feed of data changes per kabupaten/kota, in one language (514 of them nationally). They show
    the releases and their notes alone, never the current zip's size or digest, so an update that only
    changes figures keeps them (pages.families)."""
    for r in np.flatnonzero(site.tree.depth == LEVELS.index("kabupaten")).tolist():
        write_feed(site, releases, renderer, writer, texts, r, kabupaten_feed_path(site.tree.regions[r].code))


def write_feed(site: Site, releases: Releases, renderer, writer: LanguageWriter, texts: Texts, region: int | None,
               path: str) -> None:
    base = site.config.base_url
    writer.write(path, renderer.render("data_feed.xml", {
        "entries": entries(site, releases, texts, site.tree.regions[region].code if region is not None else None),
        "region_name": display_name(site.tree.regions[region]) if region is not None else None,
        "feed_url": base + texts.prefix + path, "page_url": base + texts.prefix + FOLDER,
        "updated": releases.current.as_of}))

