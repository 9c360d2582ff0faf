"""Open data: the static API matches its schema and the input, downloads are safe in a
spreadsheet, the zip holds the data, and the target and cost figures are computed right."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from fractions import Fraction

import jsonschema
import pytest

from sitegen.inputs import coverage
from sitegen.pages.api import csv_bytes, csv_cell, neutralise
from sitegen.inputs.targets import Rates, projected_period

from conftest import COVERAGE_CSV, REGIONS_CSV, REPO

SCHEMAS = REPO / "docs" / "api"


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def expected_cells(rows: list[dict], code: str, root: str) -> dict:
    """(period, segment) → (covered, eligible or None) summed over the rows of a region and everything in it."""
    sums = defaultdict(lambda: [0, 0, False])
    for row in rows:
        inside = row["region_code"] == code or row["region_code"].startswith(code + ".") or code == root
        if inside:
            cell = sums[(row["period"], row["segment"])]
            cell[0] += int(row["covered"])
            if row["eligible"].strip():
                cell[1] += int(row["eligible"])
            else:
                cell[2] = True
    return {key: (c, None if unknown else e) for key, (c, e, unknown) in sums.items()}


def test_every_api_file_matches_its_schema(bundled_site):
    one = validator("wilayah.schema.json")
    files = sorted((bundled_site / "api" / "v1" / "wilayah").glob("*.json"))
    assert len(files) == 170
    for path in files:
        one.validate(json.loads(path.read_text(encoding="utf-8")))
    index = json.loads((bundled_site / "api" / "v1" / "index.json").read_text(encoding="utf-8"))
    validator("index.schema.json").validate(index)
    assert {r["code"] for r in index["regions"]} == {p.stem for p in files}


def test_api_totals_equal_the_sums_of_coverage_csv_for_every_region_and_period(bundled_site):
    rows = list(csv.DictReader(io.StringIO((REPO / "data" / "coverage.csv").read_text(encoding="utf-8"))))
    for path in (bundled_site / "api" / "v1" / "wilayah").glob("*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        got = {(c["period"], c["segment"]): (c["covered"], c["eligible"]) for c in record["coverage"]}
        assert got == expected_cells(rows, record["code"], "63.10"), record["code"]


def test_region_csv_holds_the_same_rows_as_its_json(bundled_site):
    folder = bundled_site / "api" / "v1" / "wilayah"
    for path in list(folder.glob("*.json"))[:40]:
        record = json.loads(path.read_text(encoding="utf-8"))
        raw = (folder / f"{record['code']}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the names as UTF-8
        table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        assert [(r["period"], r["region_code"], r["region_name"], r["segment"], int(r["covered"]),
                 int(r["eligible"]) if r["eligible"] else None) for r in table] == [
            (c["period"], record["code"], record["name"], c["segment"], c["covered"], c["eligible"])
            for c in record["coverage"]]


def test_region_page_links_its_downloads_and_shows_the_cost(bundled_site):
    page = (bundled_site / "desa" / "63-10-04-2006-jombang" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../api/v1/wilayah/63.10.04.2006.csv"' in page
    assert 'href="../../api/v1/wilayah/63.10.04.2006.json"' in page
    record = json.loads((bundled_site / "api" / "v1" / "wilayah" / "63.10.04.2006.json").read_text(encoding="utf-8"))
    uncovered, cost = record["target"]["uncovered"], record["target"]["yearly_cost_rp"]
    assert uncovered == record["latest"]["eligible"] - record["latest"]["covered"]
    assert cost == uncovered * 16_800 * 12
    assert f"Rp{cost:,}".replace(",", ".") + " per tahun" in page
    assert f"melindungi {uncovered:,}".replace(",", ".") in page


@pytest.mark.parametrize("text, expected", [
    ("=1+1", "'=1+1"), ("+62 812", "'+62 812"), ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Sungai Dua", "Sungai Dua"), ("", ""),
])
def test_text_cells_that_a_spreadsheet_would_run_are_neutralised(text, expected):
    assert neutralise(text) == expected


def test_numbers_are_not_mistaken_for_formulas():
    assert csv_bytes(("n",), [(-3,)]).decode("utf-8-sig") == "n\r\n-3\r\n"


@pytest.mark.parametrize("name", ["Sungai Dua", '=HYPERLINK("x")', "a,b", 'say "hi"', "-1", "line\nbreak"])
def test_a_quick_cell_is_written_as_the_csv_module_writes_it(name):
    reference = csv_bytes(("a", "b"), [("p", name)]).decode("utf-8-sig").split("\r\n", 1)[1]
    assert f"p,{csv_cell(name)}\r\n" == reference


def test_a_formula_in_a_region_name_is_neutralised_in_every_download(make_site, run_cli):
    root = make_site({"data/regions.csv": REGIONS_CSV.replace("Segumbang", "=cmd|' /C calc'!A0")})
    assert run_cli("build").exit_code == 0
    region_csv = (root / "_site" / "api" / "v1" / "wilayah" / "63.10.01.2005.csv").read_bytes().decode("utf-8-sig")
    assert {row["region_name"] for row in csv.DictReader(io.StringIO(region_csv))} == {"'=cmd|' /C calc'!A0"}
    regions = (root / "_site" / "unduh" / "wilayah.csv").read_bytes().decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in {row["name"] for row in csv.DictReader(io.StringIO(regions))}


def test_the_zip_holds_every_download(bundled_site):
    folder = bundled_site / "unduh"
    with zipfile.ZipFile(folder / "data.zip") as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == ["cakupan.csv", "wilayah.csv", "segmen.csv", "sumber.csv", "KAMUS-DATA.txt", "datapackage.json"]
        for name in names:
            assert archive.read(name) == (folder / name).read_bytes()
    assert (folder / "cakupan.csv").read_bytes() == (REPO / "data" / "coverage.csv").read_bytes()
    page = (folder / "index.html").read_text(encoding="utf-8")
    for name in names:
        assert f'href="{name}"' in page
    assert 'rel="license"' in page and "CC BY 4.0" in page


def test_a_zip_made_of_cached_pieces_equals_the_file_after_an_edit(make_site, run_cli, monkeypatch):
    monkeypatch.setattr(coverage, "PIECE_BYTES", 64)  # many pieces even in a small file
    root = make_site()
    assert run_cli("build").exit_code == 0
    edited = COVERAGE_CSV.replace("2025-04,63.10.01.2005,perangkat_desa,9,12", "2025-04,63.10.01.2005,perangkat_desa,10,12")
    (root / "data" / "coverage.csv").write_text(edited, encoding="utf-8")
    assert run_cli("build").exit_code == 0
    with zipfile.ZipFile(root / "_site" / "unduh" / "data.zip") as archive:
        assert archive.testzip() is None
        assert archive.read("cakupan.csv").decode("utf-8") == edited


def test_a_file_with_quotes_is_published_rewritten_and_neutralised(make_site, run_cli):
    quoted = COVERAGE_CSV.replace("2024-04,63.10.01.1007,perangkat_desa,5,10,src", '"2024-04","63.10.01.1007",perangkat_desa,5,10,src')
    root = make_site({"data/coverage.csv": quoted})
    assert run_cli("build").exit_code == 0
    published = (root / "_site" / "unduh" / "cakupan.csv").read_bytes()
    assert published.startswith(b"\xef\xbb\xbf") and b'"' not in published
    assert list(csv.reader(io.StringIO(published.decode("utf-8-sig")))) == list(csv.reader(io.StringIO(COVERAGE_CSV)))


RATES = Rates(1_000_000, Fraction(1), 10_000, 6_800, "PP 44/2015", "")


@pytest.mark.parametrize("income, pct, jkk", [
    (1_000_000, "1", 10_000),      # 1% of Rp1.000.000
    (500_000, "1", 10_000),        # 1% is Rp5.000: the floor applies
    (2_500_000, "1", 25_000),
    (1_000_000, "0.24", 10_000),   # Rp2.400: the floor applies
    (4_999_999, "1", 50_000),      # Rp49.999,99 rounds up to whole rupiah
])
def test_jkk_is_a_share_of_the_declared_income_with_a_floor(income, pct, jkk):
    rates = Rates(income, Fraction(pct), 10_000, 6_800, "PP 44/2015", "")
    assert rates.jkk_monthly == jkk
    assert rates.monthly_premium == jkk + 6_800


def test_yearly_cost_is_people_times_the_monthly_premium_times_twelve():
    assert RATES.monthly_premium == 16_800
    assert RATES.yearly_cost(412) == 83_059_200
    assert RATES.yearly_cost(0) == 0


@pytest.mark.parametrize("now, year_ago, expected", [
    (99.5, 90.0, ("reached", None)),          # at the target
    (100.0, 100.0, ("reached", None)),
    (90.0, 85.0, ("projected", "2027-03")),   # 9.5 points at 5 a year: 22.8 → 23 months after 2025-04
    (50.0, 50.0, ("not_at_pace", None)),      # no growth
    (50.0, 55.0, ("not_at_pace", None)),      # falling
    (10.0, 9.99, ("not_at_pace", None)),      # would take past 2100
    (None, 50.0, ("unknown", None)),          # no eligible workers known now
    (50.0, None, ("unknown", None)),          # nothing a year ago
])
def test_projection_edge_cases(now, year_ago, expected):
    assert projected_period(now, year_ago, 99.5, "2025-04") == expected


def test_rates_errors_name_the_file_line_and_field(make_site, run_cli):
    root = make_site({"data/rates.yaml": (
        "declared_monthly_income: 1000000\n"
        "jkk:\n"
        "  rate_pct: 150\n"
        "  minimum_monthly: -5\n"
        "jkm:\n"
        "  monthly: 6800\n"
        "source:\n"
        "  title: PP 44/2015\n")})
    result = run_cli("build")
    assert result.exit_code == 1
    assert "data/rates.yaml:3: jkk.rate_pct must be a percentage between 0 and 100, not 150" in result.output
    assert "data/rates.yaml:4: jkk.minimum_monthly must be a whole number of rupiah" in result.output
    assert not (root / "_site").exists()


def test_without_rates_pages_show_no_cost(make_site, run_cli):
    root = make_site()
    assert run_cli("build").exit_code == 0
    page = (root / "_site" / "index.html").read_text(encoding="utf-8")
    assert "per tahun" not in page
    record = json.loads((root / "_site" / "api" / "v1" / "wilayah" / "63.10.json").read_text(encoding="utf-8"))
    assert record["target"]["yearly_cost_rp"] is None


RATES_YAML = """\
declared_monthly_income: 1000000
jkk: {rate_pct: 1.0, minimum_monthly: 10000}
jkm: {monthly: 6800}
source: {title: PP 44/2015, url: https://peraturan.go.id/}
"""


def test_budgets_give_the_cost_as_a_share_of_the_village_fund(make_site, run_cli):
    root = make_site({"data/rates.yaml": RATES_YAML, "data/budgets.csv": (
        "year,region_code,add_amount\n"
        "2024,63.10.01.2005,500000000\n"
        "2025,63.10.01.2005,604800000\n"
        "2025,63.10.01.1007,302400000\n")})
    assert run_cli("build").exit_code == 0
    api = root / "_site" / "api" / "v1" / "wilayah"
    village = json.loads((api / "63.10.01.2005.json").read_text(encoding="utf-8"))["target"]
    # Segumbang, April 2025: 9 of 12 officials and 20 of 40 vulnerable workers covered → 23 unprotected
    assert village["uncovered"] == 23 and village["yearly_cost_rp"] == 23 * 16_800 * 12 == 4_636_800
    assert (village["add_year"], village["add_amount_rp"]) == (2025, 604_800_000)
    assert village["add_share_pct"] == round(4_636_800 * 100 / 604_800_000, 2)
    page = (root / "_site" / "desa" / "63-10-01-2005-segumbang" / "index.html").read_text(encoding="utf-8")
    assert "dari Alokasi Dana Desa 2025 (Rp604.800.000)" in page
    kecamatan = json.loads((api / "63.10.01.json").read_text(encoding="utf-8"))["target"]
    assert kecamatan["add_amount_rp"] == 907_200_000  # both villages of Batu Licin have an amount
    regency = json.loads((api / "63.10.json").read_text(encoding="utf-8"))["target"]
    assert regency["add_share_pct"] is None  # Kota Pagatan has none: no share for the regency


def test_budget_errors_name_the_line(make_site, run_cli):
    root = make_site({"data/budgets.csv": (
        "year,region_code,add_amount\n"
        "25,63.10.01.2005,1\n"
        "2025,63.10.01,1\n"
        "2025,63.10.01.2005,1.5\n"
        "2025,63.10.01.2005,10\n"
        "2025,63.10.01.2005,11\n")})
    result = run_cli("build")
    assert result.exit_code == 1
    for expected in ('data/budgets.csv:2: year "25" is not a year',
                     "data/budgets.csv:3: region_code 63.10.01 is a kecamatan",
                     'data/budgets.csv:4: add_amount "1.5" is not a whole number',
                     "data/budgets.csv:6: year 2025 of 63.10.01.2005 is given twice (first on line 5)"):
        assert expected in result.output, result.output
    assert not (root / "_site").exists()


def test_a_rates_change_updates_every_cost_like_a_clean_build(make_site, run_cli):
    root = make_site({"data/rates.yaml": RATES_YAML})
    assert run_cli("build").exit_code == 0
    (root / "data" / "rates.yaml").write_text(RATES_YAML.replace("monthly: 6800", "monthly: 7000"))
    assert run_cli("build").exit_code == 0  # an update over the previous output
    assert run_cli("build", "--out", "clean").exit_code == 0
    record = json.loads((root / "_site" / "api" / "v1" / "wilayah" / "63.10.01.2005.json").read_text(encoding="utf-8"))
    assert record["target"]["monthly_premium_rp"] == 17_000
    for path in (root / "clean").rglob("*"):
        if path.is_file() and path.name != ".sitegen-site":
            assert path.read_bytes() == (root / "_site" / path.relative_to(root / "clean")).read_bytes(), path


def test_a_large_zip_member_is_the_same_whether_deflated_now_or_read_from_the_cache(tmp_path):
    import zlib

    from sitegen.fast.downloads import DownloadCache
    from sitegen.pages import downloads as bulk

    data = "".join(f"63.10.01.{i:04d},Desa {i},desa,63.10.01,desa\n" for i in range(30_000)).encode()
    assert len(data) >= 1 << 20  # large enough to be cached (wilayah.csv at national scale)
    made = bulk.small_member("wilayah.csv", data, DownloadCache(tmp_path))
    cached = bulk.small_member("wilayah.csv", data, DownloadCache(tmp_path))
    assert list((tmp_path / "bulk" / "members").iterdir())  # the second call read this
    assert made == cached == bulk.small_member("wilayah.csv", data)
    assert made.crc == zlib.crc32(data)
    assert zlib.decompress(b"".join(made.deflated), -15) == data
