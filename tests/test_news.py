"""News articles (`content/news/*.md`) end to end: front-matter validation, sanitising,
drafts and future dates, pagination, Atom feeds, region pages, links, images and
`sitegen new news`.

Every site is the scratch site of conftest.py plus a few articles, so each test
controls exactly which articles exist and on which line each field is written.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
import struct
import tomllib
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import feedparser
import pytest
from bs4 import BeautifulSoup

BASE_URL = "https://example.org/uji/"
SITE = Path("_site")
REPO = Path(__file__).resolve().parent.parent
SEGUMBANG = "desa/63-10-01-2005-segumbang/"         # desa 63.10.01.2005, in Batu Licin
BATULICIN = "desa/63-10-01-1007-batulicin/"         # desa 63.10.01.1007, in Batu Licin
BATU_LICIN = "kecamatan/63-10-01-batu-licin/"       # kecamatan 63.10.01
KUSAN_HILIR = "kecamatan/63-10-02-kusan-hilir/"     # kecamatan 63.10.02


# --- writing articles ----------------------------------------------------------------

def md(*front: str, body: str = "Isi.\n") -> str:
    """An article file: line 1 is '---', front[i] is line i + 2, then '---' and the body."""
    return "---\n" + "".join(line + "\n" for line in front) + "---\n" + body


def news(title: str, date: str, *front: str, body: str = "Isi.\n") -> str:
    """A valid article: title on line 2, date on line 3, `front` from line 4."""
    return md(f"title: {title}", f"date: {date}", *front, body=body)


def path_of(name: str) -> str:
    return f"content/news/{name}"


def png(width: int, height: int) -> bytes:
    """A real (red) PNG image of the given size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# --- reading the built site ----------------------------------------------------------

def soup(folder: str) -> BeautifulSoup:
    """The page of a site-relative folder ('' = home)."""
    return BeautifulSoup((SITE / folder / "index.html").read_text(encoding="utf-8"), "html.parser")


def resolve(folder: str, href: str) -> Path:
    """The file a relative link on the page of `folder` opens; fails for links that leave the site."""
    assert "://" not in href and not href.startswith("/"), f"not a relative link: {href!r}"
    site = SITE.resolve()
    path = href.split("#", 1)[0]
    target = (site / folder / path).resolve()
    assert target == site or site in target.parents, f"{href!r} on {folder!r} leaves the site"
    return target / "index.html" if path.endswith("/") or path in ("", ".") else target


def assert_resolves(folder: str, href: str) -> None:
    assert resolve(folder, href).is_file(), f"{href!r} on {folder or 'home'} opens no file"


def listed_titles(page: BeautifulSoup) -> list[str]:
    """Titles in the page's news list, in order."""
    return [a.get_text(strip=True) for a in page.select(".news-list h2 a, .news-list h3 a")]


def sitemap_urls() -> set[str]:
    """Every page address in the sitemaps that sitemap.xml (a sitemap index) lists."""
    loc = "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"
    urls = set()
    for sitemap in ET.parse(SITE / "sitemap.xml").getroot().iter(loc):
        urls |= {node.text for node in ET.parse(SITE / sitemap.text.rsplit("/", 1)[-1]).getroot().iter(loc)}
    return urls


