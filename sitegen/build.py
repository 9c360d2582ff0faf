"""`build(options)`: load → model → render → write, one line per stage.

Everything is loaded and validated before the first byte is written, so a
build with bad input writes nothing and leaves the previous site untouched.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib
import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Callable

import jinja2
import numpy as np

from .inputs.articles import Article, load_articles
from .render.charts import ChartLabels, chart_templates, generic_specs, vega_bundle
from .inputs.config import SiteConfig, load_site_config
from .inputs.coverage import CoverageFacts, load_coverage
from .inputs.data import Region, Segment, Source, load_regions, load_segments, load_sources
from .errors import Problems, tr
from .render.formatting import number_format, vega_format_locale, vega_time_format_locale
from .model.cube import build_cube, build_tree, group_mask, headline_mask, totals
from .pages.downloads import prepare_bulk_files
from .pages.admin import admin_repo
from .pages.api import DOWNLOADS, index_json
from .schema import Lookups
from . import fast
from .fast import coverage as fast_coverage, cube as fast_cube, index as fast_index, regions as fast_regions
from .fast import templates as fast_templates
from .fast.cache import Cache
from .fast.downloads import DownloadCache
from .fast.markdown import StoredMarkdown
from .fast.shareimages import ShareImageCache
from .model.changelog import compare, load_previous
from .model.releases import (ARCHIVE, INDEX as RELEASE_INDEX, index_json as release_index, load_published,
                             release_notes, releases_now, signature as release_signature)
from .pages.releases import kabupaten_code
from .model.news import News, select_news
from .pages.news import check_links, check_published_links
from .render.i18n import LANGUAGES, missing_translations, translations
from .pages.site import Site, Texts
from .pages.families import (CHANGES_SINCE, DOWNLOAD_FILES, FAMILIES, FIGURES, PUBLISHED_RELEASES, REGION_PAGE_SHOWS, BuildState, Languages,
                             families_to_make)
from .pages.urls import region_path
from .pages.share import default_share_image, region_levels
from .output.pagewriter import PageJob, TemplateProblem, default_jobs, draw_share_card, template_location, write_region_pages
from .render.bytecode import bytecode_folder
from .render.environment import Renderer, make_environment
from .inputs.targets import Rates, load_rates
from .model.budgets import load_budgets
from .inputs.boundaries import load_boundaries
from .inputs.figures import load_figures
from .fast.incremental import (DIGESTED, BuildRecord, PageInputs, downloads_digest, global_digest, page_inputs, read_record,
                          write_record)
from .output.writer import SiteWriter, marker_build_id, existing_files

PACKAGE_ASSETS = Path(__file__).parent / "theme" / "assets"
FINGERPRINTED = {"style.css": "css", "charts.js": "charts", "search.js": "search", "site.js": "site", "embed.js": "embed"}


@dataclass(frozen=True)
class BuildOptions:
    data: Path = Path("data")
    content: Path = Path("content")
    templates: Path = Path("templates")
    assets: Path = Path("assets")
    out: Path = Path("_site")
    base_url: str | None = None
    strict: bool = False
    cache_dir: Path | None = Path(".sitegen-cache")
    progress: Callable[[int, int], None] | None = None
    drafts: bool = False     # publish articles marked draft: true
    future: bool = False     # publish articles dated after `now`
    now: dt.datetime | None = None  # what counts as "future" (default: the current time)
    jobs: int | None = None  # worker processes for pages; None = one per available core
    full: bool = False       # ignore the previous build: render everything, replace the folder
    previous: Path | None = None  # the published site (or its api/v1/index.json) to list data changes against


@dataclass(frozen=True)
class Inputs:
    config: SiteConfig
    regions: list[Region]
    segments: list[Segment]
    sources: list[Source]
    facts: CoverageFacts
    articles: list[Article]
    paths: tuple[str, ...]       # each region's site-relative folder, in the order of `regions`
    rates: Rates | None = None   # premiums from rates.yaml, when the site has one
    boundaries: dict = None      # region code → GeoJSON geometry, from data/boundaries/
    figures: tuple = ()          # inputs.figures.PublishedFigure: real figures from figures.yaml


@dataclass
class BuildResult:
    pages: int = 0           # region pages in the site
    rendered: int = 0        # region pages rendered by this build (fewer in an update)
    files: int = 0           # files in the site
    written: int = 0         # files this build wrote (only changed ones in an update)
    held_back: int = 0       # articles not published: drafts, or dated in the future
    warnings: list = field(default_factory=list)
    seconds: float = 0.0


def fast_cache(options: BuildOptions) -> Path | None:
    """The cache folder the fast paths use, or None: then every stage takes the plain way."""
    return options.cache_dir if options.cache_dir is not None and fast.enabled() else None


def load_inputs(options: BuildOptions, problems: Problems) -> Inputs:
    """Read and cross-check every input file; raise InputError listing every problem."""
    cache_dir = fast_cache(options)
    # The fast way: coverage.csv is copied and hashed in a thread while the rest is read.
    coverage_read = fast_coverage.prefetch_coverage(options.data, cache_dir) if cache_dir else None
    config = load_site_config(options.data, problems, options.base_url)
    root = config.root_region if config else None
    regions = (fast_regions.load_regions(options.data, root, problems, Cache(cache_dir)) if cache_dir else
               load_regions(options.data, root, problems))
    segments = load_segments(options.data, problems)
    sources = load_sources(options.data, problems)
    rates = load_rates(options.data, problems)
    figures = tuple(load_figures(options.data, regions, sources, problems)) if regions and sources else ()
    if config and sources and config.target.source not in {s.id for s in sources}:
        problems.error(options.data / "site.yaml", config.target.source_line,
                       tr("target.source {source} is not an id in sources.yaml", source=repr(config.target.source)))
    # Page folders and articles first: on the fast way coverage.csv is still being parsed in its thread.
    paths = page_folders(regions, config.root_region, cache_dir) if regions and config else ()
    articles = (load_articles(options.content, {r.code for r in regions}, problems, config.timezone,
                              StoredMarkdown(cache_dir / "markdown") if cache_dir else None)
                if regions and config else [])
    facts = None
    if regions and segments and sources:
        lookups = Lookups([r.code for r in regions], [r.level for r in regions],
                          [s.id for s in segments], [s.id for s in sources])
        facts = (fast_coverage.load_coverage(options.data, lookups, problems, cache_dir, coverage_read) if cache_dir
                 else load_coverage(options.data, lookups, problems))
    if articles and config:
        folders = set(paths)
        check_links(articles, folders | {folder + "index.html" for folder in folders}, problems)
    problems.raise_if_any()
    boundaries = load_boundaries(options.data, {r.code for r in regions}, problems) if regions else {}
    problems.raise_if_any()
    return Inputs(config, regions, segments, sources, facts, articles, paths, rates, boundaries, figures)


def page_folders(regions: list[Region], root_code: str, cache_dir: Path | None) -> tuple[str, ...]:
    """Every region's page folder (slugging 90,000 names takes a while: the fast way keeps them by the names)."""
    def folders():
        return tuple(region_path(r, r.code == root_code) for r in regions), True

    if cache_dir is None:
        return folders()[0]
    key = "\0".join([root_code, *(f"{r.code}\1{r.name}\1{r.level}" for r in regions)]).encode()
    return Cache(cache_dir).remember("paths", key, folders)


