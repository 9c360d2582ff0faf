"""The news editor at /admin/: Decap CMS configured from the news contract, and an article written
through it like a person would, in Chromium, against the CMS's own local backend (decap-server on
127.0.0.1, writing into a scratch site), then checked and built."""

from __future__ import annotations

import datetime as dt
import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import SITE_YAML
from sitegen.inputs.articles import NEWS_KEYS
from sitegen.pages.admin import ARTICLE_FIELDS

CMS_TOOLS = Path(__file__).parent / "cms"
CHROMIUM = Path(os.environ.get("SITEGEN_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_editor_asks_for_exactly_what_an_article_has():
    """The CMS form and the news contract (inputs/articles.py: NEWS_KEYS) name the same fields."""
    assert {field["name"] for field in ARTICLE_FIELDS} == NEWS_KEYS | {"body"}
    assert all(field["label"] for field in ARTICLE_FIELDS)


def test_the_admin_page_is_published_with_its_configuration(make_site, run_cli):
    root = make_site({"data/site.yaml": SITE_YAML + "admin:\n  repo: dinas/jamsostek\n  auth_url: https://oauth.example.org\n"})
    result = run_cli("build")
    assert result.exit_code == 0, result.output
    admin = root / "_site" / "admin"
    config = json.loads((admin / "config.json").read_text(encoding="utf-8"))
    assert config["backend"] == {**config["backend"], "name": "github", "repo": "dinas/jamsostek", "branch": "main",
                                 "base_url": "https://oauth.example.org"}
    news = config["collections"][0]
    title = next(field for field in news["fields"] if field["name"] == "title")
    assert title["pattern"][0] == "^[^_~]*$"  # Decap's {{slug}} keeps _ and ~, which file names may not hold
    assert news["folder"] == "content/news" and news["slug"] == "{{fields.date}}-{{slug}}"
    regions = json.loads((admin / "wilayah.json").read_text(encoding="utf-8"))
    assert ["63.10.01.2005", "Segumbang (63.10.01.2005) — Batu Licin"] in regions
    page = (admin / "index.html").read_text(encoding="utf-8")
    for script in ("admin-setup.js", "decap-cms.js", "decap-locale-id.js", "admin-start.js"):
        assert f'<script src="{script}"></script>' in page and (admin / script).is_file()
    assert "http://127.0.0.1:8081" in page  # the CSP lets the local backend in
    assert not list((root / "_site").glob("**/admin/**/*.map"))


def test_no_admin_page_unless_the_site_asks_for_one(make_site, run_cli):
    root = make_site({})
    assert run_cli("build").exit_code == 0
    assert not (root / "_site" / "admin").exists()


def test_a_bad_admin_setting_is_reported(make_site, run_cli):
    make_site({"data/site.yaml": SITE_YAML + "admin:\n  repo: not a repo\n  local_port: 99999\n  colour: red\n"})
    result = run_cli("check")
    assert result.exit_code == 1
    assert "admin.repo 'not a repo' must be owner/name on GitHub" in result.stderr
    assert "admin.local_port 99999 must be a port number" in result.stderr
    assert "unknown key 'admin.colour'" in result.stderr


# --- an article written in the browser ------------------------------------------------------

def decap_server_script() -> Path:
    """decap-server from the npm registry (tests/cms/package.json), installed on first use."""
    script = CMS_TOOLS / "node_modules" / "decap-server" / "dist" / "index.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            if os.environ.get("CI"):
                raise RuntimeError("Node.js and npm are required in CI for the editor test")
            pytest.skip("no npm: the editor test needs Node.js (decap-server)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=CMS_TOOLS, check=True, capture_output=True)
    return script


@pytest.fixture
def editing(make_site, run_cli):
    """A scratch site built with its editor, served on 127.0.0.1, and decap-server editing its files."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            raise RuntimeError("Chromium is required in CI")
        pytest.skip(f"no {CHROMIUM}")
    script = decap_server_script()
    port = free_port()
    root = make_site({"data/site.yaml": SITE_YAML + f"admin:\n  local_port: {port}\n"})
    assert run_cli("build").exit_code == 0
    server = subprocess.Popen(["node", str(script)], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              env={**os.environ, "PORT": str(port), "BIND_HOST": "127.0.0.1", "MODE": "fs",
                                   "GIT_REPO_DIRECTORY": str(root), "LOG_LEVEL": "error"})
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root / "_site"))
    handler.log_message = lambda *args: None
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1", method="POST",
                                                 data=b'{"action":"info","params":{}}',
                                                 headers={"Content-Type": "application/json"})
                urllib.request.urlopen(request, timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(f"decap-server did not start: {server.stdout.read1().decode()}") from None
                time.sleep(0.2)
        yield root, f"http://127.0.0.1:{site.server_address[1]}/admin/", port
    finally:
        site.shutdown()
        server.kill()
        server.wait()


def test_an_article_written_in_the_editor_is_published_where_it_belongs(editing, run_cli):
    from playwright.sync_api import expect, sync_playwright

    root, url, port = editing
    allowed = (url.split("/admin/")[0], f"http://127.0.0.1:{port}")
    foreign, errors = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(timezone_id="Asia/Makassar")  # WITA, as in Tanah Bumbu: the file keeps its date
        page.on("request", lambda request: None if request.url.startswith(allowed + ("data:", "blob:"))
                else foreign.append(request.url))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)
        page.get_by_role("button", name="Masuk").click()
        page.get_by_role("link", name="Buat entri Berita").click()
        page.get_by_label("Judul").fill("Kader posyandu Segumbang terlindungi")
        page.get_by_label("Ringkasan").fill("Semua kader posyandu Desa Segumbang kini terdaftar.")
        page.locator("[id^=places-field]").first.click()  # the place picker: type a name, pick it
        page.keyboard.type("Segumbang")
        page.keyboard.press("Enter")
        page.get_by_label("Tag").fill("kader-posyandu")
        page.locator("[data-slate-editor=true]").first.click()  # the body's Markdown editor
        page.keyboard.type("Desa Segumbang mendaftarkan seluruh kader posyandunya.")
        page.get_by_role("button", name="Terbitkan").click()
        page.get_by_text("Terbitkan sekarang").click()
        expect(page.get_by_text("Entri tersimpan")).to_be_visible(timeout=15000)
        browser.close()
    assert foreign == []
    assert errors == []

    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()  # the date the editor saw
    written = sorted((root / "content" / "news").glob(f"{today}-*.md"))
    assert [p.name for p in written] == [f"{today}-kader-posyandu-segumbang-terlindungi.md"]
    text = written[0].read_text(encoding="utf-8")
    assert "63.10.01.2005" in text and "kader-posyandu" in text
    assert run_cli("check").exit_code == 0
    assert run_cli("build").exit_code == 0
    article = "berita/kader-posyandu-segumbang-terlindungi/"
    for region in ("desa/63-10-01-2005-segumbang", "kecamatan/63-10-01-batu-licin"):
        listed = (root / "_site" / region / "index.html").read_text(encoding="utf-8")
        assert "Kader posyandu Segumbang terlindungi" in listed and article in listed
