"""Everything that differs between Linux, macOS and Windows, in one place, each with a portable default.

The rest of sitegen calls these functions and never asks which system it runs on. Where a
system offers something quicker (Linux's anonymous files, `renameat2`, `copy_file_range`,
forking page workers), it is used when present and safe; otherwise the plain, portable way
gives the same bytes. The tests take the quicker ways away (tests/test_portable.py) and compare.
"""

from __future__ import annotations

import ctypes
import functools
import mmap
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable


def fastpath_enabled() -> bool:
    """`SITEGEN_FASTPATH=0` turns every fast path off: sitegen's caches (sitegen.fast) and the
    system's quicker facilities here (anonymous files, renameat2, kernel copies, forked workers).
    The output is the same either way (tests/test_fastpath.py)."""
    return os.environ.get("SITEGEN_FASTPATH", "1").strip().lower() not in ("0", "false", "no", "off")


# --- writing files ----------------------------------------------------------------------

def write_flags() -> int:
    """Flags to create or truncate a file for writing: binary where the system has a text mode
    (Windows' O_BINARY: without it os.write turns "\\n" into "\\r\\n"), not inherited by child
    processes where the system can say so (O_CLOEXEC)."""
    return os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def write_new_file(path: str | os.PathLike, data, flags: int | None = None) -> None:
    """Write `data` to `path` with three system calls (open, write, close: open()'s file object takes
    six, and a national build writes 275,000 files)."""
    fd = os.open(path, write_flags() if flags is None else flags, 0o666)
    try:
        view, done = memoryview(data), 0
        while done < len(view):
            done += os.write(fd, view[done:])
    finally:
        os.close(fd)


def replace_atomically(path: Path, content: bytes | str | Callable) -> None:
    """Write a file so that readers see the old content or the new, never a part: into a temporary
    file beside it, then `os.replace` (atomic on POSIX and on Windows' NTFS).

    `content` is bytes, text (UTF-8) or a function that writes into a binary file object
    (numpy's save and savez take one)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            if callable(content):
                content(handle)
            else:
                handle.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- swapping a folder or a file in -----------------------------------------------------

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_AT_SYMLINK_FOLLOW = 0x400


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two existing paths (Linux's renameat2); False where the system cannot, and
    the caller then moves them one after the other."""
    renameat2 = libc_function("renameat2")
    if renameat2 is None:
        return False
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def swap_in(new: Path, current: Path, old: Path) -> None:
    """Put the folder or file `new` where `current` is, leaving what was there at `old`.

    With renameat2 the swap is one atomic step; elsewhere there is a moment between the two
    renames where `current` is missing (a reader then gets "not found", never a mix)."""
    if exchange(new, current):
        os.rename(new, old)
        return
    os.rename(current, old)
    os.rename(new, current)


def files_below(folder: Path, skip: Callable[[str], bool] = lambda name: False) -> list[tuple[str, os.DirEntry]]:
    """Every file below `folder` as (its path relative to it, with "/" on every system; its entry),
    in no particular order; folders and files whose name `skip` accepts are left out, and links to
    folders are not followed."""
    found = []
    stack = [("", os.fspath(folder))]
    while stack:
        prefix, current = stack.pop()
        with os.scandir(current) as entries:
            for entry in entries:
                if skip(entry.name):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append((f"{prefix}{entry.name}/", entry.path))
                elif entry.is_file():
                    found.append((prefix + entry.name, entry))
    return found