def published_news(inputs: Inputs, tree, options: BuildOptions) -> News:
    # "Future" is judged in the site's own time zone: a deploy on a UTC machine at 16:05 is 00:05 in WITA.
    now = options.now or dt.datetime.now(inputs.config.timezone).replace(tzinfo=None)
    return select_news(inputs.articles, tree, now, options.drafts, options.future)


def build_model(inputs: Inputs, options: BuildOptions | None = None) -> Site:
    options = options or BuildOptions()
    tree = build_tree(inputs.regions, inputs.config.root_region)
    news = published_news(inputs, tree, options)
    cube = (fast_cube.build_cube if fast_cache(options) else build_cube)(tree, inputs.facts, inputs.segments,
                                                                         inputs.sources)
    headline = totals(cube, headline_mask(cube.segments))
    group_masks = {group: group_mask(cube.segments, group) for group in dict.fromkeys(s.group for s in cube.segments)}
    group_rates = {group: totals(cube, mask).rate() for group, mask in group_masks.items()}
    illustrative_sources = np.array([s.illustrative for s in cube.sources], dtype=bool)
    desa_count = sum(r.level == "desa" for r in tree.regions)
    return Site(
        config=inputs.config, tree=tree, cube=cube, headline=headline,
        headline_rate=headline.rate(), group_rates=group_rates,
        paths=inputs.paths or tuple(region_path(r, i == tree.root) for i, r in enumerate(tree.regions)),
        illustrative=(cube.uses_source & illustrative_sources).any(axis=1),
        period_index={p: i for i, p in enumerate(cube.periods)}, group_masks=group_masks,
        news=news, rates=inputs.rates, boundaries=inputs.boundaries or {}, figures=inputs.figures,
        prefixes=tuple(language.prefix for language in LANGUAGES),
        share_levels=region_levels(inputs.config.share_images, desa_count),
        embed_levels=region_levels(inputs.config.embeds, desa_count),
    )


