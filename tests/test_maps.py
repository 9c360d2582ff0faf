"""Choropleth maps: boundaries are checked, drawn the way d3 expects, and no region is dropped."""

from __future__ import annotations

import json
import re

from sitegen.errors import Problems
from sitegen.inputs.boundaries import for_d3, load_boundaries

SQUARE = [[[115.0, -3.0], [115.1, -3.0], [115.1, -2.9], [115.0, -2.9], [115.0, -3.0]]]  # counter-clockwise


def collection(*features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def feature(code, geometry=None):
    return {"type": "Feature", "properties": {"code": code},
            "geometry": geometry or {"type": "Polygon", "coordinates": SQUARE}}


def test_rings_are_reversed_for_d3():
    assert for_d3(SQUARE) == [SQUARE[0][::-1]]


def test_bad_features_are_reported_with_the_file(tmp_path):
    folder = tmp_path / "boundaries"
    folder.mkdir()
    (folder / "desa.geojson").write_text(collection(
        feature("63.10.01.2005"), feature("99.99"), feature("63.10.01.2005"),
        feature("63.10.01.1007", {"type": "Point", "coordinates": [115.0, -3.0]})))
    problems = Problems()
    shapes = load_boundaries(tmp_path, {"63.10.01.2005", "63.10.01.1007"}, problems)
    messages = [str(p) for p in problems.errors]
    assert any("desa.geojson: feature 2: properties.code '99.99' is not in regions.csv" in m for m in messages)
    assert any("feature 3: region 63.10.01.2005 has a second polygon" in m for m in messages)
    assert any("feature 4 (63.10.01.1007): geometry must be a Polygon or MultiPolygon" in m for m in messages)
    assert list(shapes) == ["63.10.01.2005"]


def test_invalid_json_names_its_line(tmp_path):
    (tmp_path / "boundaries").mkdir()
    (tmp_path / "boundaries" / "kecamatan.geojson").write_text('{"type": "FeatureCollection",\n "features": [,]}')
    problems = Problems()
    load_boundaries(tmp_path, set(), problems)
    assert "kecamatan.geojson:2: is not valid JSON" in str(problems.errors[0])


def map_spec(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="chart-map-spec">(.*?)</script>', page, re.S).group(1))


def test_home_page_maps_every_kecamatan_and_satui_lists_its_villages_without_a_polygon(bundled_site):
    home = map_spec((bundled_site / "index.html").read_text(encoding="utf-8"))
    features = next(iter(home["datasets"].values()))
    assert len(features) == 12 and all(f["properties"]["url"].startswith("kecamatan/") for f in features)
    satui = (bundled_site / "kecamatan" / "63-10-04-satui" / "index.html").read_text(encoding="utf-8")
    drawn = {f["properties"]["name"] for f in next(iter(map_spec(satui)["datasets"].values()))}
    missing = re.search(r'class="chart-missing">[^:]*: (.*?)\.', satui).group(1).split(", ")
    assert len(drawn) == 16 and len(missing) == 4 and not drawn & set(missing)
    assert all(f"{name}</a>" in satui for name in drawn | set(missing))  # every village is in the table
