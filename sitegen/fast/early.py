"""Work the command line starts before it imports the pipeline.

Copying coverage.csv into the cache and hashing its pieces takes ~0.3 s at national scale, and
both let go of the GIL; importing the rest of sitegen (numpy, Jinja, polars' loader) takes
~0.4 s. So `sitegen build` and `sitegen check` start the copy here, in a thread, and
`fast.coverage.prefetch_coverage` takes the running job over. This module imports nothing heavy.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

_started: dict[tuple[Path, Path], Future] = {}


def start_coverage_read(data_dir: Path, cache_dir: Path | None) -> None:
    from . import enabled  # lazy: this module runs before the rest of sitegen is imported

    if cache_dir is not None and enabled():
        _started[(data_dir / "coverage.csv", cache_dir)] = submit(data_dir / "coverage.csv", cache_dir)


def take_coverage_read(data_dir: Path, cache_dir: Path) -> Future:
    """The job started for these folders (each is used once), else a new one."""
    path = data_dir / "coverage.csv"
    return _started.pop((path, cache_dir), None) or submit(path, cache_dir)


def submit(path: Path, cache_dir: Path) -> Future:
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sitegen-coverage")
    try:
        return pool.submit(read_coverage, path, cache_dir)
    finally:
        pool.shutdown(wait=False)


def read_coverage(path: Path, cache_dir: Path):
    from .snapshot import snapshot  # lazy: this module runs before the rest of sitegen is imported

    try:
        taken = snapshot(path, cache_dir)  # before numpy is imported: this part needs none of it
    except Exception:  # noqa: BLE001 - load_coverage reads the file again and reports why it cannot
        return None
    from .coverage import read_and_hash  # lazy: numpy and polars load here, after the copy has started

    return read_and_hash(path, cache_dir, taken)
