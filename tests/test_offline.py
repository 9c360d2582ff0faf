"""Offline reading in Chromium: a page visited once opens again without a network, with its charts,
and says it is a saved copy; under a sub-path; the site without JavaScript is unchanged."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path

import pytest


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def end_headers(self):
        # As a host's short cache lifetime runs out: the browser must ask again (Python's server sends
        # none, and Chromium would keep a page fresh for a while by its Last-Modified date).
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()


class SubPathSite:
    """The built site served at http://127.0.0.1:PORT/jamsostek/, until stop()."""

    def __init__(self, site: Path, webroot: Path):
        webroot.mkdir(exist_ok=True)
        link = webroot / "jamsostek"
        if not link.exists():
            link.symlink_to(site, target_is_directory=True)
        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(webroot)))
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jamsostek/"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def first(folder: Path) -> str:
    return sorted(p.name for p in folder.iterdir() if p.is_dir())[0]


def draw_charts(page) -> int:
    charts = page.locator("[data-chart]")
    for i in range(charts.count()):
        charts.nth(i).scroll_into_view_if_needed()
        charts.nth(i).locator("svg").first.wait_for(state="attached", timeout=15000)
    return charts.count()


def test_a_visited_desa_page_opens_offline_with_its_chart(bundled_site, chromium, tmp_path):
    site = SubPathSite(bundled_site, tmp_path / "webroot")
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        desa = f"desa/{first(bundled_site / 'desa')}/"
        page.goto(site.url + desa)
        heading = page.locator("h1").inner_text()
        assert page.locator("#saved-copy").is_hidden()  # online: no notice
        page.locator("html[data-offline-ready]").wait_for(state="attached", timeout=15000)
        charts = draw_charts(page)
        assert charts >= 1
        # The worker is the sub-path's, and kept the page and the Vega bundle it drew with.
        scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
        assert scope == site.url
        vega = page.evaluate("Array.from(document.scripts).map(s => s.src).find(s => s.includes('/assets/vega.'))")
        page.wait_for_function("url => caches.match(url).then(Boolean)", arg=vega, timeout=15000)

        site.stop()
        context.set_offline(True)
        page.reload()
        assert page.locator("h1").inner_text() == heading
        note = page.locator("#saved-copy")
        note.wait_for(state="visible", timeout=10000)
        assert "salinan halaman yang tersimpan" in note.inner_text()
        saved = note.locator("time").get_attribute("datetime")
        assert saved and saved.startswith("20")  # an ISO time, shown in the page's language
        assert draw_charts(page) == charts

        again = context.new_page()  # opened again, in a new tab
        again.goto(site.url + desa)
        assert again.locator("h1").inner_text() == heading
        again.locator("#saved-copy").wait_for(state="visible", timeout=10000)
        # A page never visited is not there.
        other = sorted(p.name for p in (bundled_site / "desa").iterdir())[-1]
        with pytest.raises(Exception):
            again.goto(site.url + f"desa/{other}/")
        assert not errors, errors
    finally:
        context.close()
        site.httpd.server_close()


def test_the_site_without_javascript_registers_nothing_and_shows_no_notice(bundled_site, chromium, tmp_path):
    site = SubPathSite(bundled_site, tmp_path / "webroot")
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site.url)
        assert page.locator("#saved-copy").is_hidden()
        assert page.locator("h1").count() == 1
        assert context.service_workers == []
    finally:
        context.close()
        site.stop()


def test_manifest_and_worker_are_relative_to_the_site(bundled_site):
    manifest = json.loads((bundled_site / "manifest.webmanifest").read_text(encoding="utf-8"))
    assert manifest["start_url"] == "./" and manifest["scope"] == "./"
    assert all(not icon["src"].startswith(("/", "http")) for icon in manifest["icons"])
    worker = (bundled_site / "sw.js").read_text(encoding="utf-8")
    assert "{{" not in worker
    precache = json.loads(worker.split("var PRECACHE = ", 1)[1].split(";", 1)[0])
    assert precache and all((bundled_site / path).is_file() for path in precache)
