#!/usr/bin/env python3
"""What each small fast path of a one-village national update is worth, measured in pairs.

    python bench/ablation.py [--pairs 8] [--only NAME]

Uses the national data, site and cache that `python bench/run.py` leaves in bench/out/ (run it
first). For each fast path below, the same one-village update is timed with the fast path (A) and
without it (B), alternately (A B, then B A, ...), each run after a fresh one-village edit, so that
the machine's drift falls on both sides. Both sides start the same way (the same sitegen modules
imported first); B then swaps the fast path for the plain way. Reports the median of each side
and of the paired ratios B/A, and in how many pairs B was slower: a gain counts only when B is
slower in nearly every pair.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import OUT, change_one_village, settle  # noqa: E402

PRELUDE = ("import sitegen.fast.coverage, sitegen.output.writer, sitegen.fast.index, sitegen.fast.downloads, "
           "sitegen.fast.incremental\n")
WITHOUT = {
    # changed files moved in by os.replace instead of renameat2's exchange
    "renameat2 exchange": "sitegen.output.writer.exchange = lambda a, b: False",
    # index.json made whole instead of splicing the changed regions' entries into the last one
    "index.json splice": "sitegen.fast.index.read_index = lambda folder, key: None",
}
# Measured on 2026-12-06 and removed, since without them an update was not slower in most pairs:
# hashing coverage.csv's pieces in a process of their own, zlib's crc32_combine for the zip's CRC,
# and keeping the build record's file listing between reading and writing it (docs/performance.md).
RUN = "import sys; exec(sys.argv.pop(1)); from sitegen.cli import run_cli; run_cli()"


def update(shim: str, data: Path, site: Path, cache: Path) -> float:
    change_one_village(data / "coverage.csv")
    settle()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RUN, PRELUDE + shim, "build", "--data", str(data), "--out", str(site),
                           "--cache-dir", str(cache)], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--only", choices=sorted(WITHOUT))
    args = parser.parse_args()
    data, site, cache = OUT / "national-changed" / "data", OUT / "national" / "_site", OUT / "cache"
    if not (data / "coverage.csv").exists() or not site.exists():
        raise SystemExit("run python bench/run.py first: it makes the national data, site and cache")
    update("", data, site, cache)  # the site and cache of this data, whatever ran before
    print("| fast path | with (median s) | without (median s) | without / with (median of pairs) | pairs slower without |")
    print("|---|---|---|---|---|")
    for name, shim in WITHOUT.items():
        if args.only and name != args.only:
            continue
        with_it, without, ratios = [], [], []
        for pair in range(args.pairs):
            order = [("", with_it), (shim, without)]
            for code, results in (order if pair % 2 == 0 else order[::-1]):
                results.append(update(code, data, site, cache))
            ratios.append(without[-1] / with_it[-1])
        slower = sum(r > 1 for r in ratios)
        print(f"| {name} | {statistics.median(with_it):.2f} | {statistics.median(without):.2f} | "
              f"{statistics.median(ratios):.3f} ({min(ratios):.2f}–{max(ratios):.2f}) | {slower} of {len(ratios)} |",
              flush=True)


if __name__ == "__main__":
    main()
