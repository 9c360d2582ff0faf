"""`sitegen build` and `check` end to end: pages, links, output safety, determinism."""

from __future__ import annotations

import filecmp
import os
import re
import time
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from bs4 import BeautifulSoup

from sitegen.output.writer import MARKER

REPO = Path(__file__).resolve().parent.parent


def html_files(out: Path) -> list[Path]:
    """The site's pages for readers (not the news editor at admin/, a tool page that is noindex)."""
    return sorted(p for p in out.rglob("*.html") if p.relative_to(out).parts[0] != "admin")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_bundled_site_has_a_page_per_region(bundled_site):
    assert (bundled_site / "index.html").is_file()
    assert len(list((bundled_site / "kecamatan").iterdir())) == 12
    assert len(list((bundled_site / "desa").iterdir())) == 157
    region_pages = [p for p in html_files(bundled_site) if p.name == "index.html"
                    and p.relative_to(bundled_site).parts[0] in ("index.html", "desa", "kecamatan")]
    assert len(region_pages) == 1 + 12 + 157
    for name in ("404.html", "sitemap.xml", "robots.txt", MARKER):
        assert (bundled_site / name).is_file()
    news_pages = len(list((bundled_site / "berita").rglob("index.html")))
    other_pages = ["unduh/", "unduh/arsip/", "metodologi/", "perubahan/", "cari/"]
    assert all((bundled_site / page / "index.html").is_file() for page in other_pages)
    for language in ("id", "en"):  # every page once per language (tests/test_languages.py checks the rest)
        sitemap = (bundled_site / f"sitemap-{language}-1.xml").read_text()
        assert sitemap.count("<loc>") == 170 + news_pages + len(other_pages)


def test_home_page_headline_matches_published_totals(bundled_site):
    page = soup(bundled_site / "index.html")
    assert page.h1.get_text(strip=True) == "Kabupaten Tanah Bumbu"
    figures = {dt.get_text(strip=True): dd.get_text(" ", strip=True)
               for dt, dd in zip(page.select(".figures dt"), page.select(".figures dd"))}
    # 8.146 village-ecosystem workers + 2.192 vulnerable workers (klikkalsel.com, 16 April 2025)
    assert figures["Pekerja terlindungi"] == "10.338"
    segments = {row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
                for row in page.select("#segments-heading ~ .table-wrap tbody tr")}
    assert segments["Pekerja rentan"][0] == "2.192"
    assert segments["Pekerja penerima upah"][1] == "–"  # eligible unknown: no rate invented
    assert "ilustratif" in page.select_one(".notice").get_text()
    assert page.select("#chart-ranking") and page.select("#chart-trend")


def test_every_page_says_numbers_are_illustrative(bundled_site):
    for path in html_files(bundled_site):
        if path.name == "index.html" and not {"berita", "cari"} & set(path.parts):
            english = path.relative_to(bundled_site).parts[0] == "en"
            assert ("Illustrative figures" if english else "Angka ilustratif") in path.read_text(encoding="utf-8"), path


def test_every_chart_has_title_summary_and_table(bundled_site):
    for path in [bundled_site / "index.html", *sorted((bundled_site / "desa").glob("*/index.html"))[:20]]:
        for section in soup(path).select("section.chart"):
            assert section.h2.get_text(strip=True)
            assert section.select_one(".chart-summary").get_text(strip=True).endswith(".")
            assert section.select("table tbody tr"), path
            assert section.select_one("script[type='application/json']")


def test_internal_links_resolve_from_a_sub_path(bundled_site):
    """Every relative link and resource points at a file that exists, served from /jamsostek/."""
    base = "https://example.org/jamsostek/"
    missing = []
    for path in html_files(bundled_site):
        if path.name == "404.html":  # served at any missing path, so it links by base_url instead
            continue
        page_url = base + path.relative_to(bundled_site).as_posix()
        document = soup(path)
        for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("script", "data-vega"), ("img", "src")):
            for node in document.find_all(tag):
                value = node.get(attr)
                rel = node.get("rel", [])
                if not value or value.startswith(("mailto:", "#")) or "canonical" in rel or (tag == "link" and node.get("hreflang")):
                    continue  # the canonical and alternate addresses name the public site; browsers do not fetch them
                target = urljoin(page_url, value)
                if not target.startswith(base):
                    assert tag == "a", f"{path}: resource from another host: {value}"
                    continue
                local = bundled_site / urlparse(target).path[len("/jamsostek/"):]
                if local.is_dir():
                    local = local / "index.html"
                if not local.is_file():
                    missing.append(f"{path.relative_to(bundled_site)} → {value}")
    assert not missing, missing[:10]


def test_desa_page_has_breadcrumb_comparison_and_siblings(bundled_site):
    page = soup(next((bundled_site / "desa").glob("63-10-01-2005-*/index.html")))
    crumbs = [a.get_text(strip=True) for a in page.select(".breadcrumb a")]
    assert crumbs == ["Kabupaten Tanah Bumbu", "Kecamatan Batu Licin"]
    rows = [r.th.get_text(strip=True) for r in page.select("#chart-comparison ~ details tbody tr")]
    assert rows == ["Desa Segumbang", "Kecamatan Batu Licin", "Kabupaten Tanah Bumbu"]
    siblings = page.select("#siblings-heading ~ ul li")
    assert len(siblings) == 9 and any(li.get("aria-current") == "page" for li in siblings)


