"""The pages that are not a region's: news, methodology, data changes, downloads, search, and
the files for hosts and crawlers (404, sitemaps, robots.txt).

Each language's pages are written through a `LanguageWriter` into that language's folder,
with links relative to it; the download files and the API are shared by all languages.
"""

from __future__ import annotations

import re
from html import unescape

from .downloads import download_page_context
from ..model.changelog import SHOWN, Changelog
from ..render.i18n import LANGUAGES, translations
from .news import article_path, write_news_pages
from .opendata import CATALOG_NAME, dcat_catalog, schema_org_dataset
from .api import CHANGES, DOWNLOADS, METHODOLOGY
from .site import LanguageWriter, Site, Texts, Writer, change_row, display_name
from .region import group_names
from ..render.environment import Renderer
from .search import SearchEntry, search_index_files
from .urls import relative_url

SEARCH = "cari/"
TAG = re.compile(r"<[^>]*>")
SITEMAP_URLS = 40_000  # per sitemap file: the protocol allows 50,000


def write_language_pages(site: Site, renderer: Renderer, writer: LanguageWriter, texts: Texts) -> list[str]:
    """News, methodology and search for one language; returns the folders written (for the sitemap)."""
    _ = texts._
    news_folders = write_news_pages(site.news, site.tree, site.paths, display_name,
                                    renderer, writer, site.config.base_url + texts.prefix)
    write_methodology(site, renderer, writer, _)
    write_search(site, renderer, writer, texts)
    archive = [DOWNLOADS + "arsip/"] if site.cube.periods else []  # written with the downloads (pages.releases)
    return [*news_folders, DOWNLOADS, *archive, METHODOLOGY, CHANGES, SEARCH]


def write_methodology(site: Site, renderer: Renderer, writer: LanguageWriter, _) -> None:
    writer.write(METHODOLOGY + "index.html", renderer.render("methodology.html", {
        "title": _("Metodologi"), "base": relative_url(METHODOLOGY, ""), "page_path": METHODOLOGY,
        "segments": site.cube.segments, "group_names": group_names(_), "target_year": site.config.target.year,
        "sources": list(site.cube.sources)}))


def write_changes_page(site: Site, log: Changelog, renderer: Renderer, writer: LanguageWriter, texts: Texts) -> None:
    rows = [change_row(site, c, CHANGES) for c in log.changes[:SHOWN]]
    writer.write(CHANGES + "index.html", renderer.render("changes.html", {
        "title": texts._("Perubahan data"), "base": relative_url(CHANGES, ""), "page_path": CHANGES, "log": log,
        "rows": rows, "count": len(log.changes), "regions_changed": len(site.changes),
        "illustrative": bool(site.illustrative.any()), "archive": bool(site.cube.periods)}))


def write_download_page(site: Site, renderer: Renderer, writer: LanguageWriter, files: dict[str, bytes],
                        texts: Texts) -> None:
    """The download page of one language; the files themselves are written once, in `unduh/`."""
    context = download_page_context(files, texts.lang)
    for entry in context["files"]:
        entry["url"] = relative_url(DOWNLOADS, texts.site_root + DOWNLOADS + entry["url"]) if texts.prefix \
            else entry["url"]
    region_name = display_name(site.tree.regions[site.tree.root])
    markup = schema_org_dataset(site.config, files, site.cube.periods, region_name,
                                site.config.base_url + DOWNLOADS, site.config.base_url + texts.prefix + DOWNLOADS,
                                texts.lang)
    writer.write(DOWNLOADS + "index.html", renderer.render("downloads.html", {
        "title": texts._("Unduh data"), "base": relative_url(DOWNLOADS, ""), "page_path": DOWNLOADS,
        "license": site.config.license, "illustrative": bool(site.illustrative.any()), "dataset_markup": markup,
        "archive": bool(site.cube.periods),
        "catalog": relative_url(DOWNLOADS, texts.site_root + DOWNLOADS + CATALOG_NAME) if texts.prefix else CATALOG_NAME,
        **context}))


def write_catalog(site: Site, files: dict[str, bytes], writer: Writer) -> None:
    """unduh/catalog.jsonld: the download folder as a DCAT catalogue (its periods are coverage.csv's)."""
    region_name = display_name(site.tree.regions[site.tree.root])
    writer.write(DOWNLOADS + CATALOG_NAME, dcat_catalog(site.config, files, site.cube.periods, region_name,
                                                        site.config.base_url + DOWNLOADS))


