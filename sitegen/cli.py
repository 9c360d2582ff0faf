"""The `sitegen` command line: thin commands that parse options and call the pipeline.

Exit codes: 0 success, 1 invalid input (or an output folder sitegen may not
replace), 2 usage error.
"""

from __future__ import annotations

import atexit
import datetime
import functools
import gc
import os
import re
import sys
import threading
from pathlib import Path

import click

from . import __version__
from .fast.early import start_coverage_read, wait_for_head_start
from .fast.templates import start_compiling, wait_for_templates
from .errors import InputError, OutputError, Problems, github_annotations, summary_table, tr, use_report_language
from .publish.hosts import HOSTS

# numpy's OpenBLAS would start a thread per core that spins after each call; sitegen does no
# linear algebra worth sharing out, and those threads take CPU from the build's own.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# The pipeline (numpy, Jinja, Babel: ~0.4 s to import) is imported by the commands that use it,
# after `build` and `check` have started reading coverage.csv (see sitegen.fast.early).


class BuildFailed(click.ClickException):
    exit_code = 1

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)


def set_report_language(code: str) -> None:
    from .render.i18n import problem_translations  # lazy: babel's catalog reader only for Indonesian reports

    use_report_language(str if code == "en" else problem_translations(code).gettext)


def report_language_option(ctx, param, value) -> None:
    if value is not None:
        set_report_language(value)