def test_two_builds_are_byte_identical(make_site, run_cli):
    make_site()
    assert run_cli("build", "--out", "a").exit_code == 0
    assert run_cli("build", "--out", "b").exit_code == 0
    comparison = filecmp.dircmp("a", "b")
    assert not comparison.diff_files and not comparison.left_only and not comparison.right_only
    for sub in comparison.subdirs.values():
        assert not sub.diff_files and not sub.left_only and not sub.right_only


def test_base_url_option_sets_absolute_urls(make_site, run_cli):
    make_site()
    result = run_cli("build", "--base-url", "https://example.org/jamsostek")
    assert result.exit_code == 0, result.output
    assert "<loc>https://example.org/jamsostek/sitemap-id-1.xml</loc>" in Path("_site/sitemap.xml").read_text()
    assert "<loc>https://example.org/jamsostek/en/kecamatan/" in Path("_site/sitemap-en-1.xml").read_text()
    assert "Sitemap: https://example.org/jamsostek/sitemap.xml" in Path("_site/robots.txt").read_text()
    assert 'href="/jamsostek/assets/style.' in Path("_site/404.html").read_text()


def test_refuses_to_replace_a_folder_it_did_not_make(make_site, run_cli):
    root = make_site()
    result = run_cli("build", "--out", ".")
    assert result.exit_code == 1
    assert "was not made by sitegen" in result.output
    assert (root / "data" / "coverage.csv").is_file()
    assert not (root / MARKER).exists()


def test_rebuild_replaces_its_own_output(make_site, run_cli):
    make_site()
    assert run_cli("build", "--full").exit_code == 0
    stray = Path("_site/stale.html")
    stray.write_text("old")
    assert run_cli("build", "--full").exit_code == 0
    assert not stray.exists() and Path("_site/index.html").is_file()
    assert not [p for p in os.listdir(".") if "sitegen-staging" in p]


def test_an_update_swaps_changed_files_in_and_leaves_no_staging_behind(tmp_path):
    from sitegen.output import writer as writer_module

    out = tmp_path / "_site"
    first = writer_module.SiteWriter(out)
    big, small = b"a" * (writer_module.LARGE + 1), b"old page"
    first.write("unduh/big.csv", big)
    first.write("page/index.html", small)
    first.write("gone.html", "x")
    first.commit(None)
    update = writer_module.SiteWriter(out, first.files())
    update.write("unduh/big.csv", b"b" * 10)
    update.write("page/index.html", small)  # the same bytes: not written again
    update.write("new/index.html", "new")
    update.commit(None)
    assert sorted(update.changed) == ["new/index.html", "unduh/big.csv"]
    assert (out / "unduh/big.csv").read_bytes() == b"b" * 10
    assert (out / "page/index.html").read_bytes() == small
    assert (out / "new/index.html").read_text() == "new" and not (out / "gone.html").exists()
    # The replaced large file went with the staging folder, deleted in the background.
    def leftovers():
        return [p for p in os.listdir(tmp_path) if "sitegen-staging" in p or "sitegen-old" in p]

    deadline = time.monotonic() + 30
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftovers() == []


def test_template_error_names_the_template_line_and_keeps_the_old_site(make_site, run_cli):
    make_site()
    assert run_cli("build").exit_code == 0
    before = Path("_site/index.html").read_bytes()
    Path("templates").mkdir()
    Path("templates/region.html").write_text('{% extends "default:region.html" %}\n{% block main %}\n{{ no_such_value }}\n{% endblock %}\n')
    result = run_cli("build")
    assert result.exit_code == 1
    assert re.search(r"templates/region\.html:3: template error: .*no_such_value", result.output), result.output
    assert Path("_site/index.html").read_bytes() == before


def test_site_template_overrides_and_extends_the_default(make_site, run_cli):
    make_site()
    Path("templates").mkdir()
    Path("templates/desa.html").write_text(
        '{% extends "default:region.html" %}\n{% block main %}<p id="custom">Custom</p>{{ super() }}{% endblock %}\n')
    assert run_cli("build").exit_code == 0
    desa = soup(next(Path("_site/desa").glob("*/index.html")))
    assert desa.select_one("#custom") and desa.h1
    assert not soup(Path("_site/index.html")).select_one("#custom")


def test_a_template_can_be_chosen_for_one_region(make_site, run_cli):
    make_site()
    Path("templates").mkdir()
    Path("templates/desa-63.10.01.2005.html").write_text(
        '{% extends "default:region.html" %}{% block title %}Desa percontohan{% endblock %}')
    assert run_cli("build").exit_code == 0
    assert soup(Path("_site/desa/63-10-01-2005-segumbang/index.html")).title.string == "Desa percontohan"
    assert soup(Path("_site/desa/63-10-01-1007-batulicin/index.html")).title.string != "Desa percontohan"