def feed(path: str):
    parsed = feedparser.parse((SITE / path).read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


# --- running -------------------------------------------------------------------------

@pytest.fixture
def build(make_site, run_cli):
    """build({path: content}, *options) → the result of `sitegen build` on a scratch site with those files."""
    def run(files: dict, *options: str):
        make_site(files)
        return run_cli("build", *options)
    return run


def assert_built(result) -> None:
    assert result.exit_code == 0, result.output
    assert (SITE / "index.html").is_file()


def assert_fails(result, *expected: str) -> str:
    """Exit 1, every `path:line: message` fragment reported, and nothing written."""
    assert result.exit_code == 1, result.output
    for text in expected:
        assert text in result.output, f"{text!r} not in:\n{result.output}"
    assert "; nothing was written" in result.output
    assert not SITE.exists()
    return result.output


# --- 1. front-matter validation ------------------------------------------------------

HALO = "2025-04-16-halo.md"

INVALID = {
    "missing title": (
        {HALO: md("date: 2025-04-16")},
        f"{path_of(HALO)}:1: title is missing or empty"),
    "empty title": (
        {HALO: md('title: ""', "date: 2025-04-16")},
        f"{path_of(HALO)}:2: title is missing or empty"),
    "blank title": (
        {HALO: md("date: 2025-04-16", "title:   ")},
        f"{path_of(HALO)}:3: title is missing or empty"),
    "missing date": (
        {HALO: md("title: Halo")},
        f"{path_of(HALO)}:1: date is missing"),
    "impossible date": (
        {HALO: news("Halo", "2025-02-30")},
        f"{path_of(HALO)}:3: invalid front matter: '2025-02-30' is not a real date"),
    "impossible quoted date": (
        {HALO: news("Halo", '"2025-02-30"')},
        f"{path_of(HALO)}:3: date '2025-02-30' is not a real date"),
    "unknown place": (
        {HALO: news("Halo", "2025-04-16", 'places: ["63.10.01.2005", "63.10.99"]')},
        f"{path_of(HALO)}:4: places: '63.10.99' is not a region code in regions.csv"),
    "unknown lang": (
        {HALO: news("Halo", "2025-04-16", "summary: Ringkas.", "lang: fr")},
        f"{path_of(HALO)}:5: lang 'fr' must be one of id, en"),
    "image without alt": (
        {HALO: news("Halo", "2025-04-16", "image: foto.png"), "foto.png": png(3, 2)},
        f"{path_of(HALO)}:4: image_alt is required when image is set"),
    "image missing": (
        {HALO: news("Halo", "2025-04-16", "image_alt: Foto", "image: foto.png")},
        f"{path_of(HALO)}:5: image 'foto.png' does not exist next to the article"),
    "bad tag": (
        {HALO: news("Halo", "2025-04-16", "tags: [Uji Coba]")},
        f"{path_of(HALO)}:4: tags: 'Uji Coba' must be lower-case letters, digits and hyphens"),
    "draft not a boolean": (
        {HALO: news("Halo", "2025-04-16", "draft: mungkin")},
        f"{path_of(HALO)}:4: draft must be true or false"),
    "front matter not a mapping": (
        {HALO: md("- title: Halo")},
        f"{path_of(HALO)}:1: front matter must be a mapping"),
    "duplicate slug": (
        {HALO: news("Halo", "2025-04-16"), "2025-04-17-halo.md": news("Halo lagi", "2025-04-17")},
        f"{path_of('2025-04-17-halo.md')}: slug 'halo' is already used by 2025-04-16-halo.md"),
    "missing front matter": (
        {HALO: "Isi tanpa front matter.\n"},
        f"{path_of(HALO)}:1: missing front matter"),
    "unclosed front matter": (
        {HALO: "---\ntitle: Halo\ndate: 2025-04-16\n\nIsi.\n"},
        f"{path_of(HALO)}:1: missing front matter"),
    "link to a missing page": (
        {HALO: news("Halo", "2025-04-16", body="Paragraf satu.\n\nLihat [x](/desa/nope/) ya.\n")},
        f"{path_of(HALO)}:7: link '/desa/nope/' points to no page of the site"),
    "link to a missing article": (
        {HALO: news("Halo", "2025-04-16", "tags: [uji]",
                    body="Satu.\n\nDua.\n\nBaca [ini](2025-01-01-hilang.md).\n")},
        f"{path_of(HALO)}:10: link '2025-01-01-hilang.md' points to no page of the site"),
}


@pytest.mark.parametrize("files, expected", INVALID.values(), ids=INVALID.keys())
def test_invalid_article_is_reported_with_file_and_line(build, files, expected):
    assert_fails(build({path_of(name): content for name, content in files.items()}), expected)


@pytest.mark.parametrize("name", ["halo.md", "2025-04-16-Halo.md", "2025-04-16_halo.md", "16-04-2025-halo.md",
                                  "2025-04-16-halo--dua.md", "2025-04-16-.md"])
def test_bad_file_name_is_reported(build, name):
    result = build({path_of(name): news("Halo", "2025-04-16")})
    assert_fails(result, f"{path_of(name)}: name must be YYYY-MM-DD-slug.md")


def test_unknown_key_is_a_warning(build):
    files = {path_of(HALO): news("Halo", "2025-04-16", "tittle: Halo")}
    result = build(files)
    assert_built(result)
    assert f"warning: {path_of(HALO)}:4: unknown front-matter key 'tittle' (a typo?)" in result.output
    assert "with 1 warning(s)" in result.output
    assert (SITE / "berita/halo/index.html").is_file()


def test_unknown_key_is_an_error_under_strict(build):
    result = build({path_of(HALO): news("Halo", "2025-04-16", "tittle: Halo")}, "--strict")
    assert_fails(result, f"{path_of(HALO)}:4: unknown front-matter key 'tittle' (a typo?) (an error under --strict)")


def test_every_problem_of_every_article_is_reported_in_one_run(build):
    result = build({
        path_of("2025-04-01-satu.md"): md('title: ""', "date: 2025-04-01", 'places: ["99.99"]', "lang: fr"),
        path_of("2025-04-02-dua.md"): news("Dua", "2025-02-30"),
        path_of("2025-04-03-tiga.md"): news("Tiga", "2025-04-03", "image: hilang.png"),
        path_of("Empat.md"): news("Empat", "2025-04-04"),
        path_of("2025-04-05-lima.md"): "Tanpa front matter.\n",
        path_of("2025-04-06-satu.md"): news("Satu lagi", "2025-04-06"),
    })
    output = assert_fails(
        result,
        f"{path_of('2025-04-01-satu.md')}:2: title is missing or empty",
        f"{path_of('2025-04-01-satu.md')}:4: places: '99.99' is not a region code",
        f"{path_of('2025-04-01-satu.md')}:5: lang 'fr' must be one of id, en",
        f"{path_of('2025-04-02-dua.md')}:3: invalid front matter: '2025-02-30' is not a real date",
        f"{path_of('2025-04-03-tiga.md')}:4: image_alt is required when image is set",
        f"{path_of('2025-04-03-tiga.md')}:4: image 'hilang.png' does not exist next to the article",
        f"{path_of('Empat.md')}: name must be YYYY-MM-DD-slug.md",
        f"{path_of('2025-04-05-lima.md')}:1: missing front matter",
    )
    assert "sitegen: 8 error(s); nothing was written" in output


def test_broken_link_is_reported_with_front_matter_problems(build):
    result = build({
        path_of(HALO): news("Halo", "2025-04-16", body="Lihat [x](/desa/nope/).\n"),
        path_of("2025-04-17-lain.md"): news("Lain", "2025-04-17", "lang: fr"),
    })
    assert_fails(result, f"{path_of('2025-04-17-lain.md')}:4: lang 'fr' must be one of id, en",
                 f"{path_of(HALO)}:5: link '/desa/nope/' points to no page of the site")


def test_each_broken_link_is_reported_at_its_own_line(build):
    body = "[a](/desa/nope/)\n\nTeks.\n\n[b](/kecamatan/nope/) dan [c](2025-01-01-hilang.md)\n"
    result = build({path_of(HALO): news("Halo", "2025-04-16", body=body)})
    output = assert_fails(result,
                          f"{path_of(HALO)}:5: link '/desa/nope/' points",
                          f"{path_of(HALO)}:9: link '/kecamatan/nope/' points",
                          f"{path_of(HALO)}:9: link '2025-01-01-hilang.md' points")
    assert "sitegen: 3 error(s)" in output


@pytest.mark.parametrize("href", [f"/{SEGUMBANG}index.html", "/berita/atom.xml"])
def test_link_to_an_existing_file_of_the_site_passes_the_check(build, href):
    result = build({path_of(HALO): news("Halo", "2025-04-16", body=f"Lihat [x]({href}).\n")})
    assert_built(result)


# --- 2. sanitising -------------------------------------------------------------------

HOSTILE = """\
<script>alert(1)</script>

Teks <img src=x.png onerror=alert(1)> dan <a href="JaVaScRiPt:alert(1)">a</a>.

[b](javascript:alert(1)) [c](  javascript:alert(1)) <a href="&#106;avascript:alert(1)">d</a>
<a href="data:text/html;base64,PHNjcmlwdD4=">e</a> <a href="vbscript:msgbox(1)">f</a>

<iframe src="https://example.com/"></iframe>
<object data="x.swf"></object><embed src="x.swf">
<svg onload=alert(1)><circle r="1"/></svg>
<form action="https://example.com/"><input name="q"></form>
<style>body { display: none }</style>
<p style="position:fixed" onclick="alert(1)" onmouseover="alert(1)">gaya</p>
<details open ontoggle=alert(1)>rinci</details>
<h1>Judul kedua</h1>
<link rel="stylesheet" href="https://example.com/x.css"><meta http-equiv="refresh" content="0;url=https://example.com/">

Paragraf bertanda
{: onclick="alert(1)" style="color:red" }
"""

def site_scripts_only(page) -> bool:
    """Every script of the page is the site's own assets/site.<fingerprint>.js, loaded from the site."""
    return all(re.fullmatch(r"(\.\./)*assets/site\.[0-9a-f]{10}\.js", script.get("src", "")) and not script.string
               for script in page.find_all("script"))


FORBIDDEN_TAGS = ["script", "iframe", "object", "embed", "svg", "form", "input", "style", "link", "meta", "details"]


def test_hostile_markdown_is_sanitised(build):
    assert_built(build({path_of(HALO): news("Halo", "2025-04-16", body=HOSTILE),
                        "content/news/x.png": png(1, 1)}))
    page = soup("berita/halo/")
    article = page.find("article")
    assert article.find_all(FORBIDDEN_TAGS) == []
    assert site_scripts_only(page)  # an article page needs no script but the site's own (offline reading)
    assert len(page.find_all("h1")) == 1
    # no event handler, style or dangerous URL is left: the only attributes are the template's and the image's
    attributes = [(tag.name, tag.attrs) for tag in article.find_all(True) if tag.attrs]
    assert attributes == [("p", {"class": ["news-meta"]}), ("time", {"datetime": "2025-04-16"}),
                          ("img", {"src": "x.png", "width": "1", "height": "1", "loading": "lazy"})]
    assert [(a.get_text(), a.attrs) for a in article.find_all("a")] == [(c, {}) for c in "abcdef"]
    assert "alert" not in str(article)
    assert "javascript" not in str(article).lower()
    text = article.get_text(" ", strip=True)     # the harmless words stay
    for words in ("Teks", "gaya", "rinci", "Judul kedua", "Paragraf bertanda"):
        assert words in text


def test_feed_images_have_absolute_addresses(build):
    assert_built(build({path_of(HALO): news("Halo", "2025-04-16", body="![Peta](peta.png)\n"),
                        "content/news/peta.png": png(2, 2)}))
    feed = (SITE / "berita/atom.xml").read_text(encoding="utf-8")
    assert "src=&#34;https://example.org/uji/berita/halo/peta.png&#34;" in feed


def test_body_image_from_another_host_is_an_error(build):
    result = build({path_of(HALO): news("Halo", "2025-04-16", body="Teks.\n\n![Peta](https://example.com/peta.png)\n")})
    assert_fails(result, f"{path_of(HALO)}:7: image 'https://example.com/peta.png' is on another website")


def test_front_matter_text_is_escaped(build):
    title = "Iuran & <b>manfaat</b> <script>alert(1)</script>"
    summary = "Ringkas <img src=x onerror=alert(1)>"
    result = build({path_of(HALO): md(f"title: '{title}'", "date: 2025-04-16", f"summary: '{summary}'",
                                      "author: '<i>Redaksi</i>'")})
    assert_built(result)
    page = soup("berita/halo/")
    assert page.h1.get_text() == title
    assert page.find_all(["b", "i", "img"]) == [] and site_scripts_only(page)
    assert page.find("meta", attrs={"name": "description"})["content"] == summary
    assert "<i>Redaksi</i>" in page.select_one(".news-meta").get_text()
    assert soup("berita/").select_one(".news-list li p:not(.news-meta)").get_text() == summary
    assert feed("berita/atom.xml").entries[0].title == title


LEGIT = """\
Pembuka dengan *miring*, **tebal** dan [tautan](https://example.com/halaman "Judul tautan") serta
<mailto:redaksi@example.org>.[^1]

# Bagian utama

## Sub bagian

- satu
- dua

1. pertama
2. kedua

| Desa | Pekerja |
|------|---------|
| Segumbang | 12 |

![Peta desa](peta.png)

> Kutipan.

```html
<script>contoh()</script>
```

[^1]: Catatan kaki.
"""


def test_legitimate_markdown_survives(build):
    assert_built(build({path_of(HALO): news("Halo", "2025-04-16", body=LEGIT), "content/news/peta.png": png(5, 4)}))
    page = soup("berita/halo/")
    article = page.find("article")
    assert [h.get_text() for h in page.find_all("h1")] == ["Halo"]    # '# Bagian' does not add an <h1>
    assert article.find("h2").get_text() == "Bagian utama"
    assert article.find("h2")["id"] == "bagian-utama"
    assert article.find("h3").get_text() == "Sub bagian"
    assert article.find("em").get_text() == "miring"
    assert article.find("strong").get_text() == "tebal"
    link = article.find("a", string="tautan")
    assert (link["href"], link["title"]) == ("https://example.com/halaman", "Judul tautan")
    assert article.find("a", href="mailto:redaksi@example.org") is not None
    assert [li.get_text() for li in article.select("ul > li")] == ["satu", "dua"]
    assert [li.get_text() for li in article.select("ol > li") if not li.get("id")] == ["pertama", "kedua"]
    assert [th.get_text() for th in article.select("table thead th")] == ["Desa", "Pekerja"]
    assert [td.get_text() for td in article.select("table tbody td")] == ["Segumbang", "12"]
    image = article.find("img")
    assert (image["src"], image["alt"], image["width"], image["height"], image["loading"]) == \
        ("peta.png", "Peta desa", "5", "4", "lazy")
    assert (SITE / "berita/halo/peta.png").read_bytes() == png(5, 4)
    assert article.find("blockquote").get_text(strip=True) == "Kutipan."
    assert article.select_one("pre code").get_text() == "<script>contoh()</script>\n"
    reference = article.select_one("sup a.footnote-ref")
    assert reference["href"] == "#fn:1"
    note = article.find(id="fn:1")
    assert "Catatan kaki." in note.get_text()
    assert note.find("a", href="#fnref:1") is not None
    assert article.find(id="fnref:1") is not None


def test_table_column_alignment_survives(build):
    body = "| Desa | Pekerja |\n|:-----|--------:|\n| Segumbang | 12 |\n"
    assert_built(build({path_of(HALO): news("Halo", "2025-04-16", body=body)}))
    cells = soup("berita/halo/").select("article table tbody td")
    assert [cell.get("align") for cell in cells] == ["left", "right"]


# --- 3. drafts and future articles ---------------------------------------------------

def later(hours: int) -> str:
    """A time `hours` from now in the site's time zone (the scratch site has the default, UTC+7)."""
    site_now = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).replace(tzinfo=None)
    return (site_now + dt.timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


HELD_BACK_SITE = {
    path_of("2025-04-16-terbit.md"): news("Terbit", "2025-04-16", 'places: ["63.10.01.2005"]'),
    path_of("2025-04-17-draf.md"): news("Draf", "2025-04-17", 'places: ["63.10.01.2005"]', "draft: true"),
    path_of("2099-01-01-nanti.md"): news("Nanti", "2099-01-01", 'places: ["63.10.01.2005"]'),
    path_of("2025-04-18-bukan-draf.md"): news("Bukan draf", "2025-04-18", "draft: false"),
}


@pytest.mark.parametrize("options, published, held_back", [
    ((), ["Bukan draf", "Terbit"], 2),
    (("--drafts",), ["Bukan draf", "Draf", "Terbit"], 1),
    (("--future",), ["Nanti", "Bukan draf", "Terbit"], 1),
    (("--drafts", "--future"), ["Nanti", "Bukan draf", "Draf", "Terbit"], 0),
], ids=["default", "drafts", "future", "both"])
def test_drafts_and_future_articles_are_held_back_unless_asked(build, options, published, held_back):
    result = build(HELD_BACK_SITE, *options)
    assert_built(result)
    if held_back:
        assert f"sitegen: held back {held_back} article(s)" in result.output
    else:
        assert "held back" not in result.output
    assert listed_titles(soup("berita/")) == published
    assert listed_titles(soup("")) == published
    assert listed_titles(soup(SEGUMBANG)) == [t for t in published if t != "Bukan draf"]
    assert [e.title for e in feed("berita/atom.xml").entries] == published
    slugs = {"Terbit": "terbit", "Draf": "draf", "Nanti": "nanti", "Bukan draf": "bukan-draf"}
    for title, slug in slugs.items():
        assert (SITE / f"berita/{slug}/index.html").is_file() == (title in published), slug
        assert (BASE_URL + f"berita/{slug}/" in sitemap_urls()) == (title in published), slug


def test_future_is_measured_against_the_current_time(build):
    result = build({
        path_of("2025-04-16-tadi.md"): news("Tadi", later(-1)),
        path_of("2025-04-16-sebentar-lagi.md"): news("Sebentar lagi", later(2)),
    })
    assert_built(result)
    assert "held back 1 article(s)" in result.output
    assert listed_titles(soup("berita/")) == ["Tadi"]


def test_dates_with_their_own_offset_are_read_in_site_time(build):
    # 09:30 in Jakarta (UTC+7, the scratch site's zone) is 10:30 in Makassar (UTC+8)
    result = build({path_of(HALO): news("Halo", "2025-04-16 10:30+08:00")})
    assert_built(result)
    assert '<time datetime="2025-04-16">' in (SITE / "berita/halo/index.html").read_text(encoding="utf-8")
    assert "2025-04-16T09:30:00+07:00" in (SITE / "berita/atom.xml").read_text(encoding="utf-8")


def test_a_link_to_a_held_back_article_is_an_error(build):
    result = build({
        path_of(HALO): news("Halo", "2025-04-16", body="Lihat [jadwal](2025-04-17-jadwal.md).\n"),
        path_of("2025-04-17-jadwal.md"): news("Jadwal", "2025-04-17", "draft: true"),
    })
    assert_fails(result, f"{path_of(HALO)}:5: link '2025-04-17-jadwal.md' points to a page that this build "
                         f"does not publish")


def test_unsafe_front_matter_addresses_and_paths_are_errors(build):
    result = build({
        path_of(HALO): news("Halo", "2025-04-16", "source: {name: X, url: \"javascript:alert(1)\"}"),
        path_of("2025-04-17-dua.md"): news("Dua", "2025-04-17", "image: ../../data/site.yaml", "image_alt: x"),
    })
    assert_fails(result, "source.url 'javascript:alert(1)' must be an http(s) address",
                 f"{path_of('2025-04-17-dua.md')}:4: image '../../data/site.yaml' must be a file in the "
                 f"article's folder or below it")


def test_a_preview_build_leaves_no_draft_behind(build, run_cli):
    assert_built(build(HELD_BACK_SITE, "--drafts"))
    assert (SITE / "berita/draf/index.html").is_file()
    result = run_cli("build")
    assert_built(result)
    assert not (SITE / "berita/draf").exists()
    assert "Draf" not in listed_titles(soup("berita/"))
    assert "Draf" not in listed_titles(soup(SEGUMBANG))


# --- 4. pagination -------------------------------------------------------------------

def numbered_articles(count: int) -> dict[str, str]:
    """Articles 'Berita 01' (1 March 2025) ... one a day; the higher the number, the newer."""
    return {path_of(f"2025-03-{n:02d}-berita-{n:02d}.md"): news(f"Berita {n:02d}", f"2025-03-{n:02d}")
            for n in range(1, count + 1)}


def test_index_is_paginated_newest_first(build):
    assert_built(build(numbered_articles(23)))
    expected = {"berita/": range(23, 13, -1), "berita/2/": range(13, 3, -1), "berita/3/": range(3, 0, -1)}
    for folder, numbers in expected.items():
        page = soup(folder)
        assert listed_titles(page) == [f"Berita {n:02d}" for n in numbers], folder
        for link in page.select(".news-list h2 a, .news-list h3 a"):
            assert_resolves(folder, link["href"])
    assert not (SITE / "berita/4").exists()
    assert not (SITE / "berita/1").exists()


@pytest.mark.parametrize("folder, previous, following, label", [
    ("berita/", None, "berita/2/", "Halaman 1 dari 3"),
    ("berita/2/", "berita/", "berita/3/", "Halaman 2 dari 3"),
    ("berita/3/", "berita/2/", None, "Halaman 3 dari 3"),
])
def test_pagination_links_reach_the_neighbouring_pages(build, folder, previous, following, label):
    assert_built(build(numbered_articles(23)))
    nav = soup(folder).select_one("nav.pagination")
    assert label in nav.get_text()
    for rel, target in (("prev", previous), ("next", following)):
        link = nav.find("a", rel=rel)
        if target is None:
            assert link is None
        else:
            assert resolve(folder, link["href"]) == (SITE / target / "index.html").resolve()
            assert (SITE / target / "index.html").is_file()


def test_ten_articles_fit_on_one_page(build):
    assert_built(build(numbered_articles(10)))
    assert len(listed_titles(soup("berita/"))) == 10
    assert soup("berita/").select_one("nav.pagination") is None
    assert not (SITE / "berita/2").exists()


def test_home_page_shows_the_five_newest(build):
    assert_built(build(numbered_articles(23)))
    home = soup("")
    assert listed_titles(home) == [f"Berita {n:02d}" for n in range(23, 18, -1)]
    more = home.find("a", string="Semua berita")
    assert resolve("", more["href"]) == (SITE / "berita/index.html").resolve()


# --- 5. Atom feeds -------------------------------------------------------------------

FEED_SITE = {
    path_of("2025-04-10-iuran.md"): news("Iuran & manfaat", "2025-04-10", "tags: [jkk, desa]", "author: Redaksi",
                                         "summary: Ringkasan <iuran>.",
                                         body="Lihat [desa](/desa/63-10-01-2005-segumbang/#news-heading).\n"),
    path_of("2025-04-16-pendaftaran.md"): news("Pendaftaran", "2025-04-16 09:30", "tags: [jkk]",
                                               body="Lanjutan dari [iuran](2025-04-10-iuran.md).\n"),
    path_of("2025-04-12-lain.md"): news("Lain", "2025-04-12",
                                       body="Baca [pendaftaran](2025-04-16-pendaftaran.md) di [beranda](/).\n"),
}


@pytest.mark.parametrize("path, titles, slugs", [
    ("berita/atom.xml", ["Pendaftaran", "Lain", "Iuran & manfaat"], ["pendaftaran", "lain", "iuran"]),
    ("berita/tag/jkk/atom.xml", ["Pendaftaran", "Iuran & manfaat"], ["pendaftaran", "iuran"]),
    ("berita/tag/desa/atom.xml", ["Iuran & manfaat"], ["iuran"]),
], ids=["all", "tag-jkk", "tag-desa"])
def test_feed_lists_entries_newest_first_with_absolute_links(build, path, titles, slugs):
    assert_built(build(FEED_SITE))
    parsed = feed(path)
    assert parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == titles
    assert [e.link for e in parsed.entries] == [f"{BASE_URL}berita/{slug}/" for slug in slugs]
    assert [e.id for e in parsed.entries] == [f"{BASE_URL}berita/{slug}/" for slug in slugs]
    published = [e.published_parsed for e in parsed.entries]
    assert published == sorted(published, reverse=True)
    assert {link.rel: link.href for link in parsed.feed.links}["self"] == BASE_URL + path
    for slug in slugs:
        assert (SITE / f"berita/{slug}/index.html").is_file()


def test_feed_entry_fields(build):
    assert_built(build(FEED_SITE))
    entries = {e.title: e for e in feed("berita/atom.xml").entries}
    assert entries["Pendaftaran"].published == "2025-04-16T09:30:00+07:00"
    assert entries["Iuran & manfaat"].author == "Redaksi"
    assert entries["Iuran & manfaat"].summary == "Ringkasan <iuran>."
    content = BeautifulSoup(entries["Iuran & manfaat"].content[0].value, "html.parser")
    assert content.a["href"] == f"{BASE_URL}{SEGUMBANG}#news-heading"
    content = BeautifulSoup(entries["Lain"].content[0].value, "html.parser")
    assert [a["href"] for a in content.find_all("a")] == [f"{BASE_URL}berita/pendaftaran/", BASE_URL]


def test_news_pages_announce_their_feed(build):
    assert_built(build(FEED_SITE))
    for folder, feed_file in (("berita/", "berita/atom.xml"), ("berita/tag/jkk/", "berita/tag/jkk/atom.xml")):
        link = soup(folder).find("link", rel="alternate", type="application/atom+xml")
        assert resolve(folder, link["href"]) == (SITE / feed_file).resolve()


def test_tag_page_lists_its_articles(build):
    assert_built(build(FEED_SITE))
    assert listed_titles(soup("berita/tag/jkk/")) == ["Pendaftaran", "Iuran & manfaat"]
    assert soup("berita/tag/jkk/").h1.get_text() == "Berita bertopik jkk"
    chips = soup("berita/iuran/").select("article .chips a.chip")
    assert [chip.get_text() for chip in chips] == ["jkk", "desa"]
    for chip, tag in zip(chips, ("jkk", "desa")):
        assert resolve("berita/iuran/", chip["href"]) == (SITE / f"berita/tag/{tag}/index.html").resolve()


def test_tag_feed_links_to_other_articles_are_absolute(build):
    assert_built(build({
        path_of("2025-04-10-iuran.md"): news("Iuran", "2025-04-10"),
        path_of("2025-04-16-pendaftaran.md"): news("Pendaftaran", "2025-04-16", "tags: [jkk]",
                                                   body="Lanjutan dari [iuran](2025-04-10-iuran.md).\n"),
    }))
    entry = feed("berita/tag/jkk/atom.xml").entries[0]
    assert BeautifulSoup(entry.content[0].value, "html.parser").a["href"] == f"{BASE_URL}berita/iuran/"


def test_feed_template_is_packaged():
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = package_data["tool"]["setuptools"]["package-data"]["sitegen"]
    package = REPO / "sitegen"
    templates = [p.relative_to(package).as_posix() for p in (package / "theme" / "templates").rglob("*") if p.is_file()]
    assert "theme/templates/atom.xml" in templates
    assert [t for t in templates if not any(fnmatch.fnmatch(t, pattern) for pattern in patterns)] == []


# --- 6. articles on the pages of their places and of every region above ------------

PLACES_SITE = {
    path_of("2025-04-16-segumbang.md"): news("Kabar Segumbang", "2025-04-16", 'places: ["63.10.01.2005"]'),
    path_of("2025-04-15-pagatan.md"): news("Kabar Kusan Hilir", "2025-04-15", 'places: ["63.10.02"]'),
    path_of("2025-04-14-dua-desa.md"): news("Kabar dua desa", "2025-04-14",
                                            'places: ["63.10.01.2005", "63.10.01.1007"]'),
    path_of("2025-04-13-umum.md"): news("Kabar umum", "2025-04-13"),
}


@pytest.mark.parametrize("folder, heading, titles", [
    ("", "Berita terbaru", ["Kabar Segumbang", "Kabar Kusan Hilir", "Kabar dua desa", "Kabar umum"]),
    (BATU_LICIN, "Berita tentang Kecamatan Batu Licin", ["Kabar Segumbang", "Kabar dua desa"]),
    (SEGUMBANG, "Berita tentang Desa Segumbang", ["Kabar Segumbang", "Kabar dua desa"]),
    (BATULICIN, "Berita tentang Kelurahan Batulicin", ["Kabar dua desa"]),
    (KUSAN_HILIR, "Berita tentang Kecamatan Kusan Hilir", ["Kabar Kusan Hilir"]),
    ("desa/63-10-02-1001-kota-pagatan/", None, []),
], ids=["home", "batu-licin", "segumbang", "batulicin", "kusan-hilir", "kota-pagatan"])
def test_region_page_lists_news_about_it_and_the_places_inside_it(build, folder, heading, titles):
    assert_built(build(PLACES_SITE))
    page = soup(folder)
    assert listed_titles(page) == titles
    if heading is None:
        assert page.find(id="news-heading") is None
        return
    assert page.find(id="news-heading").get_text() == heading
    for link in page.select(".news-list a"):
        assert_resolves(folder, link["href"])


def test_article_about_one_desa_is_not_on_other_regions(build):
    assert_built(build({path_of(HALO): news("Halo", "2025-04-16", 'places: ["63.10.01.2005"]')}))
    assert listed_titles(soup(SEGUMBANG)) == ["Halo"]
    assert listed_titles(soup(BATU_LICIN)) == ["Halo"]
    assert listed_titles(soup("")) == ["Halo"]
    assert listed_titles(soup(KUSAN_HILIR)) == []
    assert listed_titles(soup(BATULICIN)) == []


@pytest.mark.parametrize("slug, chips", [
    ("segumbang", {"Desa Segumbang": SEGUMBANG}),
    ("dua-desa", {"Desa Segumbang": SEGUMBANG, "Kelurahan Batulicin": BATULICIN}),
    ("pagatan", {"Kecamatan Kusan Hilir": KUSAN_HILIR}),
    ("umum", {}),
])
def test_article_place_chips_link_to_the_place_pages(build, slug, chips):
    assert_built(build(PLACES_SITE))
    folder = f"berita/{slug}/"
    links = soup(folder).select("article .chips a.chip")
    assert [a.get_text() for a in links] == list(chips)
    for link, target in zip(links, chips.values()):
        assert resolve(folder, link["href"]) == (SITE / target / "index.html").resolve()
        assert (SITE / target / "index.html").is_file()
    # the same chips in the news index, relative to the index
    item = next(li for li in soup("berita/").select(".news-list li") if li.select_one("h2 a, h3 a")["href"].endswith(f"/{slug}/"))
    for link, target in zip(item.select("a.chip"), chips.values()):
        assert resolve("berita/", link["href"]) == (SITE / target / "index.html").resolve()


# --- 7. links written in articles ----------------------------------------------------

LINKS_BODY = """\
[desa](/desa/63-10-01-2005-segumbang/) [kecamatan](/kecamatan/63-10-01-batu-licin/#news-heading)
[tanpa garis miring](/desa/63-10-01-2005-segumbang) [beranda](/) [berita](/berita/)
[lain](2025-04-10-lain.md) [lain lagi](2025-04-10-lain.md#bagian) [topik](/berita/tag/uji/)
[luar](https://example.com/a) [bagian](#catatan)
"""

LINKS_SITE = {
    path_of(HALO): news("Halo", "2025-04-16", "tags: [uji]", body=LINKS_BODY),
    path_of("2025-04-10-lain.md"): news("Lain", "2025-04-10", body="## Bagian\n\nIsi.\n"),
}


def test_site_links_in_articles_become_relative_links_that_resolve(build):
    assert_built(build(LINKS_SITE))
    folder = "berita/halo/"
    hrefs = {a.get_text(): a["href"] for a in soup(folder).select("article p:not(.chips) a")}
    assert hrefs == {
        "desa": f"../../{SEGUMBANG}",
        "kecamatan": f"../../{BATU_LICIN}#news-heading",
        "tanpa garis miring": f"../../{SEGUMBANG}",
        "beranda": "../../",
        "berita": "../../berita/",
        "lain": "../../berita/lain/",
        "lain lagi": "../../berita/lain/#bagian",
        "topik": "../../berita/tag/uji/",
        "luar": "https://example.com/a",
        "bagian": "#catatan",
    }
    for text, href in hrefs.items():
        if text not in ("luar", "bagian"):
            assert_resolves(folder, href)
    assert soup("berita/lain/").find(id="bagian") is not None


def test_site_links_in_feed_entries_are_absolute(build):
    assert_built(build(LINKS_SITE))
    entry = next(e for e in feed("berita/atom.xml").entries if e.title == "Halo")
    hrefs = {a.get_text(): a["href"] for a in BeautifulSoup(entry.content[0].value, "html.parser").find_all("a")}
    assert hrefs["desa"] == BASE_URL + SEGUMBANG
    assert hrefs["beranda"] == BASE_URL
    assert hrefs["lain lagi"] == BASE_URL + "berita/lain/#bagian"
    assert hrefs["luar"] == "https://example.com/a"


# --- 8. sitegen new news -------------------------------------------------------------

def new_article_path(slug: str) -> Path:
    return Path("content/news") / f"{dt.date.today().isoformat()}-{slug}.md"


def test_new_news_writes_a_draft_that_builds_once_published(make_site, run_cli):
    make_site({})
    result = run_cli("new", "news", "Judul Baru", "--content", "content")
    path = new_article_path("judul-baru")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(path)
    assert path.is_file()

    result = run_cli("build")                   # as written: valid, but a draft
    assert_built(result)
    assert "held back 1 article(s)" in result.output
    assert not (SITE / "berita/judul-baru").exists()

    text = path.read_text(encoding="utf-8")
    published = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("draft:"))
    published = published.replace("places: []", 'places: ["63.10.01.2005"]', 1)
    assert published.count("63.10.01.2005") == 2 and "draft" not in published
    path.write_text(published, encoding="utf-8")
    result = run_cli("build")
    assert_built(result)
    assert "held back" not in result.output
    page = soup("berita/judul-baru/")
    assert page.h1.get_text() == "Judul Baru"
    assert page.select_one("article time")["datetime"] == dt.date.today().isoformat()
    assert "Judul Baru" in listed_titles(soup(SEGUMBANG))


