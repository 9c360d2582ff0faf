"""Owns every write: a staging folder, guarded paths, and putting the result in place.

A full build writes the whole site into a staging folder beside the output and
swaps it in atomically once everything succeeded, so a build that fails or is
killed at any moment leaves the previous site whole.

An update (an incremental build over sitegen's own previous output) stages only
the files whose bytes changed. They are moved in by atomic per-file renames
after everything succeeded, with a journal beside the output: if the move is
interrupted, the next build sees the journal and rebuilds in full.
"""

from __future__ import annotations

import bisect
import itertools
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import OutputError
from ..system import Busy, exchange, files_below, hold_lock, remove_in_background, swap_in, write_new_file
from ..pages.urls import check_site_relative

MARKER = ".sitegen-site"
MARKER_TEXT = "This folder is built by sitegen; it is replaced on every build.\n"
LARGE = 8 << 20             # a replaced file this large is deleted in the background
BACKGROUND_FROM = 4 << 20   # a file this large is written by a thread while the build goes on


def check_output_folder(out: Path) -> None:
    """Refuse to replace a folder that sitegen did not make (e.g. `--out .` by mistake)."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a folder")
    if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()):
        raise OutputError(
            f"{out} is not empty and was not made by sitegen (it has no {MARKER} file); "
            f"sitegen replaces its output folder, so choose an empty or new --out folder")


def lock_output(out: Path):
    """Hold a lock beside the output folder for the whole build: two builds (a `sitegen serve`
    and a `sitegen build`, say) must not write one folder at the same time."""
    try:
        return hold_lock(out.parent / f".{out.name}.sitegen-lock")
    except Busy:
        raise OutputError(f"another sitegen build is writing {out} right now; try again when it has finished") from None


def journal_path(out: Path) -> Path:
    return out.parent / f".{out.name}.sitegen-journal"


def marker_build_id(out: Path) -> str | None:
    """The build id in the output's marker, unless an interrupted update makes it untrustworthy."""
    if journal_path(out).exists():
        return None
    try:
        for line in (out / MARKER).read_text(encoding="utf-8").splitlines():
            if line.startswith("build: "):
                return line[len("build: "):].strip()
    except OSError:
        pass
    return None


