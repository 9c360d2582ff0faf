"""Page families: every kind of page the site has, what it shows, and how it is written; declared once.

An update build (a rebuild over sitegen's own previous output) derives what to make again from
these declarations alone:

* a family whose `shows` holds only SITE inputs keeps its previous files (SITE inputs are in the
  build's global digest: any change to them makes the build a full one);
* any other family is made again whenever one of the inputs it shows may have changed, and its
  previous files under its `folders` are dropped first;
* region pages are made again one by one, for the regions whose page digest changed: the digest
  (fast.incremental.page_inputs) covers what `REGION_PAGE_SHOWS` declares; a relation to other
  regions it does not know how to digest makes every update render every region page.

So a new page family, or a new chart on a region page, is declared here and nowhere else. A
wrong declaration shows up in the tests that compare an update with a clean build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..model.changelog import Changelog
from ..model.releases import Releases
from .downloads import ZIP_NAME
from .releases import KABUPATEN_FEEDS, write_archive_files, write_archive_pages, write_kabupaten_feeds
from .admin import ADMIN, write_admin
from .api import API, CHANGES, DOWNLOADS, REGION_FILES
from .offline import write_offline_files
from .other import write_catalog, write_changes_page, write_download_page, write_language_pages, write_site_files
from .site import LanguageWriter, Site, Texts, Writer
from ..render.i18n import LANGUAGES

# What pages are made from.
SITE = "site"                # settings, code, templates, assets, segments, sources, regions, news
FIGURES = "figures"          # the coverage cube (coverage.csv)
CHANGES_SINCE = "changes"    # the data changes since the published site (--previous)
DOWNLOAD_FILES = "downloads"  # the published data files (coverage.csv, the lists), see pages.downloads
PUBLISHED_RELEASES = "releases"  # the releases the published site (--previous) keeps, see model.releases

# What a region page shows of the figures: its own cells, and of other regions.
OWN_FIGURES = "own figures"                      # every cell of its own row of the cube
CHILDREN_LATEST = "children's latest figures"    # covered, eligible and rate of each child, latest month
PARENT_RATE = "parent's rate as shown"           # the parent's latest headline rate, as formatted
ROOT_RATE = "root's rate as shown"               # the site's root's latest headline rate, as formatted
OWN_CHANGES = "own data changes"                 # its entries in the changelog

REGION_PAGE_SHOWS = frozenset({SITE, OWN_FIGURES, CHILDREN_LATEST, PARENT_RATE, ROOT_RATE, OWN_CHANGES})


@dataclass(frozen=True)
class Languages:
    """What a family needs to write one language's pages."""

    renderers: tuple          # render.environment.Renderer, one per language
    texts: tuple[Texts, ...]


@dataclass(frozen=True)
class BuildState:
    """Everything a family's pages may be made of, in one build."""

    site: Site
    languages: Languages
    changelog: Changelog
    download_files: Callable[[], dict]   # the download folder's files (made in the background)
    index_json: Callable[[Site], bytes]  # pages.api.index_json, or the fast path's splice
    releases: Releases | None = None     # the download archive (None: a site without any month of data)


@dataclass(frozen=True)
class PageFamily:
    name: str
    shows: frozenset[str]
    folders: Callable[[Site], tuple[str, ...]]   # where its files live (site-relative folders ending in "/")
    write: Callable[[BuildState, Writer], None]
    keep_folders: tuple[str, ...] = ()           # folders inside `folders` that belong to another family


def per_language(state: BuildState, writer: Writer):
    """(renderer, language writer, texts) for each language of the site."""
    for renderer, texts in zip(state.languages.renderers, state.languages.texts):
        yield renderer, LanguageWriter(writer, texts.prefix), texts


def write_lists_and_site_files(state: BuildState, writer: Writer) -> None:
    folders = [write_language_pages(state.site, renderer, language_writer, texts)
               for renderer, language_writer, texts in per_language(state, writer)]
    write_site_files(state.site, state.languages.renderers[0], writer, folders)


def write_api_index(state: BuildState, writer: Writer) -> None:
    writer.write(API + "index.json", state.index_json(state.site))


def write_changes(state: BuildState, writer: Writer) -> None:
    for renderer, language_writer, texts in per_language(state, writer):
        write_changes_page(state.site, state.changelog, renderer, language_writer, texts)


def write_downloads(state: BuildState, writer: Writer) -> None:
    files = state.download_files()
    for name, data in files.items():
        writer.write(DOWNLOADS + name, data)
    write_catalog(state.site, files, writer)
    if state.releases:
        write_archive_files(state.releases, files[ZIP_NAME], writer)
    for renderer, language_writer, texts in per_language(state, writer):
        write_download_page(state.site, renderer, language_writer, files, texts)
        if state.releases:
            # The notes of the current release come from the changelog, which compares with --previous:
            # without it they say nothing, as in a clean build; with it PUBLISHED_RELEASES changed.
            write_archive_pages(state.site, state.releases, renderer, language_writer, texts)


def write_feeds_of_kabupaten(state: BuildState, writer: Writer) -> None:
    if state.releases:
        for renderer, language_writer, texts in per_language(state, writer):
            write_kabupaten_feeds(state.site, state.releases, renderer, language_writer, texts)


def write_news_editor(state: BuildState, writer: Writer) -> None:
    write_admin(state.site, state.languages.renderers[0], writer)


def write_offline(state: BuildState, writer: Writer) -> None:
    # The first language's folder is the site's root: its asset addresses are site-relative.
    write_offline_files(state.site, state.languages.renderers[0].env.globals["assets"], writer)


def in_every_language(folder: str) -> Callable[[Site], tuple[str, ...]]:
    return lambda site: tuple(prefix + folder for prefix in site.prefixes)


# Region pages (each region's page in every language, its JSON and CSV) are written by
# output.pagewriter, region by region; the families below are the rest of the site.
FAMILIES = (
    PageFamily("news, methodology, search, 404, sitemaps and robots.txt", frozenset({SITE}),
               lambda site: (), write_lists_and_site_files),
    PageFamily("the API index", frozenset({SITE, FIGURES}), lambda site: (API,), write_api_index,
               keep_folders=(REGION_FILES,)),
    PageFamily("data changes", frozenset({SITE, FIGURES, CHANGES_SINCE}), in_every_language(CHANGES), write_changes),
    PageFamily("downloads, the release archive and the site's data-changes feed",
               frozenset({SITE, DOWNLOAD_FILES, PUBLISHED_RELEASES}), in_every_language(DOWNLOADS), write_downloads,
               keep_folders=tuple(language.prefix + KABUPATEN_FEEDS for language in LANGUAGES)),
    PageFamily("the data-changes feed of each kabupaten", frozenset({SITE, PUBLISHED_RELEASES}),
               in_every_language(KABUPATEN_FEEDS), write_feeds_of_kabupaten),
    PageFamily("the news editor (/admin/)", frozenset({SITE}), lambda site: (ADMIN,), write_news_editor),
    PageFamily("offline reading (sw.js, manifest.webmanifest)", frozenset({SITE}), lambda site: (), write_offline),
)


def families_to_make(changed: frozenset[str]) -> tuple[PageFamily, ...]:
    """In an update, the families that show any of the `changed` inputs (SITE never changes in one)."""
    return tuple(family for family in FAMILIES if family.shows & changed)
