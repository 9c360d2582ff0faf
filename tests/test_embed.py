"""Embeds: the iframe code a region page offers, pasted into a page of another origin, shows the
region's card (or one chart) in Chromium, fits its height, and works without JavaScript."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

BASE_URL = "https://example.org/jamsostek-tanah-bumbu/"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder: Path) -> http.server.ThreadingHTTPServer:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


@pytest.fixture(scope="module")
def two_origins(bundled_site, tmp_path_factory):
    """The site at http://127.0.0.1:A/jamsostek/, and another site at http://127.0.0.1:B/."""
    webroot = tmp_path_factory.mktemp("webroot")
    (webroot / "jamsostek").symlink_to(bundled_site, target_is_directory=True)
    site, other = serve(webroot), serve(tmp_path_factory.mktemp("other"))
    yield f"http://127.0.0.1:{site.server_address[1]}/jamsostek/", other
    site.shutdown()
    other.shutdown()


def codes(page: Path) -> dict[str, str]:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return {area["id"].removeprefix("embed-"): area.get_text() for area in soup.select(".embed-codes textarea")}


def host_page(other, name: str, body: str) -> str:
    folder = Path(other.RequestHandlerClass.keywords["directory"])
    (folder / name).write_text(f"<!doctype html><html lang=en><title>Portal desa</title><link rel=icon href=\"data:,\"><body><h1>Portal</h1>"
                               f"{body}</body></html>", encoding="utf-8")
    return f"http://127.0.0.1:{other.server_address[1]}/{name}"


DESA = "desa/63-10-01-2005-segumbang/"


def test_the_card_renders_in_an_iframe_on_another_origin_and_fits_its_height(bundled_site, chromium, two_origins):
    site_url, other = two_origins
    code = codes(bundled_site / DESA / "index.html")["kartu"].replace(BASE_URL, site_url)
    assert code.startswith(f'<iframe src="{site_url}{DESA}sematkan.html"')
    url = host_page(other, "kartu.html", code)
    assert not url.startswith(site_url[:len("http://127.0.0.1:") + 5])  # another port: another origin
    page = chromium.new_page(viewport={"width": 400, "height": 800})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    frame = page.frame_locator("iframe")
    assert frame.locator("h1").inner_text() == "Desa Segumbang"
    assert "Angka ilustratif" in frame.locator(".notice").first.inner_text()
    assert "Data April 2025" in frame.locator(".embed-footer").inner_text()
    # The page told its height; the iframe took it (it started at 560 px).
    page.wait_for_function("document.querySelector('iframe').style.height !== ''", timeout=15000)
    height = page.evaluate("document.querySelector('iframe').getBoundingClientRect().height")
    inner = page.frames[1].evaluate("document.documentElement.getBoundingClientRect().height")
    assert abs(height - inner) <= 2 and height != 560
    # Links leave the iframe for the site's own page.
    assert frame.locator("h1 a").get_attribute("href") == "./"
    assert page.frames[1].evaluate("document.querySelector('base').target") == "_top"
    assert not errors, errors
    page.close()


def test_one_chart_alone_is_drawn_in_its_iframe(bundled_site, chromium, two_origins):
    site_url, other = two_origins
    chart_codes = codes(bundled_site / "kecamatan/63-10-01-batu-licin/index.html")
    chart_id, code = next((key, value) for key, value in chart_codes.items() if key != "kartu")
    url = host_page(other, "grafik.html", code.replace(BASE_URL, site_url))
    page = chromium.new_page(viewport={"width": 400, "height": 900})
    page.goto(url)
    frame = page.frame_locator("iframe")
    frame.locator(f"#{chart_id} svg").first.wait_for(state="attached", timeout=15000)
    assert frame.locator(f"#{chart_id}-embed").is_visible()
    assert frame.locator("#kartu-embed").is_hidden()  # the card is not part of a chart's embed
    assert "Angka ilustratif" in frame.locator(f"#{chart_id}-embed .notice").inner_text()
    page.close()


def test_without_javascript_the_embed_shows_its_tables(bundled_site, chromium, two_origins):
    site_url, other = two_origins
    url = host_page(other, "tanpa-js.html",
                    codes(bundled_site / DESA / "index.html")["kartu"].replace(BASE_URL, site_url))
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(url)
    frame = page.frame_locator("iframe")
    assert frame.locator("h1").inner_text() == "Desa Segumbang"
    assert frame.locator(".headline .figures").is_visible()
    assert frame.locator("details.chart-data table").first.is_visible()
    context.close()


def test_region_pages_offer_codes_in_both_languages_with_a_copy_button(bundled_site, chromium, two_origins):
    site_url, _ = two_origins
    english = codes(bundled_site / "en" / DESA / "index.html")
    assert english["kartu"].startswith(f'<iframe src="{BASE_URL}en/{DESA}sematkan.html"')
    assert (bundled_site / "en" / DESA / "sematkan.html").is_file()
    page = chromium.new_page()
    page.goto(site_url + DESA)
    button = page.locator('button[data-copy="embed-kartu"]')
    assert button.is_visible()  # hidden without JavaScript, where it could not copy
    page.close()


def test_codes_name_the_address_the_page_is_served_from(bundled_site, chromium, two_origins):
    """The bundled site is built for example.org; served elsewhere, its codes name where it is."""
    site_url, _ = two_origins
    page = chromium.new_page()
    page.goto(site_url + "kecamatan/63-10-01-batu-licin/")
    shown = page.eval_on_selector_all(".embed-codes textarea", "areas => areas.map(a => [a.id, a.value])")
    built = codes(bundled_site / "kecamatan/63-10-01-batu-licin/index.html")
    assert len(shown) == len(built) > 1
    for area_id, value in shown:
        expected = built[area_id.removeprefix("embed-")].replace(BASE_URL, site_url)
        assert BASE_URL in built[area_id.removeprefix("embed-")] and value == expected
    assert shown[1][1].startswith(f'<iframe src="{site_url}kecamatan/63-10-01-batu-licin/sematkan.html#')
    page.close()