def input_options(command):
    """Options shared by `build`, `check` and `serve`."""
    options = [
        click.option("--data", type=click.Path(path_type=Path, file_okay=False), default="data", show_default=True,
                     help="Folder with site.yaml, regions.csv, segments.yaml, sources.yaml, coverage.csv."),
        click.option("--content", type=click.Path(path_type=Path, file_okay=False), default="content",
                     show_default=True, help="Folder with Markdown news."),
        click.option("--templates", type=click.Path(path_type=Path, file_okay=False), default="templates",
                     show_default=True, help="The site's own templates; they override the default theme by name."),
        click.option("--assets", type=click.Path(path_type=Path, file_okay=False), default="assets",
                     show_default=True, help="The site's own static files; they override the theme's by name."),
        click.option("--base-url", default=None, metavar="URL",
                     help="Public address of the site, e.g. https://example.org/jamsostek/ (overrides site.yaml)."),
        click.option("--strict", is_flag=True, help="Treat warnings as errors."),
        click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=".sitegen-cache",
                     show_default=True, envvar="SITEGEN_CACHE_DIR",
                     help="Where chart specs and the Vega bundle are cached between builds."),
        click.option("--lang", type=click.Choice(["id", "en"]), default=None, expose_value=False, is_eager=True,
                     callback=report_language_option,
                     help="Language of the problems reported: id (Bahasa Indonesia) or en. Default: from the "
                          "locale (SITEGEN_LANG, LANGUAGE, LC_ALL, LANG=id_ID..., Windows' own), else English."),
    ]
    return functools.reduce(lambda cmd, option: option(cmd), reversed(options), command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sitegen")
def main():
    """Build the Jamsostek coverage transparency site from data/ and content/.

    Exit codes: 0 success, 1 invalid input, 2 usage error.
    """
    from .render.i18n import report_language_of_environment  # lazy: see the note on the pipeline above

    set_report_language(report_language_of_environment())


@main.command("build")
@input_options
@click.option("--out", type=click.Path(path_type=Path), default="_site", show_default=True,
              help="Output folder; replaced as a whole only when the build succeeds.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes that render pages (default: one per CPU core).")
@click.option("--drafts", is_flag=True, help="Also publish articles marked draft: true (for previews).")
@click.option("--future", is_flag=True, help="Also publish articles dated in the future.")
@click.option("--full", is_flag=True, help="Render every page and replace the whole output folder, "
              "instead of updating only what changed since the last build.")
@click.option("--previous", type=click.Path(path_type=Path, exists=True), default=None, metavar="PATH",
              help="The published site's folder (or its api/v1/index.json): list what changed in the data since.")
def build_command(data, content, templates, assets, base_url, strict, cache_dir, out, jobs, drafts, future, full,
                  previous):
    """Validate the inputs and write the static site to --out.

    The previous site stays untouched unless the whole build succeeds.
    Exit codes: 0 success, 1 invalid input or unusable --out, 2 usage error.
    """
    start_compiling(templates, cache_dir)  # forks: before any thread starts (fast/templates.py)
    try:
        start_coverage_read(data, cache_dir)
        wait_for_head_start()
        from .build import BuildOptions, build  # lazy: once the coverage copy has begun (fast/early.py)

        progress = terminal_progress() if sys.stderr.isatty() else None
        options = BuildOptions(data=data, content=content, templates=templates, assets=assets, out=out,
                               base_url=base_url, strict=strict, cache_dir=cache_dir, progress=progress, jobs=jobs,
                               full=full, drafts=drafts, future=future, previous=previous)
        result = run(build, options)
    finally:
        wait_for_templates()  # a build that failed before its pages did not
    if result.held_back:
        click.echo(f"sitegen: held back {result.held_back} article(s): drafts or dated in the future "
                   f"(--drafts, --future publish them)")
    click.echo(f"sitegen: {result.pages} pages in {out} ({result.rendered} rendered, "
               f"{result.written} of {result.files} files written) "
               f"with {len(result.warnings)} warning(s) in {result.seconds:.2f} s")


@main.command("check")
@input_options
def check_command(data, content, templates, assets, base_url, strict, cache_dir):
    """Validate the inputs without writing anything.

    Exit codes: 0 valid, 1 invalid input, 2 usage error.
    """
    start_coverage_read(data, cache_dir)
    wait_for_head_start()  # a cold cache's parse of a national file first: it then runs beside the rest
    from .build import BuildOptions, check  # lazy: once the coverage copy has begun (fast/early.py)

    options = BuildOptions(data=data, content=content, templates=templates, assets=assets,
                           base_url=base_url, strict=strict, cache_dir=cache_dir)
    result = run(check, options)
    click.echo(f"sitegen: input is valid ({len(result.warnings)} warning(s)) in {result.seconds:.2f} s")


@main.command("serve")
@input_options
@click.option("--out", type=click.Path(path_type=Path), default="_site", show_default=True,
              help="Folder the previewed site is built into.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--drafts", is_flag=True, help="Also show articles marked draft: true.")
@click.option("--future", is_flag=True, help="Also show articles dated in the future.")
def serve_command(data, content, templates, assets, base_url, strict, cache_dir, out, port, drafts, future):
    """Build the site, serve it on 127.0.0.1 and rebuild it whenever data/, content/,
    templates/ or assets/ change; open pages reload by themselves, and a build error
    is shown on them while the last good site stays served.

    Exit codes: 0 stopped (Ctrl+C), 1 unusable --out, 2 usage error.
    """
    from .build import BuildOptions  # lazy: the pipeline only for the commands that need it
    from .serve import serve  # lazy: watchfiles and the server only for `sitegen serve`

    options = BuildOptions(data=data, content=content, templates=templates, assets=assets, out=out,
                           base_url=base_url, strict=strict, cache_dir=cache_dir, drafts=drafts, future=future)
    serve(options, port)


@main.command("check-links")
@click.argument("site", type=click.Path(path_type=Path, file_okay=False, exists=True), default="_site")
@click.option("--base-path", default=None, metavar="PATH",
              help="Path the site is served under (for absolute links, as in 404.html); default from site.yaml's "
                   "base_url when --data is given, else /.")
@click.option("--data", type=click.Path(path_type=Path, file_okay=False), default=None)
def check_links_command(site, base_path, data):
    """Check that every internal link and resource of a built site reaches a file.

    Exit codes: 0 all links work, 1 broken links (each listed), 2 usage error.
    """
    from .output.linkcheck import broken_links  # lazy: only for `sitegen linkcheck`

    if base_path is None and data is not None:
        from .inputs.config import load_site_config  # lazy: yaml only for the commands that need it
        config = load_site_config(data, Problems())
        base_path = config.base_path if config else "/"
    problems = broken_links(site, base_path or "/")
    if problems:
        raise BuildFailed("\n".join(problems) + f"\nsitegen: {len(problems)} broken link(s)")
    click.echo(f"sitegen: every internal link in {site} works")


@main.command("fetch-published")
@click.argument("site_url", metavar="URL")
@click.option("--out", type=click.Path(path_type=Path, file_okay=False), default="previous", show_default=True)
def fetch_published_command(site_url, out):
    """Fetch what the next build needs of the site published at URL (for `sitegen build --previous`):
    its coverage and region lists and every release of its download archive, checked by SHA-256.

    Exit codes: 0 fetched, or nothing published there yet (then no folder is made); 1 failed.
    """
    from .publish.fetch import FetchError, fetch_published  # lazy: only for this command

    try:
        fetched = fetch_published(site_url, out)
    except (FetchError, ValueError, KeyError, TypeError, OSError) as exc:
        raise BuildFailed(f"sitegen: could not fetch the published site: {exc}") from None
    if not fetched:
        click.echo(f"sitegen: nothing published at {site_url} yet")
    else:
        click.echo(f"sitegen: {len(fetched)} file(s) of {site_url} in {out}; build with --previous {out}")


@main.command("deploy")
@click.argument("site", type=click.Path(path_type=Path, file_okay=False), default="_site")
@click.option("--to", "target", metavar="s3://BUCKET/PREFIX", envvar="SITEGEN_DEPLOY_TO",
              help="The bucket and folder to publish to (s3://BUCKET/ for the bucket's root).")
@click.option("--endpoint-url", default=None, metavar="URL",
              help="The storage service's address, for R2, MinIO or GCS (default: AWS_ENDPOINT_URL, else AWS S3).")
@click.option("--region", default=None, help="The bucket's region (default: AWS_REGION or the AWS profile's).")
@click.option("--dry-run", is_flag=True, help="Print what would be uploaded and deleted, and change nothing.")
@click.option("--max-deletes", type=int, default=256, show_default=True,
              help="Stop before changing anything if more objects than this would be deleted; -1 for no limit.")
@click.option("--jobs", "-j", type=click.IntRange(min=1, max=128), default=16, show_default=True,
              help="Requests at once.")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=".sitegen-cache",
              show_default=True, envvar="SITEGEN_CACHE_DIR",
              help="Where sitegen remembers what it uploaded (saves reading each object's digest again).")
