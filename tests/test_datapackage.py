"""The download folder for machines: datapackage.json passes `frictionless validate` (types, keys
between the tables), the DCAT catalogue and the schema.org markup name every download."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from bs4 import BeautifulSoup

BASE_URL = "https://example.org/jamsostek-tanah-bumbu/"
FRICTIONLESS = Path(sys.executable).parent / "frictionless"


def validate(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(FRICTIONLESS), "validate", "--json", "datapackage.json"], cwd=folder,
                          capture_output=True, text=True, timeout=300)


def test_the_published_package_is_valid(bundled_site):
    result = validate(bundled_site / "unduh")
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["valid"], result.stdout[-3000:]
    assert sorted(task["name"] for task in report["tasks"]) == ["cakupan", "segmen", "sumber", "wilayah"]
    # Every row was read: the package describes the whole file, not a sample.
    rows = {task["name"]: task["stats"]["rows"] for task in report["tasks"]}
    lines = (bundled_site / "unduh" / "cakupan.csv").read_bytes().count(b"\n") - 1
    assert rows["cakupan"] == lines


def test_the_package_declares_keys_that_validation_checks(bundled_site, tmp_path):
    package = json.loads((bundled_site / "unduh" / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in package["resources"]}
    coverage = resources["cakupan"]["schema"]
    assert coverage["primaryKey"] == ["period", "region_code", "segment"]
    assert {fk["reference"]["resource"] for fk in coverage["foreignKeys"]} == {"wilayah", "segmen", "sumber"}
    assert package["licenses"][0]["path"] == "https://creativecommons.org/licenses/by/4.0/"
    assert any(s.get("path", "").startswith("https://bakabar.com/") for s in package["sources"])
    # A row naming a region that wilayah.csv does not have, and a duplicated row, fail validation.
    broken = tmp_path / "unduh"
    shutil.copytree(bundled_site / "unduh", broken)
    with open(broken / "cakupan.csv", "a", encoding="utf-8", newline="") as f:
        f.write("2025-04,63.10.99.9999,perangkat_desa,1,2,ilustrasi-tanah-bumbu\r\n")
    report = json.loads(validate(broken).stdout)
    assert not report["valid"]
    kinds = {error["type"] for task in report["tasks"] for error in task["errors"]}
    assert "foreign-key" in kinds


def test_the_zip_carries_the_package_too(bundled_site):
    with zipfile.ZipFile(io.BytesIO((bundled_site / "unduh" / "data.zip").read_bytes())) as archive:
        assert archive.read("datapackage.json") == (bundled_site / "unduh" / "datapackage.json").read_bytes()


def test_the_dcat_catalogue_lists_every_download(bundled_site):
    catalog = json.loads((bundled_site / "unduh" / "catalog.jsonld").read_text(encoding="utf-8"))
    assert catalog["@type"] == "dcat:Catalog" and catalog["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    dataset = catalog["dcat:dataset"][0]
    assert dataset["dct:temporal"]["dcat:startDate"]["@value"] == "2023-01"
    assert dataset["dct:temporal"]["dcat:endDate"]["@value"] == "2025-04"
    urls = {d["dcat:downloadURL"]["@id"]: int(d["dcat:byteSize"]["@value"]) for d in dataset["dcat:distribution"]}
    for name in ("cakupan.csv", "wilayah.csv", "segmen.csv", "sumber.csv", "data.zip", "datapackage.json"):
        assert urls[BASE_URL + "unduh/" + name] == (bundled_site / "unduh" / name).stat().st_size


def test_the_download_page_has_schema_org_dataset_markup(bundled_site):
    for prefix, lang in (("", "id"), ("en/", "en")):
        soup = BeautifulSoup((bundled_site / prefix / "unduh" / "index.html").read_text(encoding="utf-8"),
                             "html.parser")
        dataset = json.loads(soup.find("script", type="application/ld+json").string)
        assert dataset["@type"] == "Dataset" and dataset["inLanguage"] == lang
        assert len(dataset["description"]) >= 50  # Google's minimum
        assert dataset["temporalCoverage"] == "2023-01/2025-04"
        assert {d["contentUrl"] for d in dataset["distribution"]} >= {BASE_URL + "unduh/cakupan.csv",
                                                                      BASE_URL + "unduh/data.zip"}
        assert soup.find("a", string="catalog.jsonld")["href"] in ("catalog.jsonld", "../../unduh/catalog.jsonld")
