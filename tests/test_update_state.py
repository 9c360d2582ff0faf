"""A rebuild after a small edit updates the last build's cube (sitegen.fast.cubestate) instead of
summing every row again: its cube, page digests, index and whole site must equal those of a
build without any cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sitegen.inputs import coverage

from sitegen.fast import cubestate

from sitegen.model import cube as model
from sitegen.build import BuildOptions, build, build_model, load_inputs
from sitegen.errors import InputError, Problems
from sitegen.fast.incremental import read_record
from sitegen.output.writer import marker_build_id

from test_national import PERIODS, move_person, national_site  # noqa: F401 - the `national` fixture


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch):
    monkeypatch.setattr(coverage, "PIECE_BYTES", 512)  # many pieces even in a small file


@pytest.fixture
def full_cubes(monkeypatch):
    """How many cubes were summed from all rows."""
    calls = []
    real = model.counted_arrays

    def counted(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(model, "counted_arrays", counted)
    return calls


def identical(a: Path, b: Path) -> bool:
    """Every file the same, but the marker (a build without a cache keeps no build id)."""
    files = {str(p.relative_to(a)) for p in a.rglob("*") if p.is_file()}
    assert files == {str(p.relative_to(b)) for p in b.rglob("*") if p.is_file()}
    return all((a / f).read_bytes() == (b / f).read_bytes() for f in files if f != ".sitegen-site")


def built(out: str, cache: Path | None) -> None:
    build(BuildOptions(out=Path(out), cache_dir=cache))
    cubestate.wait_for_writers()


def same_cube(a, b) -> bool:
    return all(np.array_equal(getattr(a, name), getattr(b, name))
               for name in ("covered", "eligible", "reported", "eligible_unknown", "uses_source"))


def test_edits_update_the_cube_and_equal_a_build_without_cache(national, tmp_path, full_cubes):
    cache = tmp_path / "cache"
    built("_site", cache)
    assert len(full_cubes) == 1
    for step, (giver, taker) in enumerate([("63.10.04.", "63.10.02."), ("63.10.01.", "63.10.12."),
                                           ("63.10.02.", "63.10.04.")]):
        move_person(national, giver, taker, PERIODS[-1 - step])
        before = len(full_cubes)
        built("_site", cache)
        assert len(full_cubes) == before, "the cube was summed again instead of updated"
        built(f"clean-{step}", None)
        assert identical(Path("_site"), Path(f"clean-{step}"))
    fresh = build_model(load_inputs(BuildOptions(data=Path("data"), cache_dir=None), Problems()))
    record = read_record(cache, Path("_site"), marker_build_id(Path("_site")))
    from sitegen.render.formatting import number_format
    from sitegen.fast.incremental import page_inputs

    again = page_inputs(fresh, record.global_digest, number_format("id"))
    assert np.array_equal(record.pages.digests, again.digests)  # the digests a full computation gives


def test_a_large_patch_is_folded_into_a_new_base(national, tmp_path, full_cubes, monkeypatch):
    monkeypatch.setattr(cubestate, "REBASE_SHARE", 0.0)
    cache = tmp_path / "cache"
    built("_site", cache)
    move_person(national, "63.10.04.", "63.10.02.", PERIODS[-1])
    built("_site", cache)
    move_person(national, "63.10.02.", "63.10.05.", PERIODS[-2])
    built("_site", cache)
    assert len(full_cubes) == 1
    assert len(list(cache.glob("state/cube-*/base-*"))) == 1
    fresh = build_model(load_inputs(BuildOptions(data=Path("data"), cache_dir=None), Problems()))
    cached = build_model(load_inputs(BuildOptions(data=Path("data"), cache_dir=cache), Problems()))
    assert same_cube(fresh.cube, cached.cube)


def test_a_damaged_state_only_makes_a_full_cube(national, tmp_path, full_cubes):
    cache = tmp_path / "cache"
    built("_site", cache)
    for head in cache.glob("state/cube-*/head.npz"):
        head.write_bytes(b"not a state")
    move_person(national, "63.10.04.", "63.10.02.", PERIODS[-1])
    built("_site", cache)
    assert len(full_cubes) == 2
    built("clean", None)
    assert identical(Path("_site"), Path("clean"))


def test_an_edit_that_repeats_a_cell_is_reported_with_both_lines(national, tmp_path):
    cache = tmp_path / "cache"
    built("_site", cache)
    path = national / "data" / "coverage.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[40] = lines[3]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = Problems()
    with pytest.raises(InputError):
        load_inputs(BuildOptions(data=Path("data"), cache_dir=cache), problems)
    messages = [str(p) for p in problems.errors]
    assert any(m.endswith("(first given on line 4)") and "coverage.csv:41:" in m for m in messages), messages


def test_a_new_month_is_loaded_in_full(national, tmp_path, full_cubes):
    cache = tmp_path / "cache"
    built("_site", cache)
    path = national / "data" / "coverage.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, lines[-1].replace("2025-04", "2025-05")]) + "\n", encoding="utf-8")
    built("_site", cache)
    assert len(full_cubes) == 2
    built("clean", None)
    assert identical(Path("_site"), Path("clean"))
