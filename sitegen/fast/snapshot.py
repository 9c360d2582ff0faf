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

import os
import weakref
from pathlib import Path
from typing import NamedTuple

from ..system import (anonymous_file, can_copy_in_kernel, copy_open_file, copy_range, link_open_file,
                     map_read_only)


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
        if link_open_file(self.fd, target):
            return
        try:
            copy_open_file(self.fd, target, self.size)
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


class Snapshot(NamedTuple):
    data: object        # the mapped bytes
    copy: LinkedFile    # the private copy they map, which the download folder links to


def snapshot(path: Path, folder: Path | None) -> Snapshot | None:
    """The file's bytes, mapped from a private copy that can be published as is; None where no such
    copy can be made (the caller then reads the file itself). The map slices, finds and hashes as
    bytes do; whoever needs `bytes` methods (count, decode) takes `bytes(data)`."""
    if not can_copy_in_kernel():
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
        data = map_read_only(fd, size) if size else b""
    except (OSError, ValueError):
        os.close(fd)
        return None
    return Snapshot(data, LinkedFile(fd, data))
