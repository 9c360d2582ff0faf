"""coverage.csv is read in pieces whose checked columns are cached by content: a cached load
must equal a fresh one, and line numbers in errors must stay exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sitegen.inputs import coverage
from sitegen.fast import coverage as fast_coverage
from sitegen.schema import ARRAYS
from sitegen.build import BuildOptions, load_inputs
from sitegen.fast.cubestate import wait_for_writers
from sitegen.errors import InputError, Problems
from sitegen.fast.piecestore import PACK_PREFIX, PieceStore

from conftest import COVERAGE_CSV


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch):
    monkeypatch.setattr(coverage, "PIECE_BYTES", 64)  # several pieces even in a small file


def facts(root: Path, cache: Path | None):
    return load_inputs(BuildOptions(data=root / "data", cache_dir=cache), Problems()).facts


def same(a, b) -> bool:
    return a.periods == b.periods and all(
        np.array_equal(getattr(a, f), getattr(b, f)) for f in ("region", "period", "segment", "covered", "eligible", "source"))


def test_file_is_cut_into_several_pieces_of_whole_lines(make_site):
    data = (make_site() / "data" / "coverage.csv").read_bytes()
    bounds = coverage.pieces(data)
    assert len(bounds) > 2
    assert bounds[0][0] == data.find(b"\n") + 1 and bounds[-1][1] == len(data)
    assert all(data[end - 1:end] == b"\n" for _, end in bounds[:-1])
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))


def stored_pieces(cache: Path) -> tuple[set[str], list[str]]:
    """Every stored piece's digest, and the files of pieces stored one by one."""
    wait_for_writers()
    (folder,) = (cache / "coverage").iterdir()
    singles = sorted(p.name for p in folder.glob("*.npy") if not p.name.startswith(PACK_PREFIX))
    return PieceStore(folder, len(ARRAYS)).known(), singles


def test_cached_load_equals_a_fresh_load_after_an_edit(make_site, tmp_path):
    root = make_site()
    cache = tmp_path / "cache"
    first = facts(root, cache)
    assert same(first, facts(root, None))
    path = root / "data" / "coverage.csv"
    digests = set(fast_coverage.piece_digests(path.read_bytes(), coverage.pieces(path.read_bytes())))
    stored, singles = stored_pieces(cache)
    assert len(digests) > 2 and stored == digests and singles == []  # a cold load stores one pack
    path.write_text(COVERAGE_CSV.replace("2025-04,63.10.01.2005,pekerja_rentan,20,40,src",
                                         "2025-04,63.10.01.2005,pekerja_rentan,25,40,src"))
    edited = facts(root, cache)
    assert same(edited, facts(root, None))
    assert not same(edited, first)
    new_digests = set(fast_coverage.piece_digests(path.read_bytes(), coverage.pieces(path.read_bytes())))
    (parsed,) = new_digests - digests
    after, singles = stored_pieces(cache)
    assert singles == [f"{parsed}.npy"]      # only the edited piece was parsed again
    assert after == stored | {parsed}        # the pack stays: its other pieces are still used


def test_a_pack_goes_once_none_of_its_pieces_is_used(tmp_path):
    store = PieceStore(tmp_path / "pieces", 2)
    store.put_all([np.arange(5), np.arange(5) * 10], ["a", "b"], [2, 3])
    assert store.get("b").tolist() == [[2, 3, 4], [20, 30, 40]]
    store.put("c", [np.array([7]), np.array([70])])
    store.prune({"b", "c"})
    assert store.known() == {"a", "b", "c"}  # "a" is in the pack "b" still needs
    store.prune({"c"})
    assert store.known() == {"c"} and sorted(p.name for p in (tmp_path / "pieces").iterdir()) == ["c.npy"]
    assert PieceStore(tmp_path / "pieces", 2).get("c").tolist() == [[7], [70]]
    store.put_all([np.arange(2), np.arange(2)], ["d"], [2])  # a new pack replaces everything stored
    assert store.known() == {"d"}


def test_a_damaged_pack_is_a_cache_miss(tmp_path):
    store = PieceStore(tmp_path / "pieces", 2)
    store.put_all([np.arange(4), np.arange(4)], ["a", "b"], [2, 2])
    (pack,) = (tmp_path / "pieces").glob("pack-*.npy")
    pack.write_bytes(b"not a matrix")
    assert PieceStore(tmp_path / "pieces", 2).get("a") is None
    assert PieceStore(tmp_path / "pieces", 3).get("x") is None


def test_errors_keep_their_lines_with_a_warm_cache(make_site, tmp_path):
    root = make_site()
    cache = tmp_path / "cache"
    facts(root, cache)
    path = root / "data" / "coverage.csv"
    lines = COVERAGE_CSV.splitlines()
    lines[9] = lines[9].replace("1000", "1x")
    lines[2] = lines[2].replace(",6,", ",7a,")
    path.write_text("\n".join(lines) + "\n")
    problems = Problems()
    with pytest.raises(InputError):
        load_inputs(BuildOptions(data=root / "data", cache_dir=cache), problems)
    messages = [str(p) for p in problems.errors]
    assert any(m.endswith('coverage.csv:3: covered "7a" is not a whole number') for m in messages), messages
    assert any(m.endswith('coverage.csv:10: covered "1x" is not a whole number') for m in messages), messages


def test_a_duplicate_across_pieces_is_found_with_a_warm_cache(make_site, tmp_path):
    root = make_site()
    cache = tmp_path / "cache"
    facts(root, cache)
    path = root / "data" / "coverage.csv"
    path.write_text(COVERAGE_CSV + "2024-04,63.10.01.1007,perangkat_desa,5,10,src\n")
    problems = Problems()
    with pytest.raises(InputError):
        load_inputs(BuildOptions(data=root / "data", cache_dir=cache), problems)
    assert [str(p).split("/")[-1] for p in problems.errors] == [
        "coverage.csv:11: duplicate row for period 2024-04, region_code 63.10.01.1007, segment perangkat_desa "
        "(first given on line 2)"]
