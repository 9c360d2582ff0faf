"""The national path on a small scale: the `nasional` level, roll-ups through every level,
and incremental rebuilds that equal a clean build."""

from __future__ import annotations

import csv
import filecmp
import io
import random
import re
from pathlib import Path

import pytest

from sitegen.build import BuildOptions, build_model, load_inputs
from sitegen.errors import Problems

from conftest import REPO, SEGMENTS_YAML, SOURCES_YAML, write_site

SITE_YAML = """\
title: {id: Jamsostek Indonesia, en: Jamsostek Indonesia}
base_url: https://example.org/
root_region: "ID"
as_of: 2025-04-30
target: {coverage_pct: 99.5, year: 2045, source: src}
"""
PERIODS = [f"2024-{m:02d}" for m in range(5, 13)] + [f"2025-{m:02d}" for m in range(1, 5)]


def national_files() -> dict[str, str]:
    """Indonesia → Kalimantan Selatan → the real Tanah Bumbu slice, with seeded illustrative rows."""
    regions = (REPO / "data" / "regions.csv").read_text(encoding="utf-8").splitlines()
    lines = [regions[0], "ID,Indonesia,nasional,,", "63,Kalimantan Selatan,provinsi,ID,", *regions[1:]]
    rng = random.Random(7)
    rows = ["period,region_code,segment,covered,eligible,source"]
    villages = [r.split(",")[0] for r in regions[1:] if r.split(",")[2] == "desa"]
    for code in villages:
        for segment in ("perangkat_desa", "pekerja_rentan"):
            eligible = rng.randint(10, 90)
            start = rng.randint(0, eligible // 2)
            for step, period in enumerate(PERIODS):
                rows.append(f"{period},{code},{segment},{min(eligible, start + step * rng.randint(0, 3))},{eligible},src")
    for period in PERIODS:
        rows.append(f"{period},63.10,penerima_upah,{25000 + PERIODS.index(period) * 100},,src")
    return {"data/site.yaml": SITE_YAML, "data/regions.csv": "\n".join(lines) + "\n",
            "data/segments.yaml": SEGMENTS_YAML, "data/sources.yaml": SOURCES_YAML,
            "data/coverage.csv": "\n".join(rows) + "\n"}


@pytest.fixture(name="national")
def national_site(tmp_path, monkeypatch):
    root = write_site(tmp_path / "national", national_files())
    monkeypatch.chdir(root)
    return root


def identical(a: Path, b: Path) -> bool:
    stack = [filecmp.dircmp(a, b)]
    while stack:
        current = stack.pop()
        if current.left_only or current.right_only:
            return False
        _, mismatch, errors = filecmp.cmpfiles(current.left, current.right, current.common_files, shallow=False)
        if mismatch or errors:
            return False
        stack.extend(current.subdirs.values())
    return True


def rendered_count(output: str) -> tuple[int, int, int]:
    match = re.search(r"(\d+) pages in .* \((\d+) rendered, (\d+) of \d+ files written\)", output)
    return tuple(int(g) for g in match.groups())


def move_person(root: Path, from_prefix: str, to_prefix: str, period: str) -> str:
    """Move one covered person between villages (same segment and month); returns the receiving code."""
    path = root / "data" / "coverage.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    giver = next(r for r in rows[1:] if r[0] == period and r[1].startswith(from_prefix) and int(r[3]) > 0)
    taker = next(r for r in rows[1:] if r[0] == period and r[1].startswith(to_prefix) and r[2] == giver[2]
                 and int(r[3]) < int(r[4]))
    giver[3], taker[3] = str(int(giver[3]) - 1), str(int(taker[3]) + 1)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return taker[1]


def test_nasional_root_and_roll_ups_through_every_level(national, run_cli):
    result = run_cli("build")
    assert result.exit_code == 0, result.output
    assert "<h1>Indonesia</h1>" in Path("_site/index.html").read_text(encoding="utf-8")
    assert list(Path("_site/provinsi").iterdir())[0].name == "63-kalimantan-selatan"
    assert (Path("_site/kabupaten") / "63-10-kabupaten-tanah-bumbu" / "index.html").is_file()
    site = build_model(load_inputs(BuildOptions(data=Path("data")), Problems()))
    cube, tree = site.cube, site.tree
    leaves = [i for i, region in enumerate(tree.regions) if region.level == "desa"]
    for code in ("ID", "63", "63.10"):
        r = tree.index[code]
        assert (cube.covered[r, :, :2] == cube.covered[leaves, :, :2].sum(axis=0)).all()
        assert (cube.eligible[r, :, :2] == cube.eligible[leaves, :, :2].sum(axis=0)).all()
    assert cube.covered[tree.index["ID"], -1, 2] == 25000 + 11 * 100


def test_unchanged_rebuild_renders_and_writes_nothing(national, run_cli):
    assert run_cli("build").exit_code == 0
    before = {p: p.stat().st_mtime_ns for p in Path("_site").rglob("*.html")}
    total, rendered, written = rendered_count(run_cli("build").output)
    assert (rendered, written) == (0, 0) and total == 172
    assert before == {p: p.stat().st_mtime_ns for p in Path("_site").rglob("*.html")}


def file_identities(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def differing_files(a: Path, b: Path) -> set[str]:
    files_a = {str(p.relative_to(a)) for p in a.rglob("*") if p.is_file()}
    return {f for f in files_a if (a / f).read_bytes() != (b / f).read_bytes()}


def test_village_changes_rewrite_exactly_the_changed_pages_and_equal_a_clean_build(national, run_cli):
    assert run_cli("build").exit_code == 0
    assert run_cli("build", "--out", "before").exit_code == 0
    before = file_identities(Path("_site"))
    # One person moves from a Satui village to a Kusan Hilir village in the latest month: the
    # regency and national totals stay the same, so pages that only compare themselves with
    # them must not change.
    moved_to = move_person(national, "63.10.04.", "63.10.02.", PERIODS[-1])
    total, rendered, written = rendered_count(run_cli("build").output)
    assert 0 < rendered < total / 2
    assert run_cli("build", "--out", "clean").exit_code == 0
    assert identical(Path("_site"), Path("clean"))
    after = file_identities(Path("_site"))
    rewritten = {f for f in after if before.get(f) != after[f] and f != ".sitegen-site"}
    assert rewritten == differing_files(Path("before"), Path("clean")) - {".sitegen-site"}
    assert len(rewritten) == written
    assert any(moved_to.replace(".", "-") in f for f in rewritten)
    assert not any(f.startswith("desa/63-10-12-") for f in rewritten)  # Teluk Kepayang is untouched


def test_template_change_rebuilds_everything(national, run_cli):
    assert run_cli("build").exit_code == 0
    Path("templates").mkdir()
    Path("templates/desa.html").write_text('{% extends "default:region.html" %}{% block title %}X{% endblock %}')
    total, rendered, _ = rendered_count(run_cli("build").output)
    assert rendered == total
    assert run_cli("build", "--out", "clean").exit_code == 0
    assert identical(Path("_site"), Path("clean"))


def test_a_full_build_removes_files_sitegen_did_not_make(national, run_cli):
    assert run_cli("build").exit_code == 0
    Path("_site/stray.html").write_text("not sitegen's")
    Path("data/site.yaml").write_text(SITE_YAML.replace("Jamsostek Indonesia", "Jamsostek RI"))
    assert run_cli("build").exit_code == 0
    assert not Path("_site/stray.html").exists()


def test_full_over_its_own_output_renders_everything_and_writes_what_changed(national, run_cli, tmp_path):
    assert run_cli("build").exit_code == 0
    Path("_site/stray.html").write_text("not sitegen's")
    Path("_site/stray-folder").mkdir()
    Path("_site/stray-folder/x.txt").write_text("not sitegen's")
    before = file_identities(Path("_site"))
    result = run_cli("build", "--full")
    assert result.exit_code == 0
    pages, rendered, written = rendered_count(result.output)
    # Every page rendered, none written again; only unduh/cakupan.csv is placed anew (a hard link to
    # the checked copy of coverage.csv: no bytes written).
    assert rendered == pages and written == 1
    assert not Path("_site/stray.html").exists() and not Path("_site/stray-folder").exists()
    unchanged = {k: v for k, v in before.items() if not k.startswith(("stray", ".sitegen-site", "unduh/cakupan.csv"))}
    after = {k: v for k, v in file_identities(Path("_site")).items() if k not in (".sitegen-site", "unduh/cakupan.csv")}
    assert after == unchanged  # the same files, not written again
    move_person(Path("."), "63.10.01.", "63.10.02.", "2025-04")
    result = run_cli("build", "--full")
    _, _, written = rendered_count(result.output)
    assert 0 < written < len(unchanged) / 5
    assert run_cli("build", "--out", str(tmp_path / "clean"), "--full").exit_code == 0
    assert identical(Path("_site"), tmp_path / "clean")


def test_interrupted_update_is_followed_by_a_full_build(national, run_cli):
    assert run_cli("build").exit_code == 0
    Path("._site.sitegen-journal").write_text("desa/x/index.html\n")
    total, rendered, _ = rendered_count(run_cli("build").output)
    assert rendered == total
    assert not Path("._site.sitegen-journal").exists()
