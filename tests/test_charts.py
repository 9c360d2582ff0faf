"""Chart specs and the Vega bundle: what a page's charts are drawn with."""

import re
from importlib.metadata import version

import pytest

from sitegen.render.charts import VENDORED_BUNDLES, make_vega_bundle, vega_bundle


def test_sitegen_ships_the_bundle_of_one_vl_convert_version():
    shipped = sorted(VENDORED_BUNDLES.glob("vega-bundle-*.js"))
    assert len(shipped) == 1, "scripts/update_vega_bundle.py keeps exactly one shipped bundle"


def test_the_shipped_bundle_is_what_vl_convert_makes():
    shipped = VENDORED_BUNDLES / f"vega-bundle-{version('vl-convert-python')}.js"
    if not shipped.exists():
        pytest.skip("the installed vl-convert-python is not the version sitegen ships a bundle for "
                    "(builds make and cache their own)")
    assert shipped.read_text(encoding="utf-8") == make_vega_bundle()


def test_a_bundle_for_another_version_is_made_and_cached(tmp_path, monkeypatch):
    import sitegen.render.charts as charts

    made = []
    monkeypatch.setattr(charts, "VENDORED_BUNDLES", tmp_path / "none-shipped")
    monkeypatch.setattr(charts, "make_vega_bundle", lambda: made.append(1) or "/* vega */")
    assert vega_bundle(tmp_path / "cache") == "/* vega */"
    assert vega_bundle(tmp_path / "cache") == "/* vega */"
    assert made == [1], "the second build reads the cache"
    assert (tmp_path / "cache" / f"vega-bundle-{version('vl-convert-python')}.js").read_text() == "/* vega */"


def test_sitegen_ships_the_chart_specs_of_its_own_charts_module():
    from sitegen.render.charts import shipped_specs_path

    shipped = sorted(VENDORED_BUNDLES.glob("chart-specs-*.json"))
    assert len(shipped) == 1, "scripts/update_chart_specs.py keeps exactly one shipped copy"
    # Named by charts.py's source: after an edit there, run scripts/update_chart_specs.py.
    assert shipped[0].name.rsplit("-", 1)[1] == shipped_specs_path().name.rsplit("-", 1)[1], \
        "sitegen/render/charts.py changed: run python scripts/update_chart_specs.py"


def test_the_shipped_chart_specs_are_what_altair_makes():
    from sitegen.render.charts import generic_specs_here, shipped_specs_path

    if not shipped_specs_path().exists():
        pytest.skip("the installed Altair is not the version sitegen ships chart specs for (builds make their own)")
    assert shipped_specs_path().read_text(encoding="utf-8") == generic_specs_here()


def test_a_first_build_takes_the_shipped_chart_specs_without_running_altair(tmp_path, monkeypatch):
    import sitegen.render.charts as charts

    def no_child(*args, **kwargs):
        raise AssertionError("Altair was run although sitegen ships these specs")

    shipped = tmp_path / "vendor" / charts.shipped_specs_path().name
    shipped.parent.mkdir()
    shipped.write_text('{"trend": {}}', encoding="utf-8")
    monkeypatch.setattr(charts, "VENDORED_BUNDLES", shipped.parent)
    monkeypatch.setattr(charts.subprocess, "run", no_child)
    assert charts.generic_specs(tmp_path / "cache") == '{"trend": {}}'


def test_specs_for_another_altair_or_an_edited_charts_module_are_made_and_cached(tmp_path, monkeypatch):
    import sitegen.render.charts as charts

    monkeypatch.setattr(charts, "VENDORED_BUNDLES", tmp_path / "none-shipped")
    made = charts.generic_specs(tmp_path / "cache")
    assert made == charts.generic_specs_here()
    assert (tmp_path / "cache" / f"charts-{charts.cache_key()}.json").read_text(encoding="utf-8") == made


NOTICES = VENDORED_BUNDLES.parent / "assets" / "vega-licenses.txt"


def test_the_licence_notices_are_of_the_shipped_bundle():
    """scripts/update_vega_notices.py writes them for the vega and vega-lite the bundle holds: a new
    bundle without new notices fails here."""
    text = NOTICES.read_text(encoding="utf-8")
    made_from = re.search(r"made by vl-convert-python (\S+) from vega (\S+), vega-lite (\S+), vega-embed (\S+)\.", text)
    assert made_from, "the notices' header names the versions they were made for"
    vl_convert, vega, vega_lite, vega_embed = made_from.groups()
    shipped = VENDORED_BUNDLES / f"vega-bundle-{vl_convert}.js"
    assert shipped.exists(), "the notices name the vl-convert version whose bundle sitegen ships"
    bundle = shipped.read_text(encoding="utf-8")
    assert f'"{vega}"' in bundle and f'"{vega_lite}"' in bundle
    for name, release in (("vega", vega), ("vega-lite", vega_lite), ("vega-embed", vega_embed)):
        entry = re.search(rf"^{re.escape(name)} {re.escape(release)} \(BSD-3-Clause\)\n\n(.+?)\n-{{78}}", text,
                          re.MULTILINE | re.DOTALL)
        assert entry, f"{name} {release} and its licence"
        assert "Copyright" in entry.group(1) and "Redistributions in binary form" in entry.group(1)
    assert re.search(r"^d3-\S+ \S+ \(ISC\)$", text, re.MULTILINE), "the d3 modules inside the bundle too"


def test_the_site_publishes_the_notices_and_its_methodology_page_links_them(bundled_site):
    assert (bundled_site / "assets" / "vega-licenses.txt").read_bytes() == NOTICES.read_bytes()
    for page in ("metodologi/index.html", "en/metodologi/index.html"):
        html = (bundled_site / page).read_text(encoding="utf-8")
        href = re.search(r'<a href="([^"]*vega-licenses\.txt)"', html)
        assert href, page
        assert (bundled_site / page).parent.joinpath(href.group(1)).resolve() == \
            (bundled_site / "assets" / "vega-licenses.txt").resolve()