def test_check_validates_without_writing(make_site, run_cli):
    make_site()
    result = run_cli("check")
    assert result.exit_code == 0 and "input is valid" in result.output
    assert not Path("_site").exists()


def test_help_states_exit_codes(run_cli):
    for command in ("build", "check"):
        result = run_cli(command, "--help")
        assert "Exit codes: 0" in " ".join(result.output.split())


def test_usage_error_exits_2(run_cli):
    result = run_cli("build", "--no-such-option")
    assert result.exit_code == 2


def test_two_builds_cannot_write_one_folder_at_once(tmp_path):
    from sitegen.errors import OutputError
    from sitegen.output.writer import SiteWriter

    first = SiteWriter(tmp_path / "_site")
    try:
        with pytest.raises(OutputError, match="another sitegen build is writing"):
            SiteWriter(tmp_path / "_site")
        assert first.staging.is_dir()  # the running build's staging folder was not touched
    finally:
        first.abort()
    SiteWriter(tmp_path / "_site").abort()  # free again once the first build has finished


def test_every_page_has_a_canonical_address_and_sharing_tags(bundled_site):
    base = "https://example.org/jamsostek-tanah-bumbu/"
    for path in html_files(bundled_site):
        if path.name != "index.html":
            continue  # 404.html is served at any address
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        folder = path.parent.relative_to(bundled_site).as_posix()
        expected = base + ("" if folder == "." else folder + "/")
        assert page.select_one('link[rel="canonical"]')["href"] == expected, path
        assert page.select_one('meta[property="og:url"]')["content"] == expected, path
        assert page.select_one('meta[property="og:title"]')["content"] == page.title.get_text(), path
        description = page.select_one('meta[name="description"]')["content"]
        assert description and page.select_one('meta[property="og:description"]')["content"] == description, path
        # Every page names a share image (its own, or the home page's): a large card.
        assert page.select_one('meta[property="og:image"]')["content"].endswith("pratinjau.png"), path
        assert page.select_one('meta[name="twitter:card"]')["content"] == "summary_large_image", path
        policy = page.select_one('meta[http-equiv="Content-Security-Policy"]')["content"]
        assert "script-src 'self';" in policy and "unsafe-eval" not in policy, path
        assert not [s for s in page.find_all("script") if not s.get("src")
                    and s.get("type") not in ("application/json", "application/ld+json")], path  # data, not code
    village = BeautifulSoup((bundled_site / "desa" / "63-10-04-2006-jombang" / "index.html").read_text(encoding="utf-8"),
                            "html.parser")
    assert village.select_one('meta[name="description"]')["content"].startswith(
        "Desa Jombang, April 2025: 74 dari 191 pekerja desa dan pekerja rentan terlindungi")


def test_pages_stay_within_the_weight_budgets(bundled_site):
    """Gzipped, as static hosts send them: every desa page ≤ 30 KB, the stylesheet ≤ 15 KB, and the
    first view of a desa page (HTML, CSS, chart script; the Vega bundle waits for a chart) ≤ 150 KB."""
    import gzip

    def gz(path):
        return len(gzip.compress(path.read_bytes(), mtime=0))

    desa = [gz(p) for p in bundled_site.glob("desa/*/index.html")]
    assert len(desa) == 157 and max(desa) <= 30 * 1024
    css, script = gz(next(bundled_site.glob("assets/style.*.css"))), gz(next(bundled_site.glob("assets/charts.*.js")))
    assert css <= 15 * 1024
    assert max(desa) + css + script <= 150 * 1024


def test_chart_tables_draw_each_rate_as_a_bar_without_javascript(bundled_site):
    page = soup(next((bundled_site / "kecamatan").iterdir()) / "index.html")
    cells = page.select("#chart-ranking ~ details td.bar")
    assert len(cells) >= 2
    for cell in cells:
        shown = float(cell.get_text(strip=True).rstrip("%").replace(",", "."))
        width = float(re.fullmatch(r"--pct:([\d.]+)%", cell["style"]).group(1))
        assert abs(width - shown) <= 0.1, (cell, shown, width)


def test_pages_rendered_on_several_processes_equal_one_process(bundled_site, run_cli, tmp_path):
    """The bundled site (170 regions) is rendered by forked workers; one process must give the same bytes."""
    work = bundled_site.parent
    serial = tmp_path / "serial"
    result = run_cli("build", "--data", str(work / "data"), "--content", str(work / "content"),
                     "--templates", str(work / "templates"), "--assets", str(work / "assets"),
                     "--out", str(serial), "--jobs", "1")
    assert result.exit_code == 0, result.output
    stack = [filecmp.dircmp(bundled_site, serial)]
    compared = 0
    while stack:
        current = stack.pop()
        assert not current.left_only and not current.right_only, current.left
        _, mismatch, errors = filecmp.cmpfiles(current.left, current.right, current.common_files, shallow=False)
        assert not mismatch and not errors, (current.left, mismatch)
        compared += len(current.common_files)
        stack.extend(current.subdirs.values())
    assert compared > 1000