class SiteWriter:
    """Writes files into a staging folder; `commit()` puts them in place, `abort()` discards them.

    Given `previous_files` (the record of sitegen's previous build in that folder), the
    build is an update: files whose bytes are unchanged are not written, and `commit()`
    replaces only what changed and removes files the build no longer produces.
    """

    def __init__(self, out: Path, previous_files: list[str] | None = None):
        self.out = out.absolute()
        check_output_folder(self.out)
        self.update = previous_files is not None and self.out.is_dir()
        self.previous_files = sorted(previous_files or ())  # (the record's listing is sorted already)
        self._dropped: set[str] | None = None  # with keep_previous: the previous files it did not keep
        self._files: list[str] | None = None
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._lock = lock_output(self.out)
        remove_leftovers(self.out)  # safe: no other build can be writing this folder now
        self.staging = self.out.parent / f".{self.out.name}.sitegen-staging-{os.getpid()}"
        self.staging.mkdir()
        (self.staging / MARKER).write_bytes(MARKER_TEXT.encode("utf-8"))
        self.produced: set[str] = set()
        self.changed: list[str] = []
        self._made_dirs: set[str] = {""}
        self._pending: list = []
        self._background = None

    @property
    def compare_with(self) -> Path | None:
        """Where workers look for the current bytes of a file (None: write everything)."""
        return self.out if self.update else None

    def write(self, path: str, content: str | bytes) -> None:
        """Write one file at a site-relative path; a second write to one path is a bug.

        A large file (the 20 MB index.json) is written by a thread while the build goes on;
        `commit()` waits for it (and fails if it failed)."""
        self.claim([path])
        if not isinstance(content, str) and not places_itself(content) and len(content) >= BACKGROUND_FROM:
            if self._background is None:

                self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sitegen-write")
            self._pending.append((path, self._background.submit(
                write_file, self.staging, path, content, self._made_dirs, self.compare_with)))
            return
        if write_file(self.staging, path, content, self._made_dirs, self.compare_with):
            self.changed.append(path)

    def _finish_writes(self, raise_errors: bool = True) -> None:
        pending, self._pending = self._pending, []
        try:
            for path, future in pending:
                try:
                    if future.result():
                        self.changed.append(path)
                except Exception:
                    if raise_errors:
                        raise
        finally:
            if self._background is not None:
                self._background.shutdown(wait=True)
                self._background = None

    def claim(self, paths, changed=()) -> None:
        """Register site-relative paths this build produces (some written by worker processes)."""
        for path in paths:
            relative = check_site_relative(path)
            if relative in self.produced:
                raise OutputError(f"two pages would be written to {relative}")
            self.produced.add(relative)
        self.changed.extend(changed)

    def keep_previous(self, drop: tuple[str, ...] = (), unless: tuple[str, ...] = ()) -> None:
        """An update keeps every file of the previous build it does not write again, except those
        under the `drop` folders (which this build makes anew), unless also under an `unless` one.

        Nothing here walks all 400,000 names: the previous files are sorted, so a folder's files
        are one run of them, found by bisection."""
        dropped: set[str] = set()
        for folder in drop:
            start, end = folder_run(self.previous_files, folder)
            kept = [folder_run(self.previous_files, inner) for inner in unless if inner.startswith(folder)]
            for low, high in [*kept, (end, end)]:
                dropped.update(self.previous_files[start:low])
                start = max(start, high)
        self._dropped = dropped

    def files(self) -> list[str]:
        """Every file of the site as this build leaves it, sorted (the previous list itself when an
        update makes the same files)."""
        if self._files is None:
            if self._dropped is None:
                self._files = sorted(self.produced)
            else:
                new = [path for path in self.produced if not in_sorted(self.previous_files, path)]
                stale = self._stale()
                self._files = (self.previous_files if not new and not stale else
                               sorted(set(self.previous_files).difference(stale).union(self.produced)))
        return self._files

    def _stale(self) -> set[str]:
        """Files of the previous build that this one no longer makes."""
        if self._dropped is not None:
            return self._dropped - self.produced
        return set(self.previous_files) - self.produced

    def commit(self, build_id: str | None) -> None:
        try:
            self._finish_writes()
            self._commit(build_id)
        finally:
            self.release()

    def _commit(self, build_id: str | None) -> None:
        marker = MARKER_TEXT + (f"build: {build_id}\n" if build_id else "")
        if self.update:
            self._apply_update(marker)
            return
        (self.staging / MARKER).write_bytes(marker.encode("utf-8"))
        if not self.out.exists():
            os.rename(self.staging, self.out)
        else:
            old = old_site_folder(self.out)
            swap_in(self.staging, self.out, old)
            remove_in_background(old)
        journal_path(self.out).unlink(missing_ok=True)  # a whole new site: an interrupted update is moot

    def _apply_update(self, marker: str) -> None:
        journal = journal_path(self.out)
        journal.write_text("\n".join(self.changed) + "\n", encoding="utf-8")
        # Each changed file is swapped with the one it replaces (renameat2 RENAME_EXCHANGE), which
        # leaves the old one in the staging folder. A plain rename over a file would cost ~0.06 s for
        # the 290 MB cakupan.csv: ext4 starts writing a file's unwritten blocks when it is renamed over
        # another (auto_da_alloc), and freeing a large old file's blocks takes as long again.
        large_old = False
        for path in self.changed:
            target = self.out / path
            if exchange(self.staging / path, target):
                large_old = large_old or (self.staging / path).stat().st_size >= LARGE
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging / path, target)
        # Files of the previous build that this one no longer makes. (Walking the folder instead
        # would cost seconds at national scale; files put there by hand go at the next full build.)
        for stale in sorted(self._stale() - {MARKER}):
            (self.out / stale).unlink(missing_ok=True)
            remove_empty_parents(self.out, (self.out / stale).parent)
        (self.out / MARKER).write_bytes(marker.encode("utf-8"))
        journal.unlink()
        if large_old:
            old = old_site_folder(self.out)
            os.rename(self.staging, old)
            remove_in_background(old)
        else:
            shutil.rmtree(self.staging)

    def abort(self) -> None:
        self._finish_writes(raise_errors=False)
        shutil.rmtree(self.staging, ignore_errors=True)
        self.release()

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def existing_files(out: Path) -> list[str] | None:
    """Every file of a site sitegen built in `out`, sorted, as site-relative paths (None when there
    is none). A full build over it writes only the files whose bytes change and removes the others,
    instead of writing 400,000 files anew and deleting the old ones (which costs more than the build
    saves: ext4 creates files slowly for minutes after a mass delete)."""
    if not (out / MARKER).is_file():
        return None
    return sorted(path for path, _ in files_below(out) if path != MARKER)