def remove_in_background(folder: Path) -> None:
    """Delete a replaced site without making the build wait: a detached `rm -rf` on POSIX (deleting
    90,000 files takes longer than writing them), a plain delete elsewhere."""
    rm = shutil.which("rm")
    if rm and os.name == "posix":
        subprocess.Popen([rm, "-rf", "--", str(folder)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    else:
        shutil.rmtree(folder, ignore_errors=True)


# --- a lock beside the output -------------------------------------------------------------

class Busy(Exception):
    """Another process holds the lock."""


def hold_lock(path: Path):
    """An exclusive lock on `path`, taken at once or not at all (filelock: fcntl on POSIX,
    msvcrt on Windows); `release()` it when done."""
    from filelock import FileLock, Timeout  # lazy: ~45 ms to import, and the command line imports this module first

    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise Busy(str(path)) from None
    return lock


# --- worker processes -----------------------------------------------------------------------

def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def fork_context():
    """A multiprocessing context that forks, where forking this process now is safe; else None
    (the caller then works in this process).

    Page workers are forked so that they share the model and compiled templates without pickling
    them. Forking is safe on Linux; on macOS CPython calls it unsafe while other threads run
    (system libraries may hold locks in them), so there it forks only when no other thread lives;
    Windows cannot fork."""
    import multiprocessing  # lazy: only builds that render pages need it, and the command line imports this module first

    if "fork" not in multiprocessing.get_all_start_methods() or not fastpath_enabled():
        return None
    if not sys.platform.startswith("linux") and threading.active_count() > 1:
        return None
    return multiprocessing.get_context("fork")


def fork_child(work: Callable[[], None]) -> int | None:
    """Run `work` in a forked child while this process goes on; the child's pid, or None where forking
    is not possible or not safe now (the caller then does without). Only while no other thread lives,
    which makes it safe on macOS too; Windows cannot fork. The child leaves without this process's
    exit handlers or buffered output, whatever `work` does."""
    if not hasattr(os, "fork") or not fastpath_enabled() or threading.active_count() > 1:
        return None
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        work()
        status = 0
    except BaseException:  # noqa: BLE001 - the child has no one to report to; its parent does the work itself
        pass
    finally:
        os._exit(status)


def wait_for_child(pid: int, timeout: float = 60.0) -> bool:
    """Wait for a child of fork_child to end (killed after `timeout` seconds); whether it ended by itself, with 0."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # already waited for
            return False
        if done:
            return os.waitstatus_to_exitcode(status) == 0
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return False
        time.sleep(0.002)


# --- the C library (Linux and other POSIX systems; None elsewhere) ------------------------

def libc_function(name: str):
    """A function of the C library this process runs with (loaded once), or None where there is none."""
    if not fastpath_enabled():
        return None
    try:
        return getattr(_libc(), name, None)
    except (OSError, TypeError):  # no C library to load (TypeError: a system where CDLL needs a name)
        return None


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


# --- anonymous files (Linux): a private copy that can be published by a link ----------------

def anonymous_file(folder: Path | None) -> int | None:
    """An unnamed file in `folder` (O_TMPFILE), open for reading and writing; None where there is none."""
    if folder is None or not hasattr(os, "O_TMPFILE") or not fastpath_enabled():
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return os.open(folder, os.O_TMPFILE | os.O_RDWR, 0o666)
    except OSError:
        return None


def link_open_file(fd: int, target: Path) -> bool:
    """Give the anonymous file open as `fd` a name (linkat through /proc/self/fd); False where it cannot."""
    linkat = libc_function("linkat") if fd_path(fd) is not None else None
    return linkat is not None and linkat(_AT_FDCWD, os.fsencode(fd_path(fd)), _AT_FDCWD, os.fsencode(target),
                                         _AT_SYMLINK_FOLLOW) == 0


def fd_path(fd: int) -> str | None:
    """A path that opens the same file as `fd` (Linux's /proc/self/fd), or None."""
    return f"/proc/self/fd/{fd}" if os.path.isdir("/proc/self/fd") else None


def can_copy_in_kernel() -> bool:
    return hasattr(os, "copy_file_range") and fastpath_enabled()


def copy_range(source: int, target: int, size: int) -> None:
    """The first `size` bytes of the open file `source` into `target`, inside the kernel."""
    done = 0
    while done < size:
        step = os.copy_file_range(source, target, size - done, done, done)
        if step <= 0:
            raise OSError("copy_file_range made no progress")
        done += step


def copy_open_file(source: int, target: Path, size: int) -> None:
    out = os.open(target, write_flags(), 0o666)
    try:
        copy_range(source, out, size)
    finally:
        os.close(out)


def map_read_only(fd: int, size: int):
    """The open file's bytes, mapped read-only (and read ahead where the system can)."""
    if not hasattr(mmap, "MAP_SHARED"):  # Windows: flags and prot do not exist there
        return mmap.mmap(fd, size, access=mmap.ACCESS_READ)
    return mmap.mmap(fd, size, flags=mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0), prot=mmap.PROT_READ)