def search_entries(site: Site, texts: Texts) -> list[SearchEntry]:
    """Every region (with the places above it, so 'Simpang Empat' also finds its villages) and article."""
    _ = texts._
    tree = site.tree
    names = [display_name(region) for region in tree.regions]
    kinds = {level: label for level, label in (
        ("nasional", _("Nasional")), ("provinsi", _("Provinsi")), ("kabupaten", _("Kabupaten/Kota")),
        ("kecamatan", _("Kecamatan")), ("desa", _("Desa/Kelurahan")))}
    entries = []
    for r, region in enumerate(tree.regions):
        ancestors = [a for a in tree.ancestors(r) if a != tree.root or r == tree.root][::-1]
        entries.append(SearchEntry(title=names[r], kind=kinds[region.level], path=site.paths[r],
                                   context=", ".join(names[a] for a in ancestors)))
    if site.news:
        entries += [SearchEntry(title=a.title, kind=_("Berita"), path=article_path(a),
                                context=a.date.strftime("%Y-%m-%d"), text=f"{a.summary or ''} {plain_text(a.body_html)}")
                    for a in site.news.articles]
    return entries


def plain_text(html: str) -> str:
    """The words of sanitised article HTML, for the search index (entities decoded, tags dropped)."""
    return unescape(TAG.sub(" ", html))


def write_search(site: Site, renderer: Renderer, writer: LanguageWriter, texts: Texts) -> None:
    for name, data in search_index_files(search_entries(site, texts)).items():
        writer.write(SEARCH + name, data)
    writer.write(SEARCH + "index.html", renderer.render("search.html", {
        "title": texts._("Cari"), "base": relative_url(SEARCH, ""), "page_path": SEARCH}))


def write_site_files(site: Site, renderer: Renderer, writer: Writer, folders: list[list[str]]) -> None:
    """404.html, the sitemaps (every page in every language, with its alternates) and robots.txt.

    `folders` holds, per language, the folders of the pages that are not a region's."""
    base_url = site.config.base_url
    writer.write("404.html", renderer.render("404.html", {
        "title": "404", "base": site.config.base_path, "other_languages": not_found_texts()}))
    write_sitemaps(site, writer, folders)
    writer.write("robots.txt", f"User-agent: *\nAllow: /\nSitemap: {base_url}sitemap.xml\n")


def not_found_texts() -> list[dict]:
    """One 404 page serves every address (hosts allow one): it says so in the other languages too."""
    texts = []
    for language in LANGUAGES[1:]:
        _ = translations(language.code).gettext
        texts.append({"code": language.code, "prefix": language.prefix, "heading": _("Halaman tidak ditemukan"),
                      "text": _("Alamat ini tidak ada di situs. Mulai lagi dari halaman utama."),
                      "home": _("Ke halaman utama")})
    return texts


def write_sitemaps(site: Site, writer: Writer, folders: list[list[str]]) -> None:
    """`sitemap.xml` is an index of sitemaps of at most SITEMAP_URLS pages each (a national site has
    over 180,000 pages); each page lists its versions in every language (hreflang alternates)."""
    base = escape_xml(site.config.base_url)
    lastmod = site.config.as_of.isoformat()
    shared = [path for path in folders[0] if all(path in other for other in folders[1:])]
    paths = escape_xml("\n".join((*site.paths, *shared))).split("\n")  # one pass, not 90,000
    alternates = [(language.code, language.prefix) for language in LANGUAGES]
    names = []
    for language in LANGUAGES:
        for start in range(0, len(paths), SITEMAP_URLS):
            name = f"sitemap-{language.code}-{start // SITEMAP_URLS + 1}.xml"
            lines = ['<?xml version="1.0" encoding="UTF-8"?>',
                     '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
                     'xmlns:xhtml="http://www.w3.org/1999/xhtml">']
            lines += [f"<url><loc>{base}{language.prefix}{path}</loc><lastmod>{lastmod}</lastmod>"
                      + "".join(f'<xhtml:link rel="alternate" hreflang="{code}" href="{base}{prefix}{path}"/>'
                                for code, prefix in alternates) + "</url>"
                      for path in paths[start:start + SITEMAP_URLS]]
            lines.append("</urlset>\n")
            writer.write(name, "\n".join(lines))
            names.append(name)
    index = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    index += [f"<sitemap><loc>{base}{name}</loc><lastmod>{lastmod}</lastmod></sitemap>" for name in names]
    index.append("</sitemapindex>\n")
    writer.write("sitemap.xml", "\n".join(index))


def escape_xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