def test_new_news_refuses_to_overwrite(make_site, run_cli):
    make_site({})
    assert run_cli("new", "news", "Judul Baru", "--content", "content").exit_code == 0
    path = new_article_path("judul-baru")
    path.write_text(news("Sudah diedit", "2025-04-16"), encoding="utf-8")
    result = run_cli("new", "news", "Judul Baru", "--content", "content")
    assert result.exit_code == 1
    assert f"sitegen: {path} already exists; choose another title" in result.output
    assert path.read_text(encoding="utf-8") == news("Sudah diedit", "2025-04-16")


@pytest.mark.parametrize("title, slug", [
    ('Iuran "JKK" naik: 5% \\ setahun', "iuran-jkk-naik-5-setahun"),
    ("Ragam Bahasa: Tōkyō & Kota Baru", "ragam-bahasa-tokyo-kota-baru"),
    ("Sebuah judul yang sangat panjang sekali untuk menguji pemotongan nama berkas",
     "sebuah-judul-yang-sangat-panjang-sekali-untuk-menguji-pemoto"),
])
def test_new_news_keeps_any_title(make_site, run_cli, title, slug):
    make_site({})
    result = run_cli("new", "news", title, "--content", "content")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(new_article_path(slug))
    assert_built(run_cli("build", "--drafts"))
    assert soup(f"berita/{slug}/").h1.get_text() == title


