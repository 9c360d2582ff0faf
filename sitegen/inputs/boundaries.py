"""Boundaries for choropleth maps: `data/boundaries/*.geojson`, optional.

Each feature names its region by `properties.code`; a region page with children
that have polygons gets a map of them (the home page of Tanah Bumbu: its
kecamatan; a kecamatan page: its villages). Children without a polygon are
listed beside the map, never dropped. Coordinates are rounded to 4 decimals
(about 11 m) to keep pages light, and rings are turned the way d3-geo wants them.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import Problems, tr
from .files import decode_utf8, read_bytes

FOLDER = "boundaries"
DECIMALS = 4


def load_boundaries(data_dir: Path, codes: set[str], problems: Problems) -> dict[str, dict]:
    """code → GeoJSON geometry, from every .geojson file in data/boundaries/ (sorted by name)."""
    folder = data_dir / FOLDER
    if not folder.is_dir():
        return {}
    shapes: dict[str, dict] = {}
    for path in sorted(folder.glob("*.geojson")):
        data = read_bytes(path, problems)
        text = decode_utf8(path, data, problems) if data is not None else None
        if text is None:
            continue
        try:
            collection = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.error(path, exc.lineno, tr("is not valid JSON: {reason}", reason=exc.msg))
            continue
        features = collection.get("features") if isinstance(collection, dict) else None
        if collection.get("type") != "FeatureCollection" or not isinstance(features, list):
            problems.error(path, 1, tr("must be a GeoJSON FeatureCollection"))
            continue
        for number, feature in enumerate(features, start=1):
            check_feature(path, number, feature, codes, shapes, problems)
    return shapes


def check_feature(path, number: int, feature, codes: set[str], shapes: dict, problems: Problems) -> None:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    geometry = feature.get("geometry") if isinstance(feature, dict) else None
    code = properties.get("code") if isinstance(properties, dict) else None
    if not isinstance(code, str):
        problems.error(path, None, tr("feature {number} has no properties.code (the region code it outlines)", number=number))
    elif code not in codes:
        problems.error(path, None, tr("feature {number}: properties.code {code} is not in regions.csv", number=number, code=repr(code)))
    elif code in shapes:
        problems.error(path, None, tr("feature {number}: region {code} has a second polygon", number=number, code=code))
    elif not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        problems.error(path, None, tr("feature {number} ({code}): geometry must be a Polygon or MultiPolygon", number=number, code=code))
    else:
        polygons = geometry.get("coordinates") if geometry["type"] == "MultiPolygon" else [geometry.get("coordinates")]
        shapes[code] = {"type": "MultiPolygon", "coordinates": [for_d3(rounded(rings)) for rings in polygons]}


def for_d3(rings: list) -> list:
    """GeoJSON (RFC 7946) winds exterior rings counter-clockwise; d3-geo, which draws Vega's maps,
    reads rings on the sphere and takes a counter-clockwise ring as everything *outside* it (the
    whole map filled). Reversing every ring gives d3 what it expects."""
    return [ring[::-1] for ring in rings]


def rounded(value):
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return round(value, DECIMALS) if isinstance(value, float) else value


def map_features(shapes: dict[str, dict], children: list[dict]) -> tuple[list[dict], list[str]]:
    """GeoJSON features for the children that have a polygon (with name, rate and link),
    and the names of those that have none."""
    features, missing = [], []
    for child in children:
        shape = shapes.get(child["region"].code)
        if shape is None:
            missing.append(child["name"])
            continue
        rate = child.get("rate")
        features.append({"type": "Feature", "geometry": shape, "properties": {
            "name": child["name"], "url": child["url"], "rate": None if rate is None else round(rate, 2)}})
    return features, missing
