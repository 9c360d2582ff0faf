"""Shared fixtures: scratch sites made from a dict of files, and one full build of the bundled site."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sitegen.cli import main

REPO = Path(__file__).resolve().parent.parent

SITE_YAML = """\
title: {id: Situs Uji, en: Test Site}
base_url: https://example.org/uji/
root_region: "63.10"
as_of: 2025-04-30
target: {coverage_pct: 99.5, year: 2045, source: src}
"""

REGIONS_CSV = """\
code,name,level,parent_code,kind
63.10,Kabupaten Tanah Bumbu,kabupaten,63,kabupaten
63.10.01,Batu Licin,kecamatan,63.10,
63.10.01.1007,Batulicin,desa,63.10.01,kelurahan
63.10.01.2005,Segumbang,desa,63.10.01,desa
63.10.02,Kusan Hilir,kecamatan,63.10,
63.10.02.1001,Kota Pagatan,desa,63.10.02,kelurahan
"""

SEGMENTS_YAML = """\
segments:
  - id: perangkat_desa
    name: {id: Perangkat desa, en: Village officials}
    description: {id: Perangkat desa., en: Village officials.}
    group: ekosistem_desa
    programs: [JKK, JKM]
  - id: pekerja_rentan
    name: {id: Pekerja rentan, en: Vulnerable workers}
    description: {id: Pekerja rentan., en: Vulnerable workers.}
    group: pekerja_rentan
    programs: [JKK, JKM]
  - id: penerima_upah
    name: {id: Penerima upah, en: Wage earners}
    description: {id: Pekerja formal., en: Formal workers.}
    group: formal
    programs: [JKK, JKM, JHT, JP, JKP]
"""

SOURCES_YAML = """\
sources:
  - id: src
    publisher: Test
    title: Test data
    date: 2025-04-30
    url: https://example.org/
    illustrative: true
"""

COVERAGE_CSV = """\
period,region_code,segment,covered,eligible,source
2024-04,63.10.01.1007,perangkat_desa,5,10,src
2024-04,63.10.01.2005,perangkat_desa,6,12,src
2024-04,63.10.02.1001,perangkat_desa,4,8,src
2024-04,63.10.01.2005,pekerja_rentan,10,40,src
2025-04,63.10.01.1007,perangkat_desa,8,10,src
2025-04,63.10.01.2005,perangkat_desa,9,12,src
2025-04,63.10.02.1001,perangkat_desa,8,8,src
2025-04,63.10.01.2005,pekerja_rentan,20,40,src
2025-04,63.10,penerima_upah,1000,,src
"""

DEFAULT_FILES = {
    "data/site.yaml": SITE_YAML,
    "data/regions.csv": REGIONS_CSV,
    "data/segments.yaml": SEGMENTS_YAML,
    "data/sources.yaml": SOURCES_YAML,
    "data/coverage.csv": COVERAGE_CSV,
}


def write_site(root: Path, files: dict[str, str | bytes | None]) -> Path:
    """Write the default scratch site with `files` replacing (or, with None, removing) entries."""
    merged = {**DEFAULT_FILES, **files}
    for name, content in merged.items():
        if content is None:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root


@pytest.fixture(autouse=True)
def outside_github_actions(monkeypatch):
    """The tests run in GitHub Actions too: sitegen's annotations there are tested on their own."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)  # the editor's default repository


@pytest.fixture(autouse=True)
def english_reports(monkeypatch):
    """Problems in English whatever this machine's locale (the tests of Indonesian reports ask for them)."""
    from sitegen.errors import use_report_language

    monkeypatch.setenv("SITEGEN_LANG", "en")
    yield
    use_report_language(str)


@pytest.fixture(scope="session", autouse=True)
def shared_cache(tmp_path_factory):
    """One chart/Vega-bundle cache for every build in the test session (a cold cache costs ~2 s)."""
    cache = tmp_path_factory.mktemp("cache")
    previous = os.environ.get("SITEGEN_CACHE_DIR")
    os.environ["SITEGEN_CACHE_DIR"] = str(cache)
    yield cache
    if previous is None:
        os.environ.pop("SITEGEN_CACHE_DIR", None)
    else:
        os.environ["SITEGEN_CACHE_DIR"] = previous


@pytest.fixture
def make_site(tmp_path, monkeypatch):
    """make_site({"data/coverage.csv": "..."}) → a scratch site folder, also the working folder."""
    def make(files: dict | None = None) -> Path:
        root = write_site(tmp_path / "site", files or {})
        monkeypatch.chdir(root)
        return root
    return make


@pytest.fixture
def run_cli():
    def run(*args):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)
    return run


def copy_bundled_inputs(folder: Path) -> Path:
    """The bundled Tanah Bumbu site's inputs (data, content, templates, assets) copied into `folder`."""
    for name in ("data", "content", "templates", "assets"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def bundled_site(tmp_path_factory) -> Path:
    """One full build of the bundled Tanah Bumbu site, shared by the tests that read it."""
    work = copy_bundled_inputs(tmp_path_factory.mktemp("bundled"))
    out = work / "_site"
    result = CliRunner().invoke(main, [
        "build", "--data", str(work / "data"), "--content", str(work / "content"),
        "--templates", str(work / "templates"), "--assets", str(work / "assets"), "--out", str(out)],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


CHROMIUM = Path(os.environ.get("SITEGEN_CHROMIUM", "/usr/bin/chromium"))  # GitHub's runners: google-chrome
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium driven by Playwright; skipped where there is none, except in CI."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            raise RuntimeError("Chromium is required in CI: apt-get install -y chromium (or set SITEGEN_CHROMIUM)")
        pytest.skip(f"no {CHROMIUM} (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