def test_new_news_without_letters_in_the_title_gets_a_news_slug(make_site, run_cli):
    make_site({})
    result = run_cli("new", "news", "!!!", "--content", "content")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(new_article_path("berita"))


# --- 9. images -----------------------------------------------------------------------

@pytest.mark.parametrize("image", ["foto.png", "gambar/foto.png"])
def test_article_image_is_copied_with_its_size(build, image):
    picture = png(3, 2)
    result = build({
        path_of(HALO): news("Halo", "2025-04-16", f"image: {image}", "image_alt: Warga mendaftar di balai desa"),
        path_of(image): picture,
    })
    assert_built(result)
    assert (SITE / "berita/halo/foto.png").read_bytes() == picture
    img = soup("berita/halo/").select_one("article figure img")
    assert img.attrs == {"src": "foto.png", "alt": "Warga mendaftar di balai desa", "width": "3", "height": "2",
                         "loading": "lazy"}
    assert resolve("berita/halo/", img["src"]) == (SITE / "berita/halo/foto.png").resolve()


def test_image_of_unknown_size_is_shown_without_dimensions(build):
    result = build({path_of(HALO): news("Halo", "2025-04-16", "image: foto.png", "image_alt: Foto"),
                    path_of("foto.png"): b"not really a picture"})
    assert_built(result)
    img = soup("berita/halo/").select_one("article figure img")
    assert img.attrs == {"src": "foto.png", "alt": "Foto", "loading": "lazy"}


