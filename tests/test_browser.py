"""The built site in a real browser: Playwright driving Debian's Chromium.

Every chart must draw (an SVG inside its container), no console error, and no
request may leave the local server.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("SITEGEN_CHROMIUM", "/usr/bin/chromium"))  # GitHub's runners: google-chrome
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is required in CI: apt-get install -y chromium (or set SITEGEN_CHROMIUM)")
    pytest.skip(f"no {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(bundled_site):
    """Serve the site under a sub-path, as a project page would be: http://127.0.0.1:PORT/jamsostek/."""
    root = bundled_site.parent / "webroot"
    root.mkdir(exist_ok=True)
    link = root / "jamsostek"
    if not link.exists():
        link.symlink_to(bundled_site, target_is_directory=True)
    handler = functools.partial(QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/jamsostek/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def first(folder: Path) -> str:
    return sorted(p.name for p in folder.iterdir())[0]


@pytest.mark.parametrize("page_kind", ["home", "kecamatan", "desa"])
def test_charts_draw_without_errors_or_foreign_requests(browser, server, bundled_site, page_kind):
    path = {"home": "", "kecamatan": f"kecamatan/{first(bundled_site / 'kecamatan')}/",
            "desa": f"desa/{first(bundled_site / 'desa')}/"}[page_kind]
    page = browser.new_page(viewport={"width": 360, "height": 740})
    errors, foreign = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(server) else foreign.append(r.url))
    page.goto(server + path)
    charts = page.locator("[data-chart]")
    assert charts.count() >= 1
    for i in range(charts.count()):
        charts.nth(i).scroll_into_view_if_needed()
        charts.nth(i).locator("svg").first.wait_for(state="attached", timeout=15000)
    drawn = page.evaluate("Array.from(document.querySelectorAll('[data-chart]')).map(e => e.dataset.drawn)")
    assert drawn == ["true"] * charts.count()
    assert not errors, errors
    assert not foreign, foreign
    page.close()


def test_map_areas_are_drawn_and_open_their_page(browser, server, bundled_site):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    chart = page.locator("#chart-map")
    chart.scroll_into_view_if_needed()
    chart.locator("svg").first.wait_for(state="attached", timeout=15000)
    areas = chart.locator("svg path[aria-roledescription='geoshape']")
    assert areas.count() == len(list((bundled_site / "kecamatan").iterdir())) == 12
    areas.first.click()
    page.wait_for_url("**/jamsostek/kecamatan/**", timeout=10000)
    assert page.locator("h1").inner_text().startswith("Kecamatan")
    assert not errors, errors
    page.close()


@pytest.mark.parametrize("path", ["berita/", "berita/optimalisasi-jaminan-sosial-ekosistem-desa/"])
def test_news_pages_render_without_errors(browser, server, path):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    errors, foreign = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(server) else foreign.append(r.url))
    response = page.goto(server + path)
    assert response.ok
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").count() == 1
    assert not errors and not foreign, (errors, foreign)
    page.close()


def test_language_switch_opens_the_same_page_in_the_other_language(browser, server, bundled_site):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    village = f"desa/{first(bundled_site / 'desa')}/"
    page.goto(server + village)
    assert page.locator("html").get_attribute("lang") == "id"
    title = page.locator("h1").inner_text()
    page.locator(".language-switch a[hreflang=en]").click()
    page.wait_for_url(server + "en/" + village)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == title  # the same village
    assert page.locator("#headline-heading").inner_text().startswith("Summary")
    page.locator(".language-switch a[hreflang=id]").click()
    page.wait_for_url(server + village)
    page.close()


