"""`sitegen build --previous`: what changed in the data since the published site."""

from __future__ import annotations

import json
import shutil

from conftest import COVERAGE_CSV, REGIONS_CSV

REVISED = COVERAGE_CSV.replace("2025-04,63.10.01.2005,perangkat_desa,9,12,src", "2025-04,63.10.01.2005,perangkat_desa,11,12,src")
NEW_MONTH = REVISED + "2025-05,63.10.01.2005,perangkat_desa,12,12,src\n"


def text_of(path) -> str:
    import re
    import html
    return re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", html.unescape(path.read_text(encoding="utf-8"))))


def test_without_previous_the_page_says_there_is_nothing_to_compare(make_site, run_cli):
    root = make_site()
    assert run_cli("build").exit_code == 0
    assert "Belum ada data terbitan sebelumnya untuk dibandingkan" in text_of(root / "_site" / "perubahan" / "index.html")


def test_revisions_new_months_and_regions_are_listed_against_the_published_folder(make_site, run_cli):
    root = make_site()
    assert run_cli("build", "--out", "published").exit_code == 0
    (root / "data" / "coverage.csv").write_text(NEW_MONTH.replace("2024-04,63.10.02.1001,perangkat_desa,4,8,src\n", ""))
    (root / "data" / "regions.csv").write_text(REGIONS_CSV + "63.10.02.2002,Sungai Dua,desa,63.10.02,desa\n")
    result = run_cli("build", "--previous", "published")
    assert result.exit_code == 0, result.output
    page = text_of(root / "_site" / "perubahan" / "index.html")
    assert "Bulan baru: Mei 2025." in page
    assert "2 angka diperbaiki di 2 wilayah." in page
    assert "Desa Segumbang 63.10.01.2005 Perangkat desa April 2025 9 / 12 11 / 12" in page
    assert "Kelurahan Kota Pagatan 63.10.02.1001 Perangkat desa April 2024 4 / 8 dihapus" in page
    assert "Wilayah baru: 63.10.02.2002." in page
    village = text_of(root / "_site" / "desa" / "63-10-01-2005-segumbang" / "index.html")
    assert "Perubahan data terakhir" in village and "April 2025 9 / 12 11 / 12" in village
    untouched = text_of(root / "_site" / "desa" / "63-10-01-1007-batulicin" / "index.html")
    assert "Perubahan data terakhir" not in untouched


def test_an_index_json_compares_the_latest_headline_figures(make_site, run_cli):
    root = make_site()
    assert run_cli("build", "--out", "published").exit_code == 0
    shutil.copy(root / "published" / "api" / "v1" / "index.json", root / "index.json")
    (root / "data" / "coverage.csv").write_text(REVISED)
    assert run_cli("build", "--previous", "index.json").exit_code == 0
    page = text_of(root / "_site" / "perubahan" / "index.html")
    # the village, its kecamatan and the regency: each headline moved by two people
    assert "3 angka diperbaiki di 3 wilayah." in page
    assert "Desa Segumbang 63.10.01.2005 Ringkasan April 2025 29 / 52 31 / 52" in page


def test_a_previous_that_is_not_a_published_site_is_an_error(make_site, run_cli, tmp_path):
    root = make_site()
    (root / "empty").mkdir()
    result = run_cli("build", "--previous", "empty")
    assert result.exit_code == 1
    assert "--previous needs the folder of the published site" in result.output
    (root / "bad.json").write_text(json.dumps({"regions": "no"}))
    assert "is not an api/v1/index.json published by sitegen" in run_cli("build", "--previous", "bad.json").output
    assert not (root / "_site").exists()


def test_an_update_build_with_previous_equals_a_clean_build(make_site, run_cli):
    root = make_site()
    assert run_cli("build", "--out", "published").exit_code == 0
    (root / "data" / "coverage.csv").write_text(REVISED)
    assert run_cli("build").exit_code == 0  # the same data, compared with nothing
    result = run_cli("build", "--previous", "published")  # an update: only the changes differ
    assert result.exit_code == 0 and "(1 rendered," in result.output, result.output
    assert run_cli("build", "--previous", "published", "--out", "clean").exit_code == 0
    for path in (root / "clean").rglob("*"):
        if path.is_file() and path.name != ".sitegen-site":
            assert path.read_bytes() == (root / "_site" / path.relative_to(root / "clean")).read_bytes(), path
