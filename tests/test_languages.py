"""Two languages: every page in Bahasa Indonesia at the root and in English under en/,
linked to each other, with each locale's numbers and the interface in its language."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlparse

from bs4 import BeautifulSoup

from sitegen.render.formatting import number_format
from sitegen.render.i18n import translations
from sitegen.pages.site import Texts, parent_comparison

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def pages(site: Path) -> list[Path]:
    """The site's pages for readers (the news editor at admin/ is in Indonesian only, and noindex)."""
    return sorted(p for p in site.rglob("index.html") if p.relative_to(site).parts[0] != "admin")


def test_every_indonesian_page_has_an_english_twin_and_back(bundled_site):
    indonesian = [p for p in pages(bundled_site) if p.relative_to(bundled_site).parts[0] != "en"]
    assert len(indonesian) > 170
    for path in indonesian:
        relative = path.relative_to(bundled_site)
        english = bundled_site / "en" / relative
        assert english.is_file(), relative
        for page, lang, other, other_file in ((path, "id", "en", english), (english, "en", "id", path)):
            html = soup(page)
            assert html.html["lang"] == lang, page
            switch = html.select_one(f".language-switch a[hreflang={other}]")
            target = (page.parent / switch["href"]).resolve() / "index.html"
            assert target == other_file.resolve(), (page, switch["href"])
            alternates = {link["hreflang"]: link["href"] for link in html.select("link[rel=alternate][hreflang]")}
            canonical = html.select_one("link[rel=canonical]")["href"]
            assert alternates[lang] == canonical
            assert alternates[other] != canonical and set(alternates) == {"id", "en", "x-default"}


def test_english_pages_use_english_words_and_numbers(bundled_site):
    home_id, home_en = soup(bundled_site / "index.html"), soup(bundled_site / "en" / "index.html")
    figures_id = {dt.get_text(strip=True): dd.get_text(" ", strip=True)
                  for dt, dd in zip(home_id.select(".figures dt"), home_id.select(".figures dd"))}
    figures_en = [dd.get_text(" ", strip=True) for dd in home_en.select(".figures dd")]
    assert figures_id["Pekerja terlindungi"] == "10.338"
    assert figures_en[0] == "10,338"  # the same figure, in English digits
    rate_id, rate_en = figures_id["Cakupan"], figures_en[2]
    assert re.fullmatch(r"\d+,\d+%", rate_id) and rate_en == rate_id.replace(",", ".")
    headings_en = [h.get_text(" ", strip=True) for h in home_en.select("main h2")]
    headings_id = [h.get_text(" ", strip=True) for h in home_id.select("main h2")]
    assert len(headings_en) == len(headings_id)
    assert not set(headings_en) & set(headings_id) - {""}, "an English heading is still Indonesian"
    assert home_en.select_one(".notice").get_text().strip().startswith("Illustrative")
    assert "April 2025" in home_en.select_one("#headline-heading").get_text()


def test_english_pages_link_to_the_shared_files(bundled_site):
    desa = sorted((bundled_site / "en" / "desa").iterdir())[0] / "index.html"
    for page in (desa, bundled_site / "en" / "unduh" / "index.html"):
        html = soup(page)
        links = [a["href"] for a in html.select("main a[href]")] + [s["src"] for s in html.select("script[src]")]
        links += [link["href"] for link in html.select("link[rel=stylesheet]")]
        for href in links:
            if urlparse(href).scheme or href.startswith(("#", "mailto:")):
                continue
            target = (page.parent / href.split("#")[0]).resolve()
            assert target.exists() and (target.is_file() or (target / "index.html").is_file()), (page, href)
    shared = [a["href"] for a in soup(desa).select(".downloads a")]
    assert any(h.endswith(".csv") and "/en/" not in str((desa.parent / h).resolve()) for h in shared)


def test_sitemaps_list_every_page_in_both_languages_with_alternates(bundled_site):
    index = ET.parse(bundled_site / "sitemap.xml").getroot()
    assert index.tag == SITEMAP + "sitemapindex"
    urls = []
    for loc in index.iter(SITEMAP + "loc"):
        name = urlparse(loc.text).path.rsplit("/", 1)[-1]
        sitemap = ET.parse(bundled_site / name).getroot()
        entries = sitemap.findall(SITEMAP + "url")
        assert 0 < len(entries) <= 50_000
        for entry in entries:
            urls.append(entry.find(SITEMAP + "loc").text)
            hreflangs = {a.get("hreflang") for a in entry if a.tag.endswith("link")}
            assert hreflangs == {"id", "en"}
    base = "https://example.org/jamsostek-tanah-bumbu/"
    assert len(urls) == len(set(urls))
    folders = (p.parent.relative_to(bundled_site).as_posix() for p in pages(bundled_site))
    assert set(urls) == {base + ("" if folder == "." else folder + "/") for folder in folders}


def _texts(lang: str) -> Texts:
    locale = "id" if lang == "id" else "en_GB"
    return Texts(translations(lang).gettext, number_format(locale), locale, lang)


def test_comparison_with_the_parent_reads_naturally_in_both_languages():
    rows = [{"name": "Desa Sungai Dua", "rate": 61.2}, {"name": "Kecamatan Simpang Empat", "rate": 81.7}]
    assert parent_comparison(rows, _texts("id")) == (
        "Cakupan Desa Sungai Dua sekitar tiga perempat rata-rata Kecamatan Simpang Empat (61,2% dibanding 81,7%).")
    english = parent_comparison(rows, _texts("en"))
    assert english.startswith("Coverage in Desa Sungai Dua is about three-quarters of the Kecamatan Simpang Empat")
    assert "61.2%" in english and "81.7%" in english
    same = [{"name": "A", "rate": 80.0}, {"name": "B", "rate": 81.0}]
    assert "hampir sama dengan" in parent_comparison(same, _texts("id"))
    double = [{"name": "A", "rate": 50.0}, {"name": "B", "rate": 24.0}]
    assert "sekitar dua kali" in parent_comparison(double, _texts("id"))
    assert parent_comparison([{"name": "A", "rate": None}, {"name": "B", "rate": 3.0}], _texts("id")) is None
    assert parent_comparison([{"name": "A", "rate": 4.0}, {"name": "B", "rate": 0.0}], _texts("id")) is None


def test_a_site_template_message_without_translation_is_a_warning_and_strict_fails(make_site, run_cli):
    make_site({"templates/desa.html": '{% extends "default:region.html" %}\n{% block main %}\n'
                                      '<p>{{ _("Pendaftaran dibuka setiap Senin.") }}</p>{{ super() }}\n{% endblock %}\n'})
    result = run_cli("build")
    assert result.exit_code == 0, result.output
    assert "desa.html:3" in result.output and "Pendaftaran dibuka setiap Senin." in result.output
    assert "Pendaftaran dibuka setiap Senin." in next(Path("_site/en/desa").iterdir()).joinpath("index.html").read_text()
    strict = run_cli("build", "--strict")
    assert strict.exit_code == 1 and "no English translation" in strict.output


def test_search_finds_news_by_a_word_of_its_body(bundled_site):
    from sitegen.pages.search import search

    folder = bundled_site / "cari"
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.json")}
    article = (bundled_site / "berita" / "optimalisasi-jaminan-sosial-ekosistem-desa" / "index.html")
    body = soup(article).select_one("article").get_text(" ")
    word = max((w for w in re.findall(r"[A-Za-z]{9,}", body)), key=len)  # a long word of the body
    results = search(files, word)
    assert any(r["path"] == "berita/optimalisasi-jaminan-sosial-ekosistem-desa/" for r in results), (word, results)
