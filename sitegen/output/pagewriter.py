"""The page stage: render every region's page and write it, on all cores.

Pages are independent, so regions are split into chunks that worker processes
render and write straight into the staging folder. Workers are forked after the
model is built, so they share the numpy cube and compiled templates without
pickling them; only chunk ranges go out and written paths come back.
"""

from __future__ import annotations

import itertools
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import jinja2

from ..errors import tr
from ..pages.api import region_downloads, region_files
from ..pages.embed import embed_page
from ..pages.share import share_image_path
from ..pages.site import Site, Texts
from ..pages.region import region_facts, region_page
from ..render.environment import Renderer
from ..render.shareimage import ShareCard, draw_card
from ..system import available_cores, fork_context
from .writer import SiteWriter, write_file

CHUNK = 250  # (perf) small enough that neither worker waits long for the other at the end
WARM_UP = 8  # regions rendered before forking
PARALLEL_FROM = 60  # regions (each rendered in every language); below this, forking costs more than it saves


def draw_share_card(path: str, card: ShareCard) -> bytes:
    return draw_card(card)


@dataclass(frozen=True)
class PageJob:
    site: Site
    languages: tuple[tuple[Renderer, Texts], ...]  # in the order of site.prefixes
    staging: Path
    compare_with: Path | None  # the previous output, in an update: unchanged bytes are not written
    # (image path, card) → PNG: draw_share_card, or fast.shareimages' cache of drawn cards
    draw_share_card: Callable[[str, ShareCard], bytes] = draw_share_card


class TemplateProblem(Exception):
    """A template error raised in a worker, carried back as plain, picklable values."""

    def __init__(self, path: str, line: int | None, message: str):
        super().__init__(path, line, message)
        self.path, self.line, self.message = path, line, message


_job: PageJob | None = None  # set in the parent just before forking; inherited by workers


def write_region_pages(job: PageJob, writer: SiteWriter, regions: list[int], jobs: int, progress=None) -> int:
    """Render and write the pages of `regions`, with their JSON and CSV; returns how many were rendered."""
    global _job
    pool = None
    total = len(regions)
    size = max(1, min(CHUNK, -(-total // (4 * jobs))))  # a small site still gets every worker busy
    chunks = [regions[start:start + size] for start in range(0, total, size)]
    done = 0
    _job = job
    try:
        context = fork_context() if jobs > 1 and total >= PARALLEL_FROM else None
        if context is None:
            results = map(render_chunk, chunks)
        else:
            # A few pages are rendered here, before forking: they compile the templates once
            # (on a cold cache each worker would compile them again) and workers inherit them.
            first = render_chunk(chunks[0][:WARM_UP])
            rest = [chunk for chunk in (chunks[0][WARM_UP:], *chunks[1:]) if chunk]
            pool = context.Pool(jobs)
            results = itertools.chain([first], pool.imap(render_chunk, rest))
        for paths, changed in results:
            writer.claim(paths, changed)
            done += len(paths)
            if progress:
                progress(done, total)
        if pool:
            pool.close()
            pool.join()
    finally:
        _job = None
        if pool:
            pool.terminate()  # after an error, no worker is left behind
    return total


def render_chunk(regions: list[int]) -> tuple[list[str], list[str]]:
    job = _job
    made_dirs: set[str] = set()
    paths, changed = [], []
    for r in regions:
        facts = region_facts(job.site, r)
        pages = [(renderer, texts, region_page(job.site, r, texts, facts)) for renderer, texts in job.languages]
        contents = [render_page(renderer, page) for renderer, _, page in pages] + list(region_downloads(job.site, r))
        files = list(zip(region_files(job.site, r), contents))
        for renderer, _, page in pages:
            if "embed_codes" in page.context:
                embed = embed_page(page)
                files.append((embed.path, render_page(renderer, embed)))
        for _, texts, page in pages:
            if "share_card" in page.context:
                image = share_image_path(job.site, r, texts.prefix)
                files.append((image, job.draw_share_card(image, page.context["share_card"])))
        for path, content in files:
            if write_file(job.staging, path, content, made_dirs, job.compare_with):
                changed.append(path)
            paths.append(path)
    return paths, changed


def render_page(renderer: Renderer, page) -> str:
    try:
        return renderer.render(page.template, page.context)
    except jinja2.TemplateError as exc:
        raise TemplateProblem(*template_location(exc), tr("template error: {error}", error=exc.message or exc)) from None
    except Exception as exc:  # e.g. a filter given the wrong kind of value by a site template
        raise TemplateProblem(*template_location(exc), tr("template error: {kind}: {error}", kind=type(exc).__name__,
                                                          error=exc)) from None


def template_location(exc: Exception) -> tuple[str, int | None]:
    """The template file and line an error in rendering points at (from Jinja's rewritten traceback)."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        return exc.filename, exc.lineno
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".xml"))]
    return (frames[-1].filename, frames[-1].lineno) if frames else ("templates", None)


def default_jobs() -> int:
    return available_cores()
