"""Work the command line starts before it imports the pipeline.

Copying coverage.csv into the cache and hashing its pieces takes ~0.3 s at national scale, and
both let go of the GIL; importing the rest of sitegen (numpy, Jinja, polars' loader) takes
~0.4 s. So `sitegen build` and `sitegen check` start the copy here, in a thread, and
`fast.coverage.prefetch_coverage` takes the running job over. This module imports nothing heavy.

On a cache that has never parsed a coverage.csv (a first `check` or build on a machine), the thread
also parses the whole file with polars, which lets go of the GIL for its 1–2 s. Everything before
that parse (importing numpy and polars) needs the GIL, as does all the command line does meanwhile
(importing the pipeline, reading 91,600 regions): the command line first waits until the parse has
begun (`wait_for_head_start`), so that the long parse runs beside its work instead of after it.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

_started: dict[tuple[Path, Path], Future] = {}
_head_start = threading.Event()  # set once the command line need not wait for the read any longer
_head_start.set()                # (and whenever no read was started)
HEAD_START_FROM = 32 << 20       # a smaller file parses in less time than polars takes to import
HEAD_START_TIMEOUT = 5.0


def start_coverage_read(data_dir: Path, cache_dir: Path | None) -> None:
    from . import enabled  # lazy: this module runs before the rest of sitegen is imported

    _head_start.clear()
    if cache_dir is not None and enabled():
        _started[(data_dir / "coverage.csv", cache_dir)] = submit(data_dir / "coverage.csv", cache_dir)
    else:
        _head_start.set()


def wait_for_head_start() -> None:
    """Until the thread has begun parsing a large coverage.csv on a cold cache, or knows it will not."""
    _head_start.wait(HEAD_START_TIMEOUT)


def head_started() -> None:
    _head_start.set()


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
    try:
        if not parses_ahead(path, cache_dir):
            head_started()
        from .snapshot import snapshot  # lazy: this module runs before the rest of sitegen is imported

        try:
            taken = snapshot(path, cache_dir)  # before numpy is imported: this part needs none of it
        except Exception:  # noqa: BLE001 - load_coverage reads the file again and reports why it cannot
            return None
        from .coverage import read_and_hash  # lazy: numpy and polars load here, after the copy has started

        return read_and_hash(path, cache_dir, taken, head_started)
    finally:
        head_started()  # whatever happened, the command line goes on


def parses_ahead(path: Path, cache_dir: Path) -> bool:
    """Whether the read may parse the whole file ahead (fast.coverage.read_and_hash decides for certain,
    but needs numpy, which is not imported yet): a large file with sitegen's plain header, on a cache
    whose coverage folders hold no file (a warm cache parses only the pieces that changed)."""
    try:
        if os.path.getsize(path) < HEAD_START_FROM:
            return False
        with open(path, "rb") as handle:
            header = handle.readline(4096)
        if header.startswith(b"\xef\xbb\xbf") or b";" in header or b'"' in header:
            return False  # read the exact way, or converted first: nothing is parsed ahead
        folders = cache_dir / "coverage"
        return not (folders.is_dir() and any(any(folder.iterdir()) for folder in folders.iterdir() if folder.is_dir()))
    except (OSError, ValueError):
        return False
