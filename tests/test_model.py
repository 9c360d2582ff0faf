"""Roll-up arithmetic, rates, gaps, year-on-year change, and locale formatting."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from babel.numbers import format_decimal, format_percent

from sitegen.build import BuildOptions, build_model, load_inputs
from sitegen.errors import Problems
from sitegen.render.formatting import long_date, month_label, number_format
from sitegen.model.cube import change_pct, gap_to_target, period_a_year_before
from sitegen.pages.site import headline_figures


def load_site(root):
    inputs = load_inputs(BuildOptions(data=root / "data"), Problems())
    return build_model(inputs)


def test_each_parent_is_the_sum_of_its_children(make_site):
    site = load_site(make_site())
    tree, cube = site.tree, site.cube
    for r, region in enumerate(tree.regions):
        if tree.children[r]:
            own = cube.covered[r] - cube.covered[list(tree.children[r])].sum(axis=0)
            # only segments reported at this level itself remain after subtracting the children
            assert (own[cube.reported[list(tree.children[r])].any(axis=0)] == 0).all(), region.code
    root = tree.index["63.10"]
    p = cube.periods.index("2025-04")
    s = [seg.id for seg in cube.segments].index("perangkat_desa")
    assert cube.covered[root, p, s] == 8 + 9 + 8
    assert cube.eligible[root, p, s] == 10 + 12 + 8
    kec = tree.index["63.10.01"]
    assert cube.covered[kec, p, s] == 8 + 9


def test_headline_figures_rate_gap_and_year_on_year(make_site):
    site = load_site(make_site())
    root = site.tree.index["63.10"]
    figures = headline_figures(site, root)
    # headline = village ecosystem + vulnerable workers; the formal segment is not in it
    assert figures["covered"] == 8 + 9 + 8 + 20
    assert figures["eligible"] == 10 + 12 + 8 + 40
    assert figures["rate"] == pytest.approx(45 * 100 / 70)
    assert figures["gap"] == math.ceil(0.995 * 70) - 45
    assert figures["covered_change_pct"] == pytest.approx((45 - 25) * 100 / 25)
    assert figures["rate_change_points"] == pytest.approx(45 * 100 / 70 - 25 * 100 / 70)


def test_unknown_eligible_gives_no_rate_for_the_region_and_its_parents(make_site):
    coverage = ("period,region_code,segment,covered,eligible,source\n"
                "2025-04,63.10.01.1007,perangkat_desa,8,,src\n"
                "2025-04,63.10.01.2005,perangkat_desa,9,12,src\n")
    site = load_site(make_site({"data/coverage.csv": coverage}))
    for code in ("63.10.01.1007", "63.10.01", "63.10"):
        figures = headline_figures(site, site.tree.index[code])
        assert figures["rate"] is None and figures["eligible"] is None and figures["gap"] is None
    assert headline_figures(site, site.tree.index["63.10.01.2005"])["rate"] == pytest.approx(75.0)
    assert headline_figures(site, site.tree.index["63.10.02.1001"]) is None


@pytest.mark.parametrize("covered, eligible, expected", [(0, 1000, 995), (995, 1000, 0), (994, 1000, 1),
                                                         (100, 100, 0), (0, 1, 1), (7, 7, 0)])
def test_gap_to_target(covered, eligible, expected):
    assert gap_to_target(covered, eligible, Decimal("99.5")) == expected


def test_change_and_periods():
    assert change_pct(27180, 25000) == pytest.approx(8.72)
    assert change_pct(5, 0) is None
    assert period_a_year_before("2025-04") == "2024-04"


@pytest.mark.parametrize("value", [0, 7, 999, 1000, 8146, 2192, 1234567, 91600000, -5, -1234567, np.int64(1234)])
def test_integers_match_babel(value):
    assert number_format("id").integer(value) == format_decimal(value, locale="id")
    assert number_format("en").integer(value) == format_decimal(value, locale="en")


@pytest.mark.parametrize("value", [0.0, 8.72, 81.73, 99.5, 100.0, 1234.5, 45.678, -3.25, -1234.5, 0.04,
                                   np.float64(72.345), np.float64(-0.5)])
def test_percents_match_babel(value):
    assert number_format("id").percent(value, 2) == format_percent(value / 100, "#,##0.00%", locale="id")
    assert number_format("en").percent(value, 1) == format_percent(value / 100, "#,##0.0%", locale="en")


def test_indonesian_examples():
    numbers = number_format("id")
    assert numbers.integer(8146) == "8.146"
    assert numbers.percent(81.73, 2) == "81,73%"
    assert numbers.signed_percent(81.73) == "+81,73%"
    assert numbers.percent(float("nan")) == numbers.percent(np.float64("nan")) == numbers.percent(None) == "–"
    import datetime as dt
    assert long_date(dt.date(2025, 4, 16), "id") == "16 April 2025"
    assert month_label("2025-08", "id") == "Agustus 2025"


def test_cube_has_a_row_for_every_input_row(make_site):
    """Nothing is dropped: the sum of all reported leaf cells equals the sum of the CSV."""
    site = load_site(make_site())
    leaves = np.array([not c for c in site.tree.children])
    own_rows = site.cube.covered[leaves].sum() + site.cube.covered[site.tree.index["63.10"], :, 2].sum()
    assert own_rows == 5 + 6 + 4 + 10 + 8 + 9 + 8 + 20 + 1000


@pytest.mark.parametrize("name, slug", [
    ("Sungai Dua", "sungai-dua"),
    ("  Batu--Licin (Kota) ", "batu-licin-kota"),
    ("Tanjung Selayar’", "tanjung-selayar"),       # the national list's one non-ASCII letter
    ("Désa Ñusa Ünggul", "desa-nusa-unggul"),       # accents dropped by NFKD, not the letters
    ("Ｋａｌｉ　Ａｎｙａｒ", "kali-anyar"),            # full-width forms fold to ASCII
    ("!!!", "wilayah"),
])
def test_slugify_gives_ascii_words_and_skips_normalising_only_for_ascii(name, slug):
    from sitegen.inputs.files import slugify
    import unicodedata, re

    assert slugify(name) == slug
    # The ASCII shortcut gives what NFKD would have given.
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    assert slugify(name) == (re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "wilayah")
