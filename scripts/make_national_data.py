#!/usr/bin/env python3
"""Write a complete national input (all of Indonesia) to measure sitegen at scale.

Region codes and names are real: they come from the Kemendagri list in the project's shared
reference data (`--regions`, read here only, never by `sitegen build`). Coverage numbers are
illustrative and seeded: five village segments for every desa/kelurahan over 12 months
(about 5 million rows), plus formal/informal rows per kabupaten/kota. The YAML files are the
bundled site's, with the root region set to `ID` (Indonesia).

Usage: python scripts/make_national_data.py --out DIR [--regions PATH] [--seed 2025] [--months 12]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parent.parent
DEFAULT_REGIONS = REPO.parent / "shared" / "data" / "wilayah" / "indonesia_regions.csv"
VILLAGE_SEGMENTS = {"perangkat_desa": (9, 16), "bpd": (5, 9), "lkd": (18, 45),
                    "kader_posyandu": (10, 30), "pekerja_rentan": (40, 180)}
KABUPATEN_SEGMENTS = {"penerima_upah": (8000, 90000), "bukan_penerima_upah": (1500, 20000)}
SOURCE = "ilustrasi-nasional"


def months(count: int, last: tuple[int, int] = (2025, 4)) -> list[str]:
    year, month = last
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def write_regions(source: Path, out: Path) -> pl.DataFrame:
    # Empty cells stay null so that write_csv leaves them bare (no quotes) like the source file.
    regions = pl.read_csv(source, infer_schema=False)
    regions = regions.with_columns(
        pl.when(pl.col("level") == "provinsi").then(pl.lit("ID")).otherwise(pl.col("parent_code")).alias("parent_code"))
    root = pl.DataFrame({"code": ["ID"], "name": ["Indonesia"], "level": ["nasional"], "parent_code": [None], "kind": [None]},
                        schema={c: pl.String for c in ("code", "name", "level", "parent_code", "kind")})
    regions = pl.concat([root, regions.select(root.columns)])
    regions.write_csv(out / "regions.csv")
    return regions


def village_rows(villages: np.ndarray, periods: list[str], rng: np.random.Generator) -> pl.DataFrame:
    frames = []
    n, t = len(villages), len(periods)
    for segment, (low, high) in VILLAGE_SEGMENTS.items():
        eligible = rng.integers(low, high + 1, size=n)
        start = rng.uniform(0.1, 0.6, size=n)
        growth = rng.uniform(0.0, 0.4, size=n)
        share = np.clip(start[:, None] + growth[:, None] * np.linspace(0, 1, t)[None, :], 0, 1)
        covered = np.floor(eligible[:, None] * share).astype(np.int64)
        frames.append(pl.DataFrame({
            "period": np.tile(np.array(periods), n),
            "region_code": np.repeat(villages, t),
            "segment": segment,
            "covered": covered.ravel(),
            "eligible": np.repeat(eligible, t).astype(str),
        }))
    return pl.concat(frames)


def kabupaten_rows(kabupaten: np.ndarray, periods: list[str], rng: np.random.Generator) -> pl.DataFrame:
    frames = []
    n, t = len(kabupaten), len(periods)
    for segment, (low, high) in KABUPATEN_SEGMENTS.items():
        base = rng.integers(low, high, size=n)
        growth = rng.uniform(0.0, 0.1, size=n)
        covered = np.floor(base[:, None] * (1 + growth[:, None] * np.linspace(0, 1, t)[None, :])).astype(np.int64)
        frames.append(pl.DataFrame({
            "period": np.tile(np.array(periods), n), "region_code": np.repeat(kabupaten, t),
            "segment": segment, "covered": covered.ravel(), "eligible": pl.Series([None] * (n * t), dtype=pl.String),
        }))
    return pl.concat(frames)


def copy_yaml(out: Path) -> None:
    for name in ("segments.yaml",):
        shutil.copy(REPO / "data" / name, out / name)
    site = (REPO / "data" / "site.yaml").read_text(encoding="utf-8")
    site = site.replace('root_region: "63.10"', 'root_region: "ID"').replace("Jamsostek Tanah Bumbu", "Jamsostek Indonesia")
    (out / "site.yaml").write_text(site, encoding="utf-8")
    sources = (REPO / "data" / "sources.yaml").read_text(encoding="utf-8")
    sources += (f"  - id: {SOURCE}\n    publisher: sitegen\n    title: Angka ilustratif nasional, dibuat oleh "
                "scripts/make_national_data.py\n    date: 2025-04-30\n    url: \"\"\n"
                "    note: Angka buatan untuk mengukur kinerja. Bukan data resmi.\n    illustrative: true\n")
    (out / "sources.yaml").write_text(sources, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="data folder to write")
    parser.add_argument("--regions", type=Path, default=DEFAULT_REGIONS)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--province", help="only this province code (e.g. 63), for small test runs")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    regions = write_regions(args.regions, args.out)
    if args.province:
        keep = (pl.col("code") == "ID") | (pl.col("code") == args.province) | pl.col("code").str.starts_with(args.province + ".")
        regions = regions.filter(keep)
        regions.write_csv(args.out / "regions.csv")
    periods = months(args.months)
    villages = regions.filter(pl.col("level") == "desa").get_column("code").to_numpy()
    kabupaten = regions.filter(pl.col("level") == "kabupaten").get_column("code").to_numpy()
    coverage = pl.concat([village_rows(villages, periods, rng), kabupaten_rows(kabupaten, periods, rng)])
    coverage = coverage.with_columns(source=pl.lit(SOURCE)).sort(["period", "region_code", "segment"])
    coverage.write_csv(args.out / "coverage.csv")
    copy_yaml(args.out)
    counts = regions.group_by("level").len().sort("level")
    print(f"regions: {len(regions)} ({', '.join(f'{l} {n}' for l, n in counts.iter_rows())})")
    print(f"coverage rows: {len(coverage)} ({len(villages)} desa x {len(VILLAGE_SEGMENTS)} segments x "
          f"{len(periods)} months + {len(kabupaten)} kabupaten/kota x {len(KABUPATEN_SEGMENTS)} x {len(periods)})")


if __name__ == "__main__":
    main()
