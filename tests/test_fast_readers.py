"""The fast readers for large national files must give exactly what the careful ones give, and
step aside (leaving the careful reader to report) whenever the input is not plainly valid."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from sitegen.inputs import coverage
from sitegen.fast import coverage as fast_coverage
from sitegen.fast import regions as fast_regions
from sitegen.fast.cache import Cache
from sitegen.schema import FIRST_DATA_LINE

from sitegen.inputs import data

from sitegen.inputs import rowcheck
from sitegen.errors import Problems
from sitegen.fast.snapshot import snapshot

from conftest import COVERAGE_CSV, REPO

REGIONS = (REPO / "data" / "regions.csv").read_text(encoding="utf-8")
NATIONAL = REGIONS.replace("code,name,level,parent_code,kind\n",
                           "code,name,level,parent_code,kind\nID,Indonesia,nasional,,\n"
                           "63,Kalimantan Selatan,provinsi,ID,\n"
                           '64,"Kalimantan Timur, Utara",provinsi,ID,\n')


def careful(text: str, root: str, monkeypatch) -> tuple[list, list[str]]:
    """parse_regions' answer with the fast path turned off: the reader that names every line."""
    problems = Problems()
    regions = data.parse_regions(Path("regions.csv"), text.encode(), root, problems)
    return regions, [str(p) for p in problems.errors]


@pytest.mark.parametrize("text, root", [(REGIONS, "63.10"), (NATIONAL, "ID"), (REGIONS.replace("\n", "\r\n"), "63.10")],
                         ids=["kabupaten", "quoted-name", "crlf"])
def test_fast_regions_equal_the_careful_reader(text, root, monkeypatch):
    fast = fast_regions.quick_regions(text, root)
    assert fast is not None and len(fast) == len(text.splitlines()) - 1
    assert fast == careful(text, root, monkeypatch)[0]
    assert ("64", "Kalimantan Timur, Utara", "provinsi", "ID", "") in fast or root != "ID"


@pytest.mark.parametrize("change", [
    lambda t: t.replace("Batulicin,", " Batulicin,", 1),            # a space the careful reader strips
    lambda t: t.replace("\n63.10.01,", "\n\n63.10.01,", 1),         # a blank line it skips
    lambda t: t.replace("code,name,level,parent_code,kind", "name,code,level,parent_code,kind"),
    lambda t: "\ufeff" + t,
    lambda t: t + t.splitlines()[-1] + "\n",                       # a problem to report
    lambda t: t + "63.10.01.2099,Orphan,desa,63.10.77,desa\n",
    lambda t: t + "63.10.01.2099,Short,desa,63.10.01\n",
    lambda t: t.replace(",63.10,", ", 63.10,", 1),
], ids=["space", "blank-line", "column-order", "bom", "duplicate", "unknown-parent", "ragged", "spaced-parent"])
def test_fast_regions_step_aside_unless_plainly_valid(change, monkeypatch, tmp_path):
    text = change(REGIONS)
    assert text != REGIONS
    assert fast_regions.quick_regions(text, "63.10") is None
    (tmp_path / "regions.csv").write_bytes(text.encode())
    plain, problems = Problems(), Problems()
    regions = data.load_regions(tmp_path, "63.10", plain)
    assert fast_regions.load_regions(tmp_path, "63.10", problems, Cache(tmp_path / "cache")) == regions
    assert [str(p) for p in problems.errors] == [str(p) for p in plain.errors]


def test_shaped_parse_of_a_mapped_snapshot_equals_parsing_the_bytes(tmp_path):
    path = tmp_path / "coverage.csv"
    path.write_text(COVERAGE_CSV, encoding="utf-8")
    taken = snapshot(path, tmp_path / "cache")
    if taken is None:
        pytest.skip("no anonymous files here")
    mapped, copy = taken
    text = path.read_bytes()
    header = coverage.header_names(text[:text.find(b"\n")])
    bounds = coverage.pieces(text)
    newlines, commas = fast_coverage.counted_bytes(mapped, bounds)
    assert newlines == [text.count(b"\n", start, end) for start, end in bounds]
    assert commas == text.count(b",")
    ahead = fast_coverage.parse_ahead(mapped, bounds, fast_coverage.piece_digests(mapped, bounds), tmp_path / "cache", copy)
    from_bytes = rowcheck.parse_text(text, header, FIRST_DATA_LINE)
    assert ahead is not None and ahead.frame.equals(from_bytes)
    assert ahead.counts == [coverage.line_count(text, start, end) for start, end in bounds]
    assert ahead.frame["line"].to_list() == list(range(2, 2 + text.count(b"\n") - 1))


def test_a_shape_that_does_not_add_up_is_left_to_the_exact_reader():
    text = b"period,region_code,segment,covered,eligible,source\n2025-01,63.10,x,1,2,src\n"
    header = coverage.header_names(text[:text.find(b"\n")])
    shape = rowcheck.shape_of(text)
    assert rowcheck.parse_text(text, header, 2, shape) is not None
    assert rowcheck.parse_text(text, header, 2, rowcheck.TextShape(3, shape.commas, False, False)) is None
    assert rowcheck.parse_text(text, header, 2, rowcheck.TextShape(2, shape.commas, True, False)) is None
    assert np.array_equal(rowcheck.parse_text(text, header, 2)["line"].to_numpy(), [2])


def test_pieces_are_hashed_one_by_one(tmp_path):
    path = tmp_path / "coverage.csv"
    path.write_bytes(b"period,region_code\n" + b"".join(b"2025-%02d,63.10.%04d\n" % (i % 12 + 1, i) for i in range(200)))
    data, copy = snapshot(path, tmp_path / "cache")
    bounds = [(start, start + 7) for start in range(0, len(data) - 7, 7)]  # many pieces, as a national file has
    digests = fast_coverage.piece_digests(data, bounds)
    assert digests == [hashlib.sha256(data[a:b]).hexdigest()[:32] for a, b in bounds]