def check(options: BuildOptions) -> BuildResult:
    started = time.perf_counter()
    problems = Problems(strict=options.strict)
    inputs = load_inputs(options, problems)
    # (perf) No cube: adding up 5 million rows into every region checks nothing more.
    tree = build_tree(inputs.regions, inputs.config.root_region)
    news = published_news(inputs, tree, options)
    check_published_links(news, inputs.paths, problems)
    load_budgets(options.data, tree, problems)
    report_missing_translations(options.templates, problems)
    problems.raise_if_any()
    return BuildResult(warnings=problems.warnings, held_back=news.held_back,
                       seconds=time.perf_counter() - started)


@dataclass(frozen=True)
class BuildPlan:
    """Which region pages to render: all of them, or in an update only those whose inputs changed."""

    global_digest: str
    pages: PageInputs | None   # None without a cache folder (no record is kept)
    regions: list[int]
    previous_files: list[str] | None


def plan_build(options: BuildOptions, inputs: Inputs, site: Site, texts: Texts,
               previous: BuildRecord | None, change_keys: np.ndarray | None = None) -> BuildPlan:
    if fast_cache(options) is None or not REGION_PAGE_SHOWS <= DIGESTED:
        # No record to compare with or to keep, or a region page shows what no digest covers: render
        # every page (and keep no record, so the next build renders every page too).
        return BuildPlan("", None, list(range(len(site.paths))), None)
    settings = {"base_url": inputs.config.base_url, "languages": [l.code for l in LANGUAGES], "strict": options.strict,
                "news": [(a.slug, a.date.isoformat()) for a in site.news.articles],
                "admin_repo": admin_repo(inputs.config.admin) if inputs.config.admin else None}
    global_hex = global_digest(options.data, options.content, options.templates, options.assets, settings,
                               site.cube.periods)
    if previous is not None and previous.global_digest != global_hex:
        previous = None
    pages = page_inputs(site, global_hex, texts.numbers, previous.pages if previous else None, change_keys)
    if previous is None or previous.pages.digests.shape != pages.digests.shape:
        return BuildPlan(global_hex, pages, list(range(len(site.paths))), None)
    changed = np.flatnonzero((pages.digests != previous.pages.digests).any(axis=1)).tolist()
    return BuildPlan(global_hex, pages, changed, previous.files)


def build(options: BuildOptions) -> BuildResult:
    started = time.perf_counter()
    problems = Problems(strict=options.strict)
    # On a cold cache, chart specs take ~1 s of Altair and a Vega bundle for an unshipped vl-convert
    # version ~1.5 s of vl-convert's runtime, each in a child process: the data is loaded meanwhile
    # (the bundle's file name depends only on vl-convert's version, so pages need not wait for it).
    # The row parser (polars, ~0.15 s to import) is loaded alongside too, in case rows need parsing.
    cache_dir = fast_cache(options)
    with ThreadPoolExecutor(max_workers=3) as background:
        specs = background.submit(generic_specs, cache_dir)
        background.submit(importlib.import_module, "sitegen.inputs.rowcheck")
        bundle = background.submit(vega_bundle, cache_dir)
        return build_site(options, problems, bundle, started, background, specs)


