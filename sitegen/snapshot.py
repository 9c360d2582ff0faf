"""Large files published as they are, without writing their bytes again.

`coverage.csv` of a national site is ~290 MB and the download folder publishes it byte for
byte. Writing 290 MB from memory costs ~0.7 s on a typical disk; copying a file inside the
kernel (`copy_file_range`) costs a tenth of that, and linking a file costs nothing. So the
input is first copied into an anonymous file (`O_TMPFILE`, in the cache folder), the build
reads, checks and hashes *that copy* — which nobody else can see or change, so what is
published is exactly what was checked — and the staging folder gets a hard link to it.
The anonymous file disappears by itself if the build dies. Large generated files (the zip)
are written into such a file by the background thread that makes them.

Where any of this is not possible (another system, another file system) the bytes are
written as usual.
"""

from __future__ import annotations

import ctypes
import functools
import mmap
import os
import weakref
from pathlib import Path

AT_FDCWD = -100
AT_SYMLINK_FOLLOW = 0x400

def libc_function(name: str):
    """A function of the C library this process runs with (loaded once), or None where there is none."""
    try:
        return getattr(_libc(), name, None)
    except (OSError, TypeError):  # no C library to load (TypeError: a system where CDLL needs a name)
        return None


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def linkat(fd: int, target: Path) -> bool:
    """Give the anonymous file open as `fd` a name (linkat through /proc/self/fd)."""
    function = libc_function("linkat")
    return function is not None and function(AT_FDCWD, f"/proc/self/fd/{fd}".encode(), AT_FDCWD,
                                              os.fsencode(target), AT_SYMLINK_FOLLOW) == 0


class LinkedFile:
    """File content held in an anonymous file: placed by a link (or a kernel copy), never rewritten.

    `data` is the same bytes in memory, for whoever reads them (its length is shown on the download page)."""

    def __init__(self, fd: int, data=None, chunks: tuple | None = None):
        self.fd, self._data, self._chunks = fd, data, chunks
        self.size = len(data) if data is not None else sum(len(c) for c in chunks)
        self._close = weakref.finalize(self, os.close, fd)

    @property
    def data(self):
        if self._data is None:
            self._data = b"".join(self._chunks)
        return self._data

    def __len__(self) -> int:
        return self.size

    def place(self, target: Path) -> None:
        if linkat(self.fd, target):
            return
        try:
            copy_fd(self.fd, target, self.size)
        except OSError:
            with open(target, "wb") as handle:
                handle.write(self.data)

    @classmethod
    def of_chunks(cls, chunks: tuple, folder: Path | None) -> LinkedFile | bytes:
        """The concatenated `chunks` written into an anonymous file in `folder` (or the joined bytes
        where that fails)."""
        fd = anonymous_file(folder)
        if fd is None:
            return b"".join(chunks)
        try:
            pending = [memoryview(c) for c in chunks if len(c)]
            while pending:
                written = os.writev(fd, pending[:512])
                while pending and written >= len(pending[0]):
                    written -= len(pending[0])
                    pending.pop(0)
                if written:
                    pending[0] = pending[0][written:]
        except OSError:
            os.close(fd)
            return b"".join(chunks)
        return cls(fd, chunks=tuple(chunks))


def anonymous_file(folder: Path | None) -> int | None:
    if folder is None or not hasattr(os, "O_TMPFILE"):
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return os.open(folder, os.O_TMPFILE | os.O_RDWR, 0o666)
    except OSError:
        return None


def copy_fd(source: int, target: Path, size: int) -> None:
    out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        copy_range(source, out, size)
    finally:
        os.close(out)


def copy_range(source: int, target: int, size: int) -> None:
    done = 0
    while done < size:
        step = os.copy_file_range(source, target, size - done, done, done)
        if step <= 0:
            raise OSError("copy_file_range made no progress")
        done += step


def snapshot(path: Path, folder: Path | None) -> tuple[mmap.mmap | bytes, LinkedFile] | None:
    """The file's bytes, mapped from a private copy that can be published as is; None where no such
    copy can be made (the caller then reads the file itself). The map slices, finds and hashes as
    bytes do; whoever needs `bytes` methods (count, decode) takes `bytes(data)`."""
    if not hasattr(os, "copy_file_range"):
        return None
    fd = anonymous_file(folder)
    if fd is None:
        return None
    try:
        source = os.open(path, os.O_RDONLY)
        try:
            size = os.fstat(source).st_size
            copy_range(source, fd, size)
        finally:
            os.close(source)
        if os.fstat(fd).st_size != size:
            raise OSError("the copy is incomplete")
        # Mapped rather than read: the pages are the copy's own (no second 290 MB in memory), and
        # nobody else can write to an anonymous file.
        data = mmap.mmap(fd, size, flags=mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0),
                         prot=mmap.PROT_READ) if size else b""
    except (OSError, ValueError):
        os.close(fd)
        return None
    return data, LinkedFile(fd, data)