def folder_run(names: list[str], folder: str) -> tuple[int, int]:
    """Where the names under `folder` (ending in "/") start and end in a sorted list."""
    return bisect.bisect_left(names, folder), bisect.bisect_left(names, folder[:-1] + chr(ord("/") + 1))


def in_sorted(names: list[str], name: str) -> bool:
    at = bisect.bisect_left(names, name)
    return at < len(names) and names[at] == name


def remove_empty_parents(root: Path, folder: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def places_itself(content) -> bool:
    """Content that puts itself at a path (fast.snapshot.LinkedFile: a hard link to a private copy)."""
    return hasattr(content, "place")


def write_file(root: Path, path: str, content: str | bytes, made_dirs: set[str],
               compare_with: Path | None = None) -> bool:
    """Write one file under `root`; False (and nothing written) when `compare_with` already has these bytes."""
    relative = check_site_relative(path)
    if places_itself(content):
        # A large file published as it is (see sitegen.fast.snapshot): placed by a link, not compared (reading
        # both copies would cost more than linking, and an unchanged copy is still the same bytes).
        folder = os.path.dirname(relative)
        if folder not in made_dirs:
            os.makedirs(root / folder, exist_ok=True)
            made_dirs.add(folder)
        content.place(root / relative)
        return True
    data = content.encode("utf-8") if isinstance(content, str) else content
    if compare_with is not None:
        try:
            with open(compare_with / relative, "rb") as handle:
                # A different size needs no reading (the download folder holds files of 300 MB).
                if os.fstat(handle.fileno()).st_size == len(data) and handle.read() == data:
                    return False
        except OSError:
            pass
    folder = os.path.dirname(relative)
    if folder not in made_dirs:
        make_folder(root, folder, made_dirs)
    write_new_file(os.path.join(root, relative), data)
    return True


def make_folder(root: Path, folder: str, made_dirs: set[str]) -> None:
    """mkdir where the parent is known to exist (a page folder under desa/), makedirs otherwise."""
    parent = os.path.dirname(folder)
    if parent in made_dirs:
        try:
            os.mkdir(os.path.join(root, folder))
        except FileExistsError:
            pass
    else:
        os.makedirs(os.path.join(root, folder), exist_ok=True)
        while parent and parent not in made_dirs:
            made_dirs.add(parent)
            parent = os.path.dirname(parent)
    made_dirs.add(folder)


def old_site_folder(out: Path) -> Path:
    """A new name for the folder a replaced site moves to while it is removed in the background
    (`sitegen serve` builds again in the same process, maybe before the last one is gone)."""
    return out.parent / f".{out.name}.sitegen-old-{os.getpid()}-{next(_OLD_SITES)}"


_OLD_SITES = itertools.count()


def remove_leftovers(out: Path) -> None:
    """Staging folders of builds that were killed; only those carrying sitegen's marker."""
    for pattern in (f".{out.name}.sitegen-staging-*", f".{out.name}.sitegen-old-*"):
        for folder in out.parent.glob(pattern):
            if (folder / MARKER).is_file():
                shutil.rmtree(folder, ignore_errors=True)
