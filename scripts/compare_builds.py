"""Build the same input with another revision of sitegen and with this checkout; compare the bytes.

A change that should not alter the site (moving code, a fast path, a refactor) is checked by
building the bundled site, and any other data folders given, with both codes, cold and after a
one-village edit, and comparing every file (the marker file, which names the build, aside).

Usage:
    python scripts/compare_builds.py [--rev REV] [--data DIR ...] [--keep DIR]

`--rev` defaults to `origin/main` if there is one, else `HEAD`: a git worktree of that revision
is made in a temporary folder and its sitegen is imported from there (the installed libraries
are shared). Exit code 0 when every pair of sites is identical, 1 otherwise (differences listed).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MARKER = ".sitegen-site"
RUN = "import sys; sys.path.insert(0, sys.argv.pop(1)); from sitegen.cli import run_cli; run_cli()"


def sitegen(code: Path, *args: str, cwd: Path, env: dict | None = None) -> None:
    done = subprocess.run([sys.executable, "-c", RUN, str(code), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    if done.returncode != 0:
        raise SystemExit(f"sitegen {' '.join(args)} (code of {code}) failed:\n{done.stdout}{done.stderr}")


def differences(a: Path, b: Path) -> list[str]:
    found, stack = [], [filecmp.dircmp(a, b, ignore=[MARKER])]
    while stack:
        current = stack.pop()
        found += [f"only in {current.left}: {name}" for name in current.left_only]
        found += [f"only in {current.right}: {name}" for name in current.right_only]
        _, mismatch, errors = filecmp.cmpfiles(current.left, current.right, current.common_files, shallow=False)
        found += [f"differs: {Path(current.left, name)}" for name in mismatch + errors]
        stack.extend(current.subdirs.values())
    return sorted(found)


def edit_one_village(data: Path) -> None:
    """Raise `covered` by one in the first desa row of the last period that has room (eligible > covered)."""
    path = data / "coverage.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].strip().split(",")
    col = {name: i for i, name in enumerate(header)}
    last = max(line.split(",")[col["period"]] for line in lines[1:] if line.strip())
    for i, line in enumerate(lines[1:], start=1):
        cells = line.rstrip("\r\n").split(",")
        if cells[col["period"]] == last and cells[col["eligible"]] and \
                int(cells[col["covered"]]) < int(cells[col["eligible"]]) and cells[col["region_code"]].count(".") == 3:
            cells[col["covered"]] = str(int(cells[col["covered"]]) + 1)
            lines[i] = ",".join(cells) + "\n"
            path.write_text("".join(lines), encoding="utf-8")
            return
    raise SystemExit(f"{path}: no desa row to edit")


def site_folders(work: Path, data: Path | None) -> Path:
    """A scratch site: the bundled one's folders, with `data` as its data folder if given."""
    work.mkdir(parents=True)
    for name in ("data", "content", "templates", "assets"):
        if (REPO / name).exists():
            shutil.copytree(REPO / name, work / name)
    if data is not None:
        shutil.rmtree(work / "data")
        shutil.copytree(data, work / "data")
        shutil.rmtree(work / "content")  # the bundled news name Tanah Bumbu's places only
        (work / "content" / "news").mkdir(parents=True)
    return work


def compare(baseline: Path, current: Path, data: Path | None, scratch: Path, env: dict) -> list[str]:
    problems = []
    sites = {}
    for name, code in (("before", baseline), ("after", current)):
        site = site_folders(scratch / name, data)
        options = ["--out", "_site", "--cache-dir", ".cache", "--jobs", "2"]
        sitegen(code, "build", *options, cwd=site, env=env)
        sites[name] = site
    problems += differences(sites["before"] / "_site", sites["after"] / "_site")
    for name, code in (("before", baseline), ("after", current)):
        edit_one_village(sites[name] / "data")
        sitegen(code, "build", "--out", "_site", "--cache-dir", ".cache", "--jobs", "2", cwd=sites[name], env=env)
    problems += [f"after a one-village edit: {p}" for p in differences(sites["before"] / "_site",
                                                                       sites["after"] / "_site")]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_rev = "origin/main" if subprocess.run(["git", "rev-parse", "--verify", "-q", "origin/main"], cwd=REPO,
                                                  capture_output=True).returncode == 0 else "HEAD"
    parser.add_argument("--rev", default=default_rev, help="the revision to compare with (default: %(default)s)")
    parser.add_argument("--data", type=Path, action="append", default=[],
                        help="another data folder to build both ways (e.g. a one-province national sample)")
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it (default: a temporary one)")
    parser.add_argument("--fastpath", default=None, help="SITEGEN_FASTPATH for both builds (default: unset)")
    args = parser.parse_args()
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="sitegen-compare-"))
    worktree = scratch / "baseline-code"
    subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.rev], cwd=REPO, check=True,
                   capture_output=True)
    env = {} if args.fastpath is None else {"SITEGEN_FASTPATH": args.fastpath}
    try:
        problems = []
        for i, data in enumerate([None, *(d.resolve() for d in args.data)]):
            label = "the bundled site" if data is None else str(data)
            found = compare(worktree, REPO, data, scratch / f"site-{i}", env)
            print(f"{label}: {'identical' if not found else f'{len(found)} differences'}")
            problems += [f"{label}: {p}" for p in found]
        for line in problems[:50]:
            print("  " + line)
        return 1 if problems else 0
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=REPO, capture_output=True)
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