@click.option("--gzip", "compress", is_flag=True,
              help="Store pages, scripts, styles and API files gzip-compressed (Content-Encoding: gzip): a "
                   "quarter of the bytes to send and to serve; downloads in unduh/ stay as they are.")
@click.option("--verify", is_flag=True,
              help="List every object of the bucket instead of trusting the record of this machine's last "
                   "deploy there (after the bucket was changed by other means).")
@click.option("--check", "host", type=click.Choice(sorted(HOSTS)), default=None,
              help="Check the site against this host's limits (size, files, file size, files per folder); "
                   "alone, only check.")
def deploy_command(site, target, endpoint_url, region, dry_run, max_deletes, jobs, cache_dir, compress, verify, host):
    """Publish a built SITE (default _site) to object storage (S3, Cloudflare R2, Google Cloud Storage,
    MinIO), uploading only the files whose bytes changed and deleting objects the site no longer has.

    Credentials come from the usual AWS settings: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or
    AWS_PROFILE), AWS_REGION, AWS_ENDPOINT_URL.

    Exit codes: 0 published (or, with --check alone, the site fits the host), 1 failed (nothing
    half-done is left that the same command cannot finish) or over the host's limits, 2 usage error.
    """
    if host is None and target is None:
        raise click.UsageError("give the target with --to s3://BUCKET/PREFIX (or --check HOST to check limits)")
    if host is not None:
        check_host_limits(site, host)
    if target is not None:
        publish(site, target, endpoint_url, region, dry_run, max_deletes, jobs, cache_dir, compress, verify)