def build_site(options: BuildOptions, problems: Problems, bundle: Future, started: float,
               background: ThreadPoolExecutor, specs: Future) -> BuildResult:
    # (perf) What needs nothing of the input is read first: coverage.csv is still being read and
    # hashed by the thread the command line started (sitegen.fast.early), and load_inputs waits for it.
    cache_dir = fast_cache(options)
    previous = read_record(cache_dir, options.out, marker_build_id(options.out)) if cache_dir and not options.full \
        else None
    load_language_data()
    inputs = load_inputs(options, problems)
    downloads_key = downloads_digest(options.data, inputs.facts.file.digest) if cache_dir else None
    download_cache = DownloadCache(cache_dir) if cache_dir else None
    # The download files depend on the input files alone: make them while pages are rendered
    # (unless the previous build's are still right, which an update build then keeps).
    bulk = (None if previous and previous.downloads == downloads_key else
            background.submit(prepare_bulk_files, inputs.facts.file, inputs.regions, inputs.segments,
                              inputs.sources, inputs.config, download_cache))

    def download_files() -> dict:
        return bulk.result() if bulk else prepare_bulk_files(
            inputs.facts.file, inputs.regions, inputs.segments, inputs.sources, inputs.config, download_cache)
    languages = prepare_languages(options, inputs.config, specs.result())
    report_missing_translations(options.templates, problems)
    site = build_model(inputs, options)
    check_published_links(site.news, site.paths, problems)
    changelog = compare(load_previous(options.previous, problems) if options.previous else None, site, inputs.facts)
    published = load_published(options.previous, problems)
    problems.raise_if_any()
    budgets = load_budgets(options.data, site.tree, problems)
    problems.raise_if_any()
    site = dataclasses.replace(site, changes=changelog.by_region(), budgets=budgets)
    plan = plan_build(options, inputs, site, languages[0].texts, previous, changelog.region_keys(len(site.paths)))
    # --full over sitegen's own output: every page is rendered, and the bytes decide what is written.
    writer = SiteWriter(options.out, plan.previous_files if plan.previous_files is not None or not options.full
                        else existing_files(options.out))
    try:
        assets = write_assets(writer, options.assets)
        for language in languages:
            language.env.globals.update(site_globals(site, assets, language.texts))
        renderers = [Renderer(language.env) for language in languages]
        job = PageJob(site, tuple(zip(renderers, (language.texts for language in languages))),
                      writer.staging, writer.compare_with,
                      ShareImageCache(cache_dir / "share-images") if cache_dir else draw_share_card)
        fast_templates.wait_for_templates()  # a first build's templates, compiled meanwhile by `sitegen build`
        rendered = write_region_pages(job, writer, plan.regions, options.jobs or default_jobs(), options.progress)
        writer.write(assets["vega"], bundle.result().encode("utf-8"))  # ready by now, even on a cold cache
        releases = (releases_now(published, site.cube.periods[-1], site.config.as_of.isoformat(),
                                 release_notes(changelog, lambda r: kabupaten_code(site, r)))
                    if site.cube.periods else None)
        state = BuildState(site, Languages(tuple(renderers), tuple(language.texts for language in languages)),
                           changelog, download_files, fast_index.index_json if cache_dir else index_json, releases)
        families = FAMILIES
        if writer.update and plan.previous_files is not None:
            # Same global digest (code, templates, news, regions, settings): families that show only
            # those keep the previous build's files; the others are made anew (pages.families).
            changed = ({FIGURES, CHANGES_SINCE} | (set() if previous.downloads == downloads_key else {DOWNLOAD_FILES})
                       | ({PUBLISHED_RELEASES} if options.previous or archive_differs(options.out, releases) else set()))
            families = families_to_make(frozenset(changed))
            drop = tuple(folder for family in families for folder in family.folders(site))
            # A folder inside another family's stays, unless that family is made again too.
            writer.keep_previous(drop=drop, unless=tuple(inner for family in families for inner in family.keep_folders
                                                         if inner not in drop))
        for family in families:
            family.write(state, writer)
        build_id = (write_record(cache_dir, options.out, plan.global_digest, plan.pages, writer.files(),
                                 downloads_key)
                    if cache_dir and plan.pages is not None else None)
        writer.commit(build_id)
    except TemplateProblem as exc:
        writer.abort()
        problems.error(exc.path, exc.line, exc.message)
        problems.raise_if_any()
    except jinja2.TemplateError as exc:
        writer.abort()
        problems.error(*template_location(exc), tr("template error: {error}", error=exc.message or exc))
        problems.raise_if_any()
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        location = template_location(exc)
        writer.abort()
        if location[0] == "templates":  # not raised in a template: a bug of sitegen's, shown as such
            raise
        problems.error(*location, tr("template error: {kind}: {error}", kind=type(exc).__name__, error=exc))
        problems.raise_if_any()
    except BaseException:
        writer.abort()
        raise
    return BuildResult(pages=len(site.paths), rendered=rendered, files=len(writer.files()),
                       written=len(writer.changed) if writer.update else len(writer.files()),
                       held_back=site.news.held_back,
                       warnings=problems.warnings, seconds=time.perf_counter() - started)


@dataclass(frozen=True)
class LanguageSetup:
    """One language of the site: its Jinja environment and the texts its pages are made with."""

    env: jinja2.Environment
    texts: Texts