def test_search_finds_a_kecamatan_and_its_villages_and_opens_the_page(browser, server, bundled_site):
    page = browser.new_page(viewport={"width": 360, "height": 740})
    errors, foreign = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(server) else foreign.append(r.url))
    page.goto(server)
    page.locator("header input[name=q]").fill("Simpang Empat")
    page.locator("header input[name=q]").press("Enter")
    page.wait_for_url("**/cari/?q=Simpang+Empat")
    results = page.locator("#search-results li")
    results.first.wait_for(timeout=10000)
    texts = results.all_inner_texts()
    villages = len(list((bundled_site / "desa").glob("63-10-06-*")))  # Simpang Empat is 63.10.06
    assert texts[0].startswith("Kecamatan Simpang Empat")
    assert len(texts) >= 1 + min(villages, 19), texts
    results.first.locator("a").click()
    page.wait_for_url("**/kecamatan/63-10-06-simpang-empat/")
    assert page.locator("h1").inner_text() == "Kecamatan Simpang Empat"
    page.goto(server + "en/cari/?q=batu%20licin")
    page.locator("#search-results li").first.wait_for(timeout=10000)
    assert "Batu Licin" in page.locator("#search-results li").first.inner_text()
    assert not errors and not foreign, (errors, foreign)
    page.close()


def test_page_is_complete_before_any_chart_is_drawn(browser, server):
    """Without scrolling, the Vega bundle is not fetched and the data tables are visible."""
    page = browser.new_page(viewport={"width": 360, "height": 740})
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server)
    page.wait_for_load_state("networkidle")
    assert not [u for u in requests if "/assets/vega." in u]
    assert page.locator("details.chart-data table").first.is_visible()
    page.close()


@pytest.mark.parametrize("width", [320, 360])
@pytest.mark.parametrize("path", ["", "kecamatan/63-10-04-satui/", "desa/63-10-04-2006-jombang/", "unduh/",
                                  "metodologi/", "berita/", "cari/?q=simpang", "en/", "en/desa/63-10-04-2006-jombang/"])
def test_layout_fits_a_small_screen(browser, server, width, path):
    """Nothing but a table's own scroll area may be wider than the screen, charts drawn or not."""
    page = browser.new_page(viewport={"width": width, "height": 740})
    page.goto(server + path)
    for chart in page.locator("[data-chart]").all():
        chart.scroll_into_view_if_needed()
        chart.locator("svg").first.wait_for(state="attached", timeout=15000)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.close()


def test_a_village_page_prints_on_at_most_two_a4_sheets(browser, server, bundled_site):
    import re

    page = browser.new_page()
    page.goto(server + f"desa/{first(bundled_site / 'desa')}/")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", page.pdf(format="A4")))
    assert 1 <= pages <= 2, pages
    page.emulate_media(media="print")
    assert not page.locator("section.downloads").is_visible()  # links are no use on paper
    assert page.locator("details.chart-data table").first.is_visible()  # every chart's figures are
    page.close()


@pytest.mark.parametrize("language", ["", "en/"])
@pytest.mark.parametrize("page_kind", ["home", "kecamatan", "desa", "news", "article", "downloads", "methodology",
                                       "changes", "search", "404", "embed", "archive"])
def test_axe_finds_no_serious_accessibility_problem(browser, server, bundled_site, page_kind, language):
    from axe_playwright_python.sync_playwright import Axe

    if page_kind == "404" and language:
        pytest.skip("one 404 page serves the whole site")
    path = {"home": "", "kecamatan": f"kecamatan/{first(bundled_site / 'kecamatan')}/",
            "desa": f"desa/{first(bundled_site / 'desa')}/", "news": "berita/",
            "article": "berita/optimalisasi-jaminan-sosial-ekosistem-desa/", "downloads": "unduh/",
            "methodology": "metodologi/", "changes": "perubahan/", "search": "cari/?q=batu",
            "404": "404.html", "embed": f"kecamatan/{first(bundled_site / 'kecamatan')}/sematkan.html",
            "archive": "unduh/arsip/"}[page_kind]
    page = browser.new_page(viewport={"width": 360, "height": 740}, bypass_csp=True)  # axe is injected
    page.goto(server + language + path)
    if page_kind == "search":
        page.locator("#search-results li").first.wait_for(timeout=10000)
    for chart in page.locator("[data-chart]").all():  # check the drawn charts too
        chart.scroll_into_view_if_needed()
        chart.locator("svg").first.wait_for(state="attached", timeout=15000)
    violations = Axe().run(page).response["violations"]
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
               if v["impact"] in ("serious", "critical")]
    assert not serious, serious
    page.close()
