#!/usr/bin/env python3
"""Lighthouse scores of a built site, on a phone (Lighthouse's default mobile profile).

    sitegen build --out _site            # or any folder, e.g. --out /tmp/lh_site
    python bench/lighthouse.py [SITE_DIR] [--page home --page desa --page kecamatan ...] [--runs 3]

Serves SITE_DIR over http on 127.0.0.1 under a sub-path (/jamsostek/ by default: the site
must work from any base path), the way a static host would (gzip, a short Cache-Control,
404.html for missing pages), and runs the `lighthouse` npm package pinned in
bench/package.json (installed into bench/node_modules/ with `npm ci` when missing) in
Debian's Chromium (CHROME_PATH, default /usr/bin/chromium) on the home page and on the first
desa page: mobile form factor with simulated throttling (slow 4G, 4x CPU slowdown), the four
categories performance, accessibility, best-practices and SEO, --runs times per page.

Prints a table of the scores (0-100) of each page's median run (by performance, which
follows the machine's load; the range over the runs in brackets), with the bytes
transferred (Lighthouse's `total-byte-weight` audit) and the CPU index Lighthouse measured
(benchmarkIndex), then the audits that cost points (score < 1) in every category under the
threshold, and exits 1 when any score is under it (95, the public-view issue's target;
--min changes it). Each run's JSON and HTML reports are kept in
bench/out/lighthouse/ (--reports). This is a report for people and CI, not a unit test.
Exit codes: 0 every score >= --min, 1 a score under it (or a run that failed), 2 usage
error (no built site, no npm, no Chromium).
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import json
import mimetypes
import os
import posixpath
import shutil
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

BENCH = Path(__file__).resolve().parent
LIGHTHOUSE = BENCH / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-background-networking"
TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".json": "application/json",
    ".csv": "text/csv; charset=utf-8", ".svg": "image/svg+xml", ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8", ".md": "text/markdown; charset=utf-8",
    ".atom": "application/atom+xml", ".webmanifest": "application/manifest+json",
}
COMPRESSIBLE = ("text/", "application/json", "application/xml", "application/atom+xml",
                "image/svg+xml", "application/manifest+json")


# --- a static host on 127.0.0.1 ------------------------------------------------------------

def make_handler(root: Path, base: str):
    """A request handler serving `root` at `base` (e.g. "/jamsostek/") like a static host:
    index.html for folders (with a redirect to the trailing slash), gzip when the client
    accepts it, Cache-Control: max-age=600 (GitHub Pages' value), and root/404.html with
    status 404 for anything missing."""
    root = root.resolve()
    cache: dict[Path, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "lighthouse-bench"

        def log_message(self, fmt, *args):  # quiet
            pass

        def do_HEAD(self):
            self.respond(head=True)

        def do_GET(self):
            self.respond(head=False)

        def resolve(self) -> tuple[Path | None, str | None]:
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            if path + "/" == base:
                return None, base
            if not path.startswith(base):
                return None, None
            rel = posixpath.normpath(path[len(base):] or ".")
            if rel.startswith(".."):
                return None, None
            target = (root / rel).resolve()
            if not target.is_relative_to(root):
                return None, None
            if target.is_dir():
                if not path.endswith("/"):
                    return None, path + "/"
                target = target / "index.html"
            return (target if target.is_file() else None), None

        def respond(self, head: bool) -> None:
            target, redirect = self.resolve()
            if redirect:
                self.send_response(301)
                self.send_header("Location", redirect)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 200
            if target is None:
                status, target = 404, root / "404.html"
            if target.is_file():
                body = target.read_bytes()
                ctype = TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0] \
                    or "application/octet-stream"
            else:
                body, ctype = b"not found\n", "text/plain; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Cache-Control", "max-age=600")
            if ctype.startswith(COMPRESSIBLE):
                self.send_header("Vary", "Accept-Encoding")
                if "gzip" in self.headers.get("Accept-Encoding", ""):
                    if target not in cache:
                        cache[target] = gzip.compress(body, compresslevel=6, mtime=0)
                    body = cache[target]
                    self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

    return Handler


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


# --- running Lighthouse ------------------------------------------------------------------

def ensure_lighthouse() -> None:
    if LIGHTHOUSE.exists():
        return
    npm = shutil.which("npm")
    if not npm:
        sys.exit("lighthouse.py: npm is not installed (Node 18.16 or later is needed for Lighthouse)")
    lock = BENCH / "package-lock.json"
    command = [npm, "ci" if lock.exists() else "install", "--no-audit", "--no-fund"]
    print(f"installing Lighthouse in {BENCH}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
    result = subprocess.run(command, cwd=BENCH, check=False)
    if result.returncode != 0 or not LIGHTHOUSE.exists():
        sys.exit(f"lighthouse.py: `npm {command[1]}` in {BENCH} failed")


def find_page(site: Path, name: str) -> str:
    """`home`, `desa` or `kecamatan` (the first folder, by name), or a path inside the site."""
    if name == "home":
        return ""
    if name in ("desa", "kecamatan"):
        folders = sorted(p for p in (site / name).glob("*/index.html"))
        if not folders:
            sys.exit(f"lighthouse.py: {site / name} has no page: is {site} a sitegen site?")
        return f"{name}/{folders[0].parent.name}/"
    path = name.strip("/")
    if not ((site / path).is_file() or (site / path / "index.html").is_file()):
        sys.exit(f"lighthouse.py: no page {name!r} in {site}")
    return path + ("/" if (site / path).is_dir() else "")


def run_lighthouse(url: str, report_stem: Path, env: dict) -> tuple[dict | None, str]:
    command = [
        str(LIGHTHOUSE), url,
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json", "--output=html", f"--output-path={report_stem}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--no-enable-error-reporting",  # no prompt, no error reports sent out
        "--quiet",
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    report = report_stem.with_name(report_stem.name + ".report.json")
    if result.returncode != 0 or not report.exists():
        output = (result.stderr or result.stdout).strip()[-2000:]
        return None, f"exit code {result.returncode}, no {report.name}" + (f":\n{output}" if output else "")
    return json.loads(report.read_text(encoding="utf-8")), ""


def score(lhr: dict, category: str) -> int | None:
    value = lhr["categories"].get(category, {}).get("score")
    return None if value is None else round(value * 100)


def failing_audits(lhr: dict, category: str) -> list[tuple[float, str, str, str]]:
    """(weight, audit id, title, shown value) of the audits of `category` scored under 1."""
    rows = []
    for ref in lhr["categories"][category]["auditRefs"]:
        audit = lhr["audits"][ref["id"]]
        if audit.get("score") is None or audit["score"] >= 1:
            continue
        if audit.get("scoreDisplayMode") in ("notApplicable", "manual", "informative"):
            continue
        shown = audit.get("displayValue") or f"score {audit['score']:.2f}"
        rows.append((ref.get("weight", 0), ref["id"], audit["title"], shown))
    return sorted(rows, key=lambda r: -r[0])


def median_run(runs: list[dict]) -> dict:
    """The run with the median performance score (Lighthouse's advice: judge the median of
    several runs, since the simulated timings follow the machine's load)."""
    ranked = sorted(runs, key=lambda lhr: (score(lhr, "performance") or 0,
                                           lhr["audits"].get("interactive", {}).get("numericValue") or 0))
    return ranked[(len(ranked) - 1) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", nargs="?", default="_site", help="a built site (default: _site)")
    parser.add_argument("--page", action="append", dest="pages", metavar="PAGE",
                        help="home, desa, kecamatan (the first one) or a path in the site; "
                             "repeatable (default: home and desa)")
    parser.add_argument("--runs", type=int, default=3,
                        help="Lighthouse runs per page; the median run counts (default 3)")
    parser.add_argument("--base", default="/jamsostek/", help="sub-path to serve the site under")
    parser.add_argument("--min", type=int, default=95, help="lowest acceptable score (default 95)")
    parser.add_argument("--reports", default=str(BENCH / "out" / "lighthouse"),
                        help="folder for the JSON and HTML reports (default bench/out/lighthouse)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    started = time.monotonic()
    site = Path(args.site)
    if not (site / "index.html").is_file():
        print(f"lighthouse.py: {site} is not a built site (no index.html). Build it first:\n"
              f"    sitegen build --out {site}", file=sys.stderr)
        return 2
    base = "/" + args.base.strip("/") + "/" if args.base.strip("/") else "/"
    env = dict(os.environ)
    env.setdefault("CHROME_PATH", "/usr/bin/chromium")
    if not Path(env["CHROME_PATH"]).exists():
        print(f"lighthouse.py: no Chromium at {env['CHROME_PATH']} (set CHROME_PATH, or "
              "apt-get install -y chromium)", file=sys.stderr)
        return 2
    pages = [(name, find_page(site, name)) for name in (args.pages or ["home", "desa"])]
    ensure_lighthouse()
    reports = Path(args.reports)
    reports.mkdir(parents=True, exist_ok=True)

    server = Server(("127.0.0.1", 0), make_handler(site, base))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    load = os.getloadavg()[0]
    results = []
    try:
        for name, path in pages:
            url = origin + base + path
            stem = path.strip("/").replace("/", "_").replace(".", "_") or "home"
            runs, errors, t0 = [], [], time.monotonic()
            for run in range(1, args.runs + 1):
                print(f"lighthouse: {url} (run {run} of {args.runs})", file=sys.stderr, flush=True)
                lhr, error = run_lighthouse(url, reports / f"{stem}-run{run}", env)
                if lhr is None:
                    errors.append(error)
                else:
                    runs.append(lhr)
            results.append((path, runs, errors, (time.monotonic() - t0) / args.runs, stem))
    finally:
        server.shutdown()
        server.server_close()

    version = next((r[1][0]["lighthouseVersion"] for r in results if r[1]), "?")
    print(f"\nLighthouse {version}, mobile (simulated slow 4G, 4x CPU slowdown), {origin}{base}, "
          f"median of {args.runs} run(s) per page")
    width = max([30] + [len(path) + 3 for path, *_ in results])
    header = (f"{'page':{width}s}" + "".join(f"{c:>15s}" for c in CATEGORIES)
              + f"{'transferred':>13s}{'CPU index':>10s}{'s/run':>7s}")
    print(header)
    print("-" * len(header))
    failed = False
    details = []
    for path, runs, errors, seconds, stem in results:
        label = "/" + path if path else "/ (home)"
        for error in errors:
            failed = True
            details.append(f"\n{label}: a Lighthouse run failed: {error}")
        if not runs:
            print(f"{label:{width}s}  Lighthouse failed")
            continue
        lhr = median_run(runs)
        median = runs.index(lhr) + 1
        cells = ""
        for category in CATEGORIES:
            value = score(lhr, category)
            spread = sorted(score(r, category) or 0 for r in runs)
            shown = "error" if value is None else str(value)
            if len(runs) > 1 and spread[0] != spread[-1]:
                shown = f"{shown} ({spread[0]}-{spread[-1]})"
            cells += f"{shown:>15s}"
            if value is None or value < args.min:
                failed = True
                rows = failing_audits(lhr, category)
                details.append(f"\n{label} {category}: {value} (< {args.min}), in {stem}-run{median}.report.html:")
                details += [f"  weight {w:>2g}  {aid}: {title} ({shown})" for w, aid, title, shown in rows]
                if not rows:
                    details.append("  (no audit scored under 1; see the report)")
        weight = lhr["audits"].get("total-byte-weight", {}).get("numericValue")
        weight_text = "?" if weight is None else f"{weight / 1024:.1f} KB"
        bench = lhr.get("environment", {}).get("benchmarkIndex")
        print(f"{label:{width}s}{cells}{weight_text:>13s}{bench or 0:>10.0f}{seconds:>7.0f}")
        if lhr.get("runtimeError"):
            failed = True
            details.append(f"\n{label}: runtime error {lhr['runtimeError']}")
        for warning in lhr.get("runWarnings", []):
            details.append(f"\n{label}: warning: {warning}")
    for line in details:
        print(line)
    cores = os.cpu_count() or 1
    if load > cores / 2:
        print(f"\nnote: the load average was {load:.1f} on {cores} core(s) before the runs: other work "
              "slows Lighthouse's simulated timings (performance) down; its CPU index (benchmarkIndex, "
              "measured in each run) shows by how much")
    print(f"\nreports: {reports}/<page>-run<N>.report.html and .report.json")
    print(f"{'FAIL' if failed else 'ok'}: every score must be >= {args.min}; "
          f"{len(results)} page(s) in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
