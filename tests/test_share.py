"""Share images: a card per region page (the regency's and every kecamatan's at least), named in
og:image with its size and alt text, within WhatsApp's budget, drawn again only when its text changes."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from sitegen.fast import shareimages
from sitegen.fast.shareimages import ShareImageCache
from sitegen.pages.share import AUTO_DESA_LIMIT, region_levels
from sitegen.render.shareimage import HEIGHT, WIDTH, ShareCard, draw_card

BASE_URL = "https://example.org/jamsostek-tanah-bumbu/"


def head_meta(page: Path) -> dict[str, str]:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return {tag.get("property") or tag.get("name"): tag["content"] for tag in soup.find_all("meta")
            if tag.get("property", "").startswith("og:image") or tag.get("name") == "twitter:card"}


def region_pages(site: Path, level: str) -> list[Path]:
    return sorted((site / level).glob("*/index.html"))


def test_regency_and_every_kecamatan_page_names_its_own_image_within_budget(bundled_site):
    pages = [bundled_site / "index.html", *region_pages(bundled_site, "kecamatan")]
    assert len(pages) == 13  # Tanah Bumbu and its twelve kecamatan
    for page in pages + [bundled_site / "en" / p.relative_to(bundled_site) for p in pages]:
        meta = head_meta(page)
        folder = page.parent.relative_to(bundled_site).as_posix()
        expected = BASE_URL + ("" if folder == "." else folder + "/") + "pratinjau.png"
        assert meta["og:image"] == expected, page
        assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630")
        assert meta["twitter:card"] == "summary_large_image"
        image_file = page.parent / "pratinjau.png"
        data = image_file.read_bytes()
        assert len(data) < 300_000
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)


def test_the_alt_text_says_what_the_card_shows_in_the_page_language(bundled_site):
    page = region_pages(bundled_site, "kecamatan")[0]
    alt_id = head_meta(page)["og:image:alt"]
    alt_en = head_meta(bundled_site / "en" / page.relative_to(bundled_site))["og:image:alt"]
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    name = soup.h1.get_text(" ", strip=True)
    assert alt_id.startswith(name.split(" · ")[0]) or name in alt_id
    assert "pekerja desa terlindungi, April 2025" in alt_id and "belum terlindungi" in alt_id
    assert "village workers protected, April 2025" in alt_en and "not yet protected" in alt_en
    # The figure in the alt text is the page's own coverage.
    rate = re.search(r": ([\d.,]+%)", alt_id).group(1)
    assert rate in soup.select_one(".headline").get_text()
    # The Indonesian and English cards differ (their text does), each in its language's folder.
    assert (page.parent / "pratinjau.png").read_bytes() != \
        (bundled_site / "en" / page.parent.relative_to(bundled_site) / "pratinjau.png").read_bytes()


def test_pages_without_their_own_image_share_the_home_pages(bundled_site):
    for page in (bundled_site / "unduh" / "index.html", bundled_site / "en" / "metodologi" / "index.html"):
        meta = head_meta(page)
        prefix = "en/" if "/en/" in page.as_posix() else ""
        assert meta["og:image"] == BASE_URL + prefix + "pratinjau.png"
        assert meta["twitter:card"] == "summary_large_image"


def test_desa_cards_by_scale():
    above = {"nasional", "provinsi", "kabupaten", "kecamatan"}
    assert region_levels("auto", 149) == above | {"desa"}  # a kabupaten
    assert region_levels("auto", AUTO_DESA_LIMIT + 1) == above  # a province or the country
    assert region_levels("all", 83_000) == above | {"desa"}
    assert region_levels("above-desa", 10) == above
    assert region_levels("none", 10) == set()


def test_an_illustrative_card_says_so_and_a_real_one_does_not(make_site, run_cli):
    from tests.conftest import SOURCES_YAML
    make_site()  # its one source is illustrative
    assert run_cli("build").exit_code == 0
    page = Path("_site/kecamatan/63-10-01-batu-licin/index.html")
    assert "Angka ilustratif · bukan data resmi" in head_meta(page)["og:image:alt"]
    illustrative_card = (page.parent / "pratinjau.png").read_bytes()
    Path("data/sources.yaml").write_text(SOURCES_YAML.replace("illustrative: true", "illustrative: false"))
    assert run_cli("build").exit_code == 0
    assert "ilustratif" not in head_meta(page)["og:image:alt"]
    assert (page.parent / "pratinjau.png").read_bytes() != illustrative_card


def test_share_images_none_publishes_no_image(make_site, run_cli):
    from tests.conftest import SITE_YAML
    make_site({"data/site.yaml": SITE_YAML + "share_images: none\n"})
    result = run_cli("build")
    assert result.exit_code == 0, result.output
    assert not list(Path("_site").rglob("pratinjau.png"))
    meta = head_meta(Path("_site/index.html"))
    assert "og:image" not in meta and meta["twitter:card"] == "summary"


def test_an_unknown_share_images_setting_is_reported_with_its_line(make_site, run_cli):
    from tests.conftest import SITE_YAML
    make_site({"data/site.yaml": SITE_YAML + "share_images: some\n"})
    result = run_cli("build")
    assert result.exit_code == 1
    line = SITE_YAML.count("\n") + 1
    assert f"site.yaml:{line}: share_images 'some' must be one of auto, all, above-desa, none" in result.output


def test_the_cache_draws_a_card_once_and_again_when_its_text_changes(tmp_path, monkeypatch):
    card = ShareCard("Situs", "Kecamatan Batu Licin", "43,9%", "pekerja desa terlindungi, April 2025",
                     "717 pekerja belum terlindungi", 43.9, 99.5, "target 99,5% pada 2045", "", "example.org")
    cache = ShareImageCache(tmp_path / "share-images")
    drawn = []
    monkeypatch.setattr(shareimages, "draw_card", lambda c: drawn.append(c) or draw_card(c))
    first = cache("kecamatan/x/pratinjau.png", card)
    assert first == draw_card(card) and len(drawn) == 1
    assert cache("kecamatan/x/pratinjau.png", card) == first and len(drawn) == 1  # read back, not drawn
    changed = ShareCard(**{**card.__dict__, "figure": "44,0%", "rate": 44.0})
    assert cache("kecamatan/x/pratinjau.png", changed) == draw_card(changed) and len(drawn) == 2
    assert len(list((tmp_path / "share-images").iterdir())) == 1  # one file per image path, replaced


@pytest.mark.parametrize("heading", ["Desa Sungai Kecil Kecamatan Kusan Hilir Selatan Bagian Timur Laut Jauh Sekali"])
def test_a_long_name_is_drawn_smaller_to_fit(heading):
    from sitegen.render.shareimage import MARGIN, fitted_font
    assert fitted_font(heading, 64, WIDTH - 2 * MARGIN).getlength(heading) <= WIDTH - 2 * MARGIN


def test_card_text_keeps_to_the_characters_the_font_has():
    from sitegen.pages.share import drawable
    assert drawable("–") == "-" and drawable("−5,0%") == "-5,0%" and drawable("1\u00a0234") == "1 234"


@pytest.mark.parametrize("text, size", [("Desa Sungai Loban Bersatu", 64), ("72,4%", 132),
                                        ("1.234 pekerja belum terlindungi", 44), ("Gampong Meunasah (Aceh) · 7", 64)])
def test_text_from_character_masks_matches_pillow_drawing_the_string(text, size):
    from PIL import ImageDraw

    from sitegen.render.shareimage import draw_text, font

    whole, pieces = Image.new("1", (1200, 200)), Image.new("1", (1200, 200))
    draw = ImageDraw.Draw(whole)
    draw.fontmode = "1"
    draw.text((60, 20), text, font=font(size), fill=1)
    draw_text(pieces, (60, 20), text, size, 1)
    # FreeType places the glyphs of a whole string at fractions of a pixel, the masks at whole pixels:
    # the text may end a pixel or two apart, with the same ink.
    assert all(abs(a - b) <= 3 for a, b in zip(whole.getbbox(), pieces.getbbox()))
    ink = [im.convert("L").histogram()[255] for im in (whole, pieces)]
    assert ink[0] > 100 and abs(ink[0] - ink[1]) <= 0.05 * ink[0]
