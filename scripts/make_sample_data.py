#!/usr/bin/env python3
"""Write the bundled, illustrative `data/coverage.csv` for Kabupaten Tanah Bumbu.

Region codes come from `data/regions.csv` (real Kemendagri codes); the numbers are
made up, seeded so every run writes the same file, and calibrated to what was
published for Tanah Bumbu in April 2025 (klikkalsel.com, 16 April 2025):

* 8,146 village-ecosystem workers (perangkat desa, BPD, LKD, kader posyandu) and
  2,192 vulnerable village workers (pekerja rentan) covered in 2025-04;
* wage-earner (formal) participation up 8.72% and non-wage (informal) up 81.73%
  from December 2023 to December 2024.

Usage: python scripts/make_sample_data.py [--data data] [--seed 2025]
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

FIRST, LAST = (2023, 1), (2025, 4)
SOURCE = "ilustrasi-tanah-bumbu"
ECOSYSTEM = {"perangkat_desa": (9, 16), "bpd": (5, 9), "lkd": (18, 45), "kader_posyandu": (10, 30)}
VULNERABLE = {"pekerja_rentan": (40, 180)}
ECOSYSTEM_COVERED, VULNERABLE_COVERED = 8146, 2192
# Kabupaten-wide segments: covered at chosen months; months between are interpolated.
KABUPATEN_ANCHORS = {
    "penerima_upah": {"2023-01": 24420, "2023-12": 25000, "2024-12": 27180, "2025-04": 27560},
    "bukan_penerima_upah": {"2023-01": 3600, "2023-12": 4400, "2024-12": 7996, "2025-04": 8810},
}


def months() -> list[str]:
    (year, month), out = FIRST, []
    while (year, month) <= LAST:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def read_villages(data: Path) -> tuple[str, list[tuple[str, str]]]:
    with open(data / "regions.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    root = next(r["code"] for r in rows if r["level"] == "kabupaten")
    return root, [(r["code"], r["kind"]) for r in rows if r["level"] == "desa"]


def segments_for(kind: str) -> dict[str, tuple[int, int]]:
    # A kelurahan is run by civil servants: it has no perangkat desa paid by the village fund and no BPD.
    skip = {"perangkat_desa", "bpd"} if kind == "kelurahan" else set()
    return {k: v for k, v in {**ECOSYSTEM, **VULNERABLE}.items() if k not in skip}


def final_covered(rng, cells: list[tuple], total: int, mean_share: float) -> dict:
    """Covered counts for the last month that add up to `total` exactly, each ≤ its eligible."""
    raw = {key: eligible * min(1.0, max(0.02, rng.gauss(mean_share, 0.18))) for key, eligible in cells}
    scale = total / sum(raw.values())
    eligible_of = dict(cells)
    covered = {key: min(eligible_of[key], int(value * scale)) for key, value in raw.items()}
    keys = sorted(covered)
    while (missing := total - sum(covered.values())) != 0:
        key = rng.choice(keys)
        step = 1 if missing > 0 else -1
        if 0 <= covered[key] + step <= eligible_of[key]:
            covered[key] += step
    return covered


def village_series(rng, final: int, count: int) -> list[int]:
    """A non-decreasing path ending at `final`: a slow start, then a sign-up drive."""
    start_share = rng.uniform(0.2, 0.55)
    ramp_from = rng.randrange(0, count - 6)
    ramp_to = rng.randrange(ramp_from + 3, count)
    path = []
    for t in range(count):
        progress = min(1.0, max(0.0, (t - ramp_from) / max(1, ramp_to - ramp_from)))
        path.append(int(final * (start_share + (1 - start_share) * progress)))
    path[-1] = final
    return path


def interpolate(anchors: dict[str, int], periods: list[str]) -> list[int]:
    points = sorted((periods.index(p), v) for p, v in anchors.items())
    values = []
    for t in range(len(periods)):
        (t0, v0), (t1, v1) = next(((a, b) for a, b in zip(points, points[1:]) if a[0] <= t <= b[0]))
        values.append(round(v0 + (v1 - v0) * (t - t0) / max(1, t1 - t0)))
    return values


def generate(data: Path, seed: int) -> list[dict]:
    rng = random.Random(seed)
    periods = months()
    root, villages = read_villages(data)
    eligible = {(code, seg): rng.randint(*bounds) for code, kind in villages
                for seg, bounds in segments_for(kind).items()}
    ecosystem = [(k, v) for k, v in eligible.items() if k[1] in ECOSYSTEM]
    vulnerable = [(k, v) for k, v in eligible.items() if k[1] in VULNERABLE]
    final = {**final_covered(rng, ecosystem, ECOSYSTEM_COVERED, 0.74),
             **final_covered(rng, vulnerable, VULNERABLE_COVERED, 0.22)}
    rows = []
    for key in sorted(eligible):
        for period, covered in zip(periods, village_series(rng, final[key], len(periods))):
            rows.append({"period": period, "region_code": key[0], "segment": key[1],
                         "covered": covered, "eligible": eligible[key], "source": SOURCE})
    for segment, anchors in KABUPATEN_ANCHORS.items():
        for period, covered in zip(periods, interpolate(anchors, periods)):
            rows.append({"period": period, "region_code": root, "segment": segment,
                         "covered": covered, "eligible": "", "source": SOURCE})
    rows.sort(key=lambda r: (r["period"], r["region_code"], r["segment"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    rows = generate(args.data, args.seed)
    with open(args.data / "coverage.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.data / 'coverage.csv'}")


if __name__ == "__main__":
    main()