def check_host_limits(site: Path, host: str) -> None:
    from .publish.hosts import check_site_for_host  # lazy: only for `sitegen deploy --check`

    if not site.is_dir():
        raise BuildFailed(f"sitegen: {site} is not a folder: build the site first")
    problems, files, size = check_site_for_host(site, host)
    if problems:
        raise BuildFailed("\n".join(f"{site}: {problem}" for problem in problems) +
                          f"\nsitegen: {site} does not fit {HOSTS[host].name}; docs/deploy.md says which host fits")
    click.echo(f"sitegen: {site} ({files:,} files, {human_bytes(size)}) fits {HOSTS[host].name}")


def publish(site, target, endpoint_url, region, dry_run, max_deletes, jobs, cache_dir, compress, verify) -> None:
    from .publish.deploy import deploy, too_many_deletes  # lazy: boto3 only for `sitegen deploy`
    from .publish.s3 import DeployError, parse_target  # lazy: boto3 only for `sitegen deploy`

    for name in ("AWS_ENDPOINT_URL", "AWS_REGION", "AWS_PROFILE"):
        if os.environ.get(name) == "":  # (a workflow's unset variable arrives as an empty one)
            del os.environ[name]
    bar = None

    def show_plan(plan) -> None:
        nonlocal bar
        if dry_run:
            for file in plan.uploads:
                click.echo(f"upload {file.key} ({human_bytes(file.size)})")
            for key in plan.deletes:
                click.echo(f"delete {key}")
            if 0 <= max_deletes < len(plan.deletes):
                click.echo(f"warning: {too_many_deletes(plan, parsed, max_deletes)}", err=True)
        elif plan.uploads:
            bar = click.progressbar(length=plan.upload_bytes, label="uploading", file=sys.stderr,
                                    show_pos=False, show_percent=True, show_eta=True)
            bar.__enter__()

    try:
        parsed = parse_target(target)
        done = deploy(site, parsed, endpoint_url=endpoint_url, region=region, cache_dir=cache_dir,
                      dry_run=dry_run, max_deletes=max_deletes, jobs=jobs, gzip=compress, verify=verify,
                      on_plan=show_plan,
                      on_uploaded=lambda file: bar.update(file.size) if bar else None)
    except DeployError as exc:
        raise BuildFailed(f"sitegen: {exc}")
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    plan = done.plan
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in done.steps.items())
    looked = "the bucket listed" if done.listed else "the bucket as recorded by the last deploy"
    planned = (f"planned in {done.planning_seconds:.1f} s: {steps}; {looked}, {done.heads:,} digest(s) read "
               f"from it")
    if done.dry_run:
        click.echo(f"sitegen: dry run, nothing changed: {site} to {parsed} would upload {len(plan.uploads):,} "
                   f"file(s) ({human_bytes(plan.upload_bytes)}) and delete {len(plan.deletes):,}; "
                   f"{plan.unchanged:,} unchanged ({planned})")
    else:
        click.echo(f"sitegen: {site} to {parsed}: uploaded {len(plan.uploads):,} file(s) "
                   f"({human_bytes(plan.upload_bytes)}, {human_bytes(done.sent)} sent), deleted {len(plan.deletes):,}, "
                   f"{plan.unchanged:,} unchanged ({planned}; done in {done.seconds:.1f} s)")


def human_bytes(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1000
    return f"{size:,.1f} GB"


@main.group("new")
def new_group():
    """Create new content files."""


@new_group.command("news")
@click.argument("title")
@click.option("--content", type=click.Path(path_type=Path, file_okay=False), default="content", show_default=True)
def new_news_command(title, content):
    """Create content/news/<today>-<slug>.md for TITLE, with its front matter filled in, and print its path.

    Exit codes: 0 created, 1 a file of that name exists, 2 usage error.
    """
    from .inputs.articles import scaffold_article  # lazy: markdown and nh3 only for `sitegen new`

    try:
        path = scaffold_article(content, title, datetime.date.today())
    except FileExistsError as exc:
        raise BuildFailed(f"sitegen: {exc.args[0]} already exists; choose another title")
    click.echo(path)


@new_group.command("data-template")
@click.option("--data", type=click.Path(path_type=Path, file_okay=False), default="data", show_default=True,
              help="Folder with site.yaml, regions.csv, segments.yaml, sources.yaml.")
@click.option("--period", help="The month to fill in, YYYY-MM (default: the month of as_of in site.yaml).")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default="template-cakupan.xlsx",
              show_default=True, help="The workbook to write.")
