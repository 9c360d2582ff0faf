"""Real published figures (figures.yaml): shown with their sources on their region's page, apart
from the illustrative numbers and never added into them; a bad file is reported line by line."""

from __future__ import annotations

from pathlib import Path

import yaml
from bs4 import BeautifulSoup

from tests.conftest import REPO, SOURCES_YAML


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def bundled_figures() -> list[dict]:
    return yaml.safe_load((REPO / "data" / "figures.yaml").read_text(encoding="utf-8"))["figures"]


def test_every_published_figure_shows_on_the_regency_page_with_its_source(bundled_site):
    sources = {s["id"]: s for s in yaml.safe_load((REPO / "data" / "sources.yaml").read_text())["sources"]}
    for prefix, lang in (("", "id"), ("en/", "en")):
        block = soup(bundled_site / prefix / "index.html").select_one("section.published")
        items = block.select("dl.published-list > div")
        figures = bundled_figures()
        assert len(items) == len(figures)  # none dropped
        for item, figure in zip(items, figures):
            assert figure["label"][lang] in item.dt.get_text()
            assert item.select_one("dd a")["href"] == sources[figure["source"]]["url"]
            assert not sources[figure["source"]].get("illustrative")
    page = soup(bundled_site / "index.html")
    text = page.select_one("section.published").get_text(" ", strip=True)
    assert "10.488 orang" in text and "14 Juli 2025" in text
    assert "Rp125,33 miliar" in text and "35,68%" in text and "99,5%" in text
    assert "Nasional: Cakupan jaminan sosial ketenagakerjaan (UCJ)" in text
    # The cost share is said to come from illustrative figures, and the headline is the site's own sum.
    assert "dari angka ilustratif" in text
    headline = {dt.get_text(strip=True): dd.get_text(" ", strip=True)
                for dt, dd in zip(page.select(".headline .figures dt"), page.select(".headline .figures dd"))}
    assert headline["Pekerja terlindungi"] == "10.338"


def test_the_cost_share_is_the_yearly_cost_over_the_published_amount(bundled_site):
    page = soup(bundled_site / "index.html")
    cost = page.select_one(".target .cost strong").get_text()  # 'Rp3.588.278.400 per tahun'
    amount = int(cost.split()[0].removeprefix("Rp").replace(".", ""))
    share = f"{100 * amount / 125_330_000_000:.2f}".replace(".", ",") + "%"
    text = page.select_one("section.published").get_text(" ", strip=True)
    assert f"Rp{amount:,}".replace(",", ".") in text and share in text


def test_only_the_regions_own_figures_show(bundled_site):
    kecamatan = next((bundled_site / "kecamatan").iterdir()) / "index.html"
    assert soup(kecamatan).select_one("section.published") is None


GOOD = """\
figures:
  - id: ok
    region: "63.10"
    label: {id: Pekerja, en: Workers}
    value: 10488
    unit: orang
    date: 2025-07-14
    source: real
"""

REAL_SOURCE = SOURCES_YAML + """\
  - id: real
    publisher: Koran
    title: Berita
    date: 2025-07-14
    url: https://example.org/berita
  - id: nourl
    publisher: Koran
    title: Berita tanpa alamat
    url: ""
"""

BAD = GOOD + """\
  - id: ok
    region: "99.99"
    label: {id: Dua}
    value: "10.488"
    unit: jiwa
    date: April 2025
    source: src
  - id: pct
    region: nasional
    label: {id: Persen, en: Percent}
    value: 135.5
    unit: persen
    date: 2025-04
    source: nourl
    cost_share: true
"""


def test_bad_figures_are_reported_all_at_once_with_their_lines(make_site, run_cli):
    make_site({"data/sources.yaml": REAL_SOURCE, "data/figures.yaml": BAD})
    result = run_cli("build")
    assert result.exit_code == 1
    out = result.output
    for expected in ("figures.yaml:9: id 'ok' is given twice (first on line 2)",
                     "figures.yaml:10: region '99.99' is neither a code in regions.csv nor 'nasional'",
                     "figures.yaml:11: label.en must be a non-empty text",
                     "figures.yaml:12: value '10.488' must be a number of at least 0",
                     "figures.yaml:13: unit 'jiwa' must be one of orang, persen, rupiah",
                     "figures.yaml:14: date 'April 2025' must be a year, a month or a day",
                     "figures.yaml:15: source 'src' is marked illustrative",
                     "figures.yaml:19: value 135.5 is a percentage above 100",
                     "figures.yaml:22: source 'nourl' has no url",
                     "figures.yaml:23: cost_share must be true or false, and true only for an amount in rupiah"):
        assert expected in out, (expected, out)
    assert not Path("_site").exists()


def test_a_good_file_shows_on_its_regions_page(make_site, run_cli):
    make_site({"data/sources.yaml": REAL_SOURCE, "data/figures.yaml": GOOD})
    assert run_cli("build").exit_code == 0
    block = soup(Path("_site/index.html")).select_one("section.published")
    assert "10.488 orang" in block.get_text(" ", strip=True)
    assert block.select_one("a")["href"] == "https://example.org/berita"


def test_a_day_that_does_not_exist_is_reported(make_site, run_cli):
    make_site({"data/sources.yaml": REAL_SOURCE, "data/figures.yaml": GOOD.replace("2025-07-14", '"2025-02-31"')})
    result = run_cli("build")
    assert result.exit_code == 1 and "figures.yaml:7: date '2025-02-31' must be a year, a month or a day" in result.output
