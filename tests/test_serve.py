"""`sitegen serve`: serves the site, rebuilds on a change, shows a broken edit, stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import COVERAGE_CSV

CHROMIUM = Path(os.environ.get("SITEGEN_CHROMIUM", "/usr/bin/chromium"))
DESA = "desa/63-10-01-2005-segumbang/"
OLD_ROW = "2025-04,63.10.01.2005,perangkat_desa,9,12,src"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def live_problems(url: str) -> list[str]:
    """The problems of the server's last build, from the first message of its event stream."""
    with urllib.request.urlopen(url + "__sitegen__/events", timeout=5) as response:
        for line in response:
            if line.startswith(b"data: "):
                return json.loads(line[len(b"data: "):])["problems"]
    return []


def wait_for(condition, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.fixture
def served(make_site):
    root = make_site()
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sitegen.cli", "serve", "--port", str(port)], cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for(lambda: fetch(url))
        yield root, url, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def headline_covered(html: str) -> str:
    return html.split('<dd>', 1)[1].split('<', 1)[0]


def test_serve_rebuilds_on_change_and_keeps_the_last_good_site(served):
    root, url, process = served
    page = fetch(url + DESA)
    assert headline_covered(page) == "29"
    assert '<script src="/__sitegen__/reload.js">' in page
    assert "__sitegen__" not in (root / "_site" / DESA / "index.html").read_text(encoding="utf-8")

    coverage = root / "data" / "coverage.csv"
    coverage.write_text(COVERAGE_CSV.replace(OLD_ROW, "2025-04,63.10.01.2005,perangkat_desa,11,12,src"))
    wait_for(lambda: headline_covered(fetch(url + DESA)) == "31")

    coverage.write_text(COVERAGE_CSV.replace(OLD_ROW, "2025-04,63.10.01.2005,perangkat_desa,1x,12,src"))
    problems = wait_for(lambda: live_problems(url))
    assert any('data/coverage.csv:7: covered "1x" is not a whole number' in p for p in problems), problems
    assert headline_covered(fetch(url + DESA)) == "31"  # the last good site stays served

    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert 'data/coverage.csv:7: covered "1x" is not a whole number' in output
    assert "still serving the last good site" in output
    assert "sitegen: stopped" in output


@pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"), reason=f"no {CHROMIUM}")
def test_open_page_reloads_and_shows_a_broken_edit(served):
    from playwright.sync_api import expect, sync_playwright

    root, url, process = served
    coverage = root / "data" / "coverage.csv"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        page.goto(url + DESA)
        page.wait_for_timeout(300)  # the event stream connects
        coverage.write_text(COVERAGE_CSV.replace(OLD_ROW, "2025-04,63.10.01.2005,perangkat_desa,11,12,src"))
        expect(page.locator(".figures dd").first).to_have_text("31", timeout=15000)  # no eval: the CSP forbids it
        coverage.write_text(COVERAGE_CSV.replace(OLD_ROW, "2025-04,63.10.01.2005,perangkat_desa,1x,12,src"))
        overlay = page.wait_for_selector("#sitegen-error-overlay", timeout=15000)
        assert 'data/coverage.csv:7: covered "1x" is not a whole number' in overlay.inner_text()
        browser.close()
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=10)
    assert "page reloaded" in output and process.returncode == 0