def load_language_data() -> None:
    """Each language's catalog and number symbols, kept for prepare_languages (both are cached)."""
    for language in LANGUAGES:
        translations(language.code)
        number_format(language.babel_locale)


def prepare_languages(options: BuildOptions, config: SiteConfig, specs_json: str) -> list[LanguageSetup]:
    setups = []
    for language in LANGUAGES:
        catalog = translations(language.code)
        _ = catalog.gettext
        labels = ChartLabels(rate=_("Cakupan (%)"), period=_("Bulan"), region=_("Wilayah"),
                             group=_("Kelompok"), target=_("Target (%)"))
        charts = chart_templates(labels, float(config.target.coverage_pct), specs_json)
        texts = Texts(_, number_format(language.babel_locale), language.babel_locale, language.code,
                      language.prefix, charts)
        # Jinja's speed-ups (render/compiled.py) are a fast path too: SITEGEN_FASTPATH=0 renders with stock Jinja.
        environment = make_environment(options.templates, language.babel_locale, catalog,
                                       bytecode_folder(fast_cache(options), language.code), compiled=fast.enabled())
        setups.append(LanguageSetup(environment, texts))
    return setups


def report_missing_translations(templates: Path, problems: Problems) -> None:
    """A site's own templates may add interface text the catalogs lack: its pages in that
    language would show the Indonesian text, so each one is a warning (an error under --strict)."""
    for language in LANGUAGES:
        for path, line, message in missing_translations([templates], language.code):
            problems.warn(path, line, tr("no {language} translation for {message} "
                                         "(sitegen/locale/{code}/LC_MESSAGES/messages.po)",
                                         language=language.name, message=repr(message), code=language.code))


def archive_differs(out: Path, releases) -> bool:
    """Whether the previous output's release archive says other than this build's would (a build with
    --previous carried releases over; one without it has only its own)."""
    try:
        old = json.loads((out / DOWNLOADS / ARCHIVE / RELEASE_INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return releases is not None
    return releases is None or release_signature(old) != release_signature(json.loads(release_index(releases, b"")))


def site_globals(site: Site, assets: dict, texts: Texts) -> dict:
    """What every page of one language may use. Links are relative to that language's root;
    `site_root` leads from there to the files all languages share (assets, API, downloads)."""
    lang = texts.lang
    return {
        "site_title": getattr(site.config.title, lang),
        "site_url": site.config.base_url,
        "lang": lang,
        "lang_prefix": texts.prefix,
        "site_root": texts.site_root,
        "languages": [{"code": other.code, "name": other.name, "prefix": other.prefix,
                       "from_here": texts.site_root + other.prefix, "current": other.code == lang}
                      for other in LANGUAGES],
        "as_of": site.config.as_of,
        "contact": site.config.contact,
        "target_pct": float(site.config.target.coverage_pct),
        "rates": site.rates,
        "assets": {name: texts.site_root + path for name, path in assets.items()},
        "utc_offset": site.config.utc_offset,
        "site_share_image": default_share_image(site, texts),
        "vega_locale": json.dumps({"number": vega_format_locale(texts.locale),
                                   "time": vega_time_format_locale(texts.locale)},
                                  ensure_ascii=False, sort_keys=True).replace("<", "\\u003c"),
    }


def write_assets(writer: SiteWriter, site_assets: Path) -> dict:
    """Copy the theme's assets (the site's own `assets/` overriding them by name); fingerprint CSS and JS."""
    files = {p.name: p for p in sorted(PACKAGE_ASSETS.iterdir()) if p.is_file()}
    if site_assets and site_assets.is_dir():
        files.update({p.relative_to(site_assets).as_posix(): p for p in sorted(site_assets.rglob("*"))
                      if p.is_file() and not any(part.startswith(".") for part in p.relative_to(site_assets).parts)})
    names = {"icon": "assets/icon.svg"}
    for name, path in sorted(files.items()):
        data = path.read_bytes()
        if name in FINGERPRINTED:
            stem, ext = name.rsplit(".", 1)
            target = f"assets/{stem}.{fingerprint(data)}.{ext}"
            names[FINGERPRINTED[name]] = target
        else:
            target = f"assets/{name}"
        writer.write(target, data)
    names["vega"] = vega_bundle_path()
    return names


def vega_bundle_path() -> str:
    """The bundle's address, fingerprinted by the vl-convert version that makes it (one version,
    one bundle), so it is known before the bundle itself is ready."""
    return f"assets/vega.{fingerprint(version('vl-convert-python').encode())}.js"


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]