# --- 10. sitemap ---------------------------------------------------------------------

def test_sitemap_lists_every_news_page(build):
    assert_built(build(FEED_SITE))
    urls = sitemap_urls()
    news_urls = {u for u in urls if u.startswith(BASE_URL + "berita/")}
    assert news_urls == {BASE_URL + path for path in (
        "berita/", "berita/iuran/", "berita/pendaftaran/", "berita/lain/", "berita/tag/jkk/", "berita/tag/desa/")}
    for url in urls:
        assert (SITE / url.removeprefix(BASE_URL) / "index.html").is_file(), url
    listed = sum(path.read_text(encoding="utf-8").count("<loc>") for path in SITE.glob("sitemap-*.xml"))
    assert listed == len(urls)  # no page twice


def test_section_headings_never_skip_a_level():
    import re

    from sitegen.inputs.articles import render_markdown

    as_guided = render_markdown("Intro.\n\n## Bagian\n\n### Sub\n", 1)[0]   # what docs/editing.md asks for
    with_one_hash = render_markdown("Intro.\n\n# Bagian\n\n## Sub\n", 1)[0]
    for html in (as_guided, with_one_hash):
        assert re.findall(r"<(h\d)", html) == ["h2", "h3"], html


def test_article_html_is_cached_by_body_and_a_changed_body_is_converted_again(tmp_path, monkeypatch):
    from sitegen.errors import Problems
    from sitegen.fast.markdown import StoredMarkdown
    from sitegen.inputs import articles as content

    news_dir = tmp_path / "content" / "news"
    news_dir.mkdir(parents=True)
    article = news_dir / "2025-04-01-satu.md"
    article.write_text(news("Satu", "2025-04-01", body="Ada **tebal** dan [tautan](https://example.org/).\n"),
                       encoding="utf-8")
    cache = tmp_path / "cache"
    converted = []
    real = content.render_markdown
    monkeypatch.setattr(content, "render_markdown", lambda body, line: converted.append(body) or real(body, line))

    def load():
        problems = Problems()
        articles = content.load_articles(tmp_path / "content", {"63.10"}, problems,
                                         rendered=StoredMarkdown(cache / "markdown"))
        assert problems.error_count() == 0
        return articles[0]

    first, again = load(), load()
    assert len(converted) == 1  # the second load read the cached HTML
    assert again.body_html == first.body_html and again.links == first.links
    assert "<strong>tebal</strong>" in first.body_html
    article.write_text(news("Satu", "2025-04-01", body="Sekarang *miring*.\n"), encoding="utf-8")
    changed = load()
    assert len(converted) == 2 and "<em>miring</em>" in changed.body_html
    assert len(list((cache / "markdown").iterdir())) == 1  # the old body's HTML is gone
