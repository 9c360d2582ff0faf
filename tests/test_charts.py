"""Chart specs and the Vega bundle: what a page's charts are drawn with."""

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
