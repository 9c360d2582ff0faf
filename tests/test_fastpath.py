"""`SITEGEN_FASTPATH=0` turns every fast path off (sitegen.fast's caches and the system's quicker
facilities); the site must come out byte for byte the same, cold and after a one-village edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sitegen.build import BuildOptions, build
from sitegen.fast import cubestate
from sitegen.inputs import coverage

from conftest import REPO, copy_bundled_inputs, write_site
from test_national import national_files
from test_portable import differing_files, raise_one_village

SHARED_REGIONS = REPO.parent / "shared" / "data" / "wilayah" / "indonesia_regions.csv"


def national(folder: Path) -> Path:
    """Indonesia → Kalimantan Selatan → Tanah Bumbu, the national levels on a small scale."""
    return write_site(folder, national_files())


def province(folder: Path) -> Path:
    """All of Kalimantan Selatan (2,187 regions), from the Kemendagri list, where it is at hand."""
    import subprocess
    import sys

    if not SHARED_REGIONS.exists():
        pytest.skip(f"no {SHARED_REGIONS}")
    copy_bundled_inputs(folder)
    shutil.rmtree(folder / "data")
    shutil.rmtree(folder / "content")
    (folder / "content" / "news").mkdir(parents=True)
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_national_data.py"), "--out", str(folder / "data"),
                    "--province", "63", "--regions", str(SHARED_REGIONS)], check=True, capture_output=True)
    return folder


def build_site(root: Path, fastpath: str, monkeypatch):
    monkeypatch.setenv("SITEGEN_FASTPATH", fastpath)
    result = build(BuildOptions(data=root / "data", content=root / "content", templates=root / "templates",
                                assets=root / "assets", out=root / "_site", cache_dir=root / ".cache", jobs=2))
    cubestate.wait_for_writers()
    return result


@pytest.mark.parametrize("make", [copy_bundled_inputs, national, province], ids=["bundled", "national", "province"])
def test_the_fast_paths_change_no_byte(make, tmp_path, monkeypatch):
    monkeypatch.setattr(coverage, "PIECE_BYTES", 4096)  # several pieces, so an edit leaves most of them cached
    fast, plain = make(tmp_path / "fast"), make(tmp_path / "plain")
    build_site(fast, "1", monkeypatch)
    build_site(plain, "0", monkeypatch)
    assert not differing_files(fast / "_site", plain / "_site")
    for root in (fast, plain):
        raise_one_village(root / "data")
    update = build_site(fast, "1", monkeypatch)
    again = build_site(plain, "0", monkeypatch)
    assert not differing_files(fast / "_site", plain / "_site")
    # The switch did switch: the fast build was an update of a few pages, from its caches; the plain
    # one rendered every page and kept nothing but the chart bundle's cache-free inputs.
    assert update.rendered < update.pages and again.rendered == again.pages
    assert (fast / ".cache" / "state").is_dir() and (fast / ".cache" / "coverage").is_dir()
    assert not [p for p in (plain / ".cache").iterdir()] if (plain / ".cache").exists() else True
