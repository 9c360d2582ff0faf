"""Owns every write: a staging folder, guarded paths, and an atomic swap into place.

Nothing is written into the output folder itself until the whole site has been
written to a staging folder beside it, so a build that fails or is killed at any
moment leaves the previous site whole.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
from pathlib import Path

from .errors import OutputError
from .urls import check_site_relative

MARKER = ".sitegen-site"
MARKER_TEXT = "This folder is built by sitegen; it is replaced on every build.\n"


def check_output_folder(out: Path) -> None:
    """Refuse to replace a folder that sitegen did not make (e.g. `--out .` by mistake)."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a folder")
    if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()):
        raise OutputError(
            f"{out} is not empty and was not made by sitegen (it has no {MARKER} file); "
            f"sitegen replaces its output folder, so choose an empty or new --out folder")


class SiteWriter:
    """Writes pages into a staging folder; `commit()` swaps it in, `abort()` discards it."""

    def __init__(self, out: Path):
        self.out = out.absolute()
        check_output_folder(self.out)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        remove_leftovers(self.out)
        self.staging = self.out.parent / f".{self.out.name}.sitegen-staging-{os.getpid()}"
        self.staging.mkdir()
        (self.staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        self.written: set[str] = set()
        self._made_dirs: set[str] = {""}

    def write(self, path: str, content: str | bytes) -> None:
        """Write one file at a site-relative path; a second write to one path is a bug."""
        self.claim([path])
        write_file(self.staging, path, content, self._made_dirs)

    def claim(self, paths) -> None:
        """Register site-relative paths (written here or by a worker process), refusing repeats."""
        for path in paths:
            relative = check_site_relative(path)
            if relative in self.written:
                raise OutputError(f"two pages would be written to {relative}")
            self.written.add(relative)

    def commit(self) -> None:
        if self.out.exists():
            if exchange(self.staging, self.out):
                shutil.rmtree(self.staging)
                return
            old = self.out.parent / f".{self.out.name}.sitegen-old-{os.getpid()}"
            os.rename(self.out, old)
            os.rename(self.staging, self.out)
            shutil.rmtree(old)
        else:
            os.rename(self.staging, self.out)

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def write_file(root: Path, path: str, content: str | bytes, made_dirs: set[str]) -> None:
    """Write one file under `root`; `path` must already be checked to stay inside it."""
    relative = check_site_relative(path)
    folder = os.path.dirname(relative)
    if folder not in made_dirs:
        os.makedirs(root / folder, exist_ok=True)
        made_dirs.add(folder)
    data = content.encode("utf-8") if isinstance(content, str) else content
    with open(root / relative, "wb") as handle:
        handle.write(data)


def remove_leftovers(out: Path) -> None:
    """Staging folders of builds that were killed; only those carrying sitegen's marker."""
    for pattern in (f".{out.name}.sitegen-staging-*", f".{out.name}.sitegen-old-*"):
        for folder in out.parent.glob(pattern):
            if (folder / MARKER).is_file():
                shutil.rmtree(folder, ignore_errors=True)


_RENAME_EXCHANGE = 2


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders (Linux renameat2); False where the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0
