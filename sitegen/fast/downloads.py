"""What is slow to make in the download folder at national scale, kept in the cache folder:

* each piece of coverage.csv deflated on its own, by the piece's content hash (an edit
  recompresses only the pieces it touched);
* a member of a megabyte or more (wilayah.csv), and wilayah.csv itself (91,600 rows through the
  csv module take ~0.2 s), by content;
* the zip, written by the background thread into an anonymous file that the staging folder links
  to (fast.snapshot), in pieces: 28 MB are never joined in memory.

`pages.downloads` makes the same bytes without it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..inputs.data import Region
from ..pages.downloads import LEVEL, Piece, make_piece, regions_csv
from ..system import replace_atomically
from .cache import code_digest
from .snapshot import LinkedFile

PIECE_FORMAT = "p2"  # part of each cached piece's name: a new layout never reads an old file
MEMBER_FROM = 1 << 20  # members this large are kept


class DownloadCache:
    def __init__(self, cache_dir: Path):
        self.cache_dir = cache_dir
        self.folder = cache_dir / "bulk"

    def piece(self, digest: str, data, start: int, end: int) -> Piece:
        return cached_piece(self.folder, piece_key(digest), data, start, end)

    def keep_pieces(self, digests) -> None:
        """Forget the stored pieces no longer in the file."""
        used = {piece_key(digest) for digest in digests}
        for stored in self.folder.glob("*.deflate"):
            if stored.stem not in used:
                stored.unlink(missing_ok=True)

    def member_piece(self, data: bytes) -> Piece | None:
        if len(data) < MEMBER_FROM:
            return None
        return cached_piece(self.folder / "members", member_key(data), data, 0, len(data))

    def keep_members(self, files: dict) -> None:
        used = {f"{member_key(data)}.deflate" for data in files.values()
                if not isinstance(data, LinkedFile) and len(data) >= MEMBER_FROM}
        for stored in (self.folder / "members").glob("*.deflate"):
            if stored.name not in used:
                stored.unlink(missing_ok=True)

    def regions_csv(self, regions: list[Region]) -> bytes:
        return cached_regions_csv(regions, self.cache_dir)

    def large_file(self, chunks: tuple) -> LinkedFile | bytes:
        return LinkedFile.of_chunks(chunks, self.cache_dir)


def piece_key(digest: str) -> str:
    return f"{digest}-{LEVEL}{PIECE_FORMAT}"


def member_key(data: bytes) -> str:
    return piece_key(hashlib.sha256(data).hexdigest()[:32])


def cached_piece(folder: Path | None, key: str, data: bytes, start: int, end: int) -> Piece:
    """The piece: whether it is plain, its CRC-32 and its deflated bytes, stored by its content hash."""
    path = folder / f"{key}.deflate" if folder else None
    if path is not None:
        try:
            stored = path.read_bytes()
            if len(stored) >= 5:
                return Piece(stored[:1] == b"P", int.from_bytes(stored[1:5], "little"), stored[5:])
        except OSError:
            pass
    made = make_piece(data[start:end])
    if path is not None:
        folder.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, (b"P" if made.plain else b"N") + made.crc.to_bytes(4, "little") + made.deflated)
    return made


def cached_regions_csv(regions: list[Region], cache_dir: Path) -> bytes:
    """wilayah.csv (91,600 rows through the csv module: ~0.2 s), kept by the regions' content."""
    digest = hashlib.sha256(code_digest())
    for column in zip(*regions) if regions else ():
        digest.update("\0".join(column).encode() + b"\1")
    path = cache_dir / "bulk" / f"wilayah-{digest.hexdigest()[:32]}.csv"
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = regions_csv(regions)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("wilayah-*.csv"):
            old.unlink(missing_ok=True)
        replace_atomically(path, data)
    except OSError:
        pass
    return data