def new_data_template_command(data, period, out):
    """Write an Excel workbook to fill in one month of coverage data for the site's own villages:
    codes and names filled in, segment and source chosen from drop-down lists, and a sheet that
    explains each column (in Bahasa Indonesia). Saved as data/coverage.xlsx, it builds as it is.

    Exit codes: 0 written, 1 invalid site data or a file of that name exists, 2 usage error.
    """
    from .inputs.config import load_site_config  # lazy: only for `sitegen new`
    from .inputs.data import HEADLINE_GROUPS, load_regions, load_segments, load_sources  # lazy: only for `sitegen new`
    from .inputs.spreadsheets import write_data_template  # lazy: openpyxl only for `sitegen new data-template`

    if period is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise click.BadParameter(f"{period!r} is not a month such as 2025-04", param_hint="--period")
    if out.exists():
        raise BuildFailed(f"sitegen: {out} already exists; choose another --out")
    problems = Problems()
    config = load_site_config(data, problems)
    regions = load_regions(data, config.root_region if config else None, problems)
    segments, sources = load_segments(data, problems), load_sources(data, problems)
    if problems or not (config and regions and segments and sources):
        raise BuildFailed("\n".join(problems.report_lines()) + "\nsitegen: fix these before making a template")
    count = write_data_template(out, regions, segments, sources, period or config.as_of.strftime("%Y-%m"),
                                config.root_region, HEADLINE_GROUPS)
    click.echo(f"{out} ({count} rows to fill in)")


# A national build holds a million long-lived objects (regions, paths, tables): with Python's default
# thresholds the collector scans them again and again while pages are made (~0.3 s of an update,
# ~5% of a worker's time). Collections every 50,000 allocations instead of 700 find the same garbage.
GC_THRESHOLDS = (50_000, 20, 20)


def run(stage, options):
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        result = stage(options)
    except InputError as exc:
        for problem in exc.problems.warnings:
            click.echo(tr("warning: {problem}", problem=problem), err=True)
        report_to_github(exc.problems)
        lines = exc.problems.report_lines()
        raise BuildFailed("\n".join(lines) + "\n" + tr("sitegen: {count} error(s); nothing was written",
                                                        count=exc.problems.error_count()))
    except OutputError as exc:
        raise BuildFailed(f"sitegen: {exc}")
    for problem in result.warnings:
        click.echo(tr("warning: {problem}", problem=problem), err=True)
    report_to_github(Problems(warnings=list(result.warnings)))
    return result


def report_to_github(problems: Problems) -> None:
    """Under GitHub Actions: each problem also as an annotation on its line of the pull request, and
    all of them in the job summary."""
    if os.environ.get("GITHUB_ACTIONS") != "true" or not (problems.error_count() or problems.warnings):
        return
    for line in github_annotations(problems):
        click.echo(line)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as file:
            file.write(summary_table(problems))


def terminal_progress():
    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        click.echo(f"\r  pages {done}/{total}", nl=False, err=True)
        if end:
            click.echo("\r\033[K", nl=False, err=True)
    return show


def run_cli() -> None:
    """The `sitegen` program: the command, then Python's shutdown without its last step.

    Once the command is done, Python would free a national build's million objects one by one
    (~0.3 s of a 2 s update). Here the interpreter's own first shutdown steps run as usual (waiting
    for threads, e.g. cache writers, then the atexit handlers) and the process then ends at once.
    """

    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):
        click.echo(code, err=True)
        code = 1
    shutdown = getattr(threading, "_shutdown", None)  # what the interpreter itself calls first
    if shutdown is None:
        sys.exit(code)
    shutdown()
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    run_cli()
