"""The cache of checked coverage pieces: each piece's columns as a small integer matrix
(one row per array), found by the SHA-256 of the piece's bytes.

A full load stores every piece at once as one *pack* (`pack-ID.npy`, all rows side by side,
and `pack-ID.index`, each piece's digest and row count in file order): creating 1,100 small
files costs about a second of file-system work at national scale, one file costs almost none.
An update stores the few pieces it parsed as single files (`DIGEST.npy`) next to the pack.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..system import replace_atomically

PACK_PREFIX = "pack-"
INDEX_SUFFIX = ".index"


class PieceStore:
    """The pieces stored in one folder (one per check context: the lookups and header they were
    checked against). A store without a folder stores nothing."""

    def __init__(self, folder: Path | None, arrays: int):
        self.folder = folder
        self.arrays = arrays
        self._packs: dict[str, tuple[Path, int, int]] | None = None  # digest -> (pack, first row, rows)
        self._opened: dict[Path, np.ndarray] = {}

    def get(self, digest: str) -> np.ndarray | None:
        """The piece's matrix, or None when it is not stored (or its file is damaged)."""
        if self.folder is None:
            return None
        # The pack first: after a cold load it holds every piece, and a miss there costs no open().
        where = self._pack_index().get(digest)
        matrix = self._open_pack(where[0]) if where is not None else None
        if matrix is not None:
            return matrix[:, where[1]:where[1] + where[2]]
        return self._single(digest)

    def known(self) -> set[str]:
        """Digests of every stored piece."""
        if self.folder is None or not self.folder.is_dir():
            return set()
        singles = {p.name[:-len(".npy")] for p in self.folder.iterdir()
                   if p.name.endswith(".npy") and not p.name.startswith(PACK_PREFIX) and "." not in p.name[:-4]}
        return singles | set(self._pack_index())

    def put(self, digest: str, columns: list[np.ndarray]) -> None:
        """One piece, as a file of its own."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        save_atomically(self.folder / f"{digest}.npy", stacked(columns))

    def put_all(self, columns: list[np.ndarray], digests, counts) -> None:
        """Every piece of a file at once, as one pack that replaces whatever was stored before."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        pack_id = hashlib.sha256("\n".join(digests).encode()).hexdigest()[:16]
        name = f"{PACK_PREFIX}{pack_id}"
        save_atomically(self.folder / f"{name}.npy", stacked(columns))
        index = "".join(f"{digest} {count}\n" for digest, count in zip(digests, counts))
        replace_atomically(self.folder / f"{name}{INDEX_SUFFIX}", index)  # last: an index names a complete pack
        for stored in self.folder.iterdir():
            if not stored.name.startswith(name + "."):
                stored.unlink(missing_ok=True)
        self._packs = None

    def prune(self, used: set[str]) -> None:
        """Drop single pieces not in `used`, and packs none of whose pieces is."""
        if self.folder is None or not self.folder.is_dir():
            return
        needed_packs = {where[0].name.split(".")[0] for digest, where in self._pack_index().items() if digest in used}
        self._opened.clear()  # Windows cannot delete a file that is still mapped
        for stored in self.folder.iterdir():
            stem = stored.name.split(".")[0]
            if stem in needed_packs or (not stem.startswith(PACK_PREFIX) and stem in used):
                continue
            try:
                stored.unlink(missing_ok=True)
            except OSError:  # still mapped by rows in use (Windows): dropped by a later prune
                pass
        self._packs = None

    def _single(self, digest: str) -> np.ndarray | None:
        try:
            stored = np.load(self.folder / f"{digest}.npy", allow_pickle=False)
        except Exception:  # noqa: BLE001 - a missing or damaged cache file is only a cache miss
            return None
        return stored if stored.ndim == 2 and stored.shape[0] == self.arrays else None

    def _pack_index(self) -> dict[str, tuple[Path, int, int]]:
        if self._packs is None:
            self._packs = {}
            for index in sorted(self.folder.glob(f"{PACK_PREFIX}*{INDEX_SUFFIX}")) if self.folder.is_dir() else ():
                self._packs.update(read_index(index))
        return self._packs

    def _open_pack(self, path: Path) -> np.ndarray | None:
        if path not in self._opened:
            try:
                matrix = np.load(path, mmap_mode="r", allow_pickle=False)
            except Exception:  # noqa: BLE001 - as for a single piece: a cache miss
                matrix = None
            if matrix is not None and (matrix.ndim != 2 or matrix.shape[0] != self.arrays):
                matrix = None
            self._opened[path] = matrix
        return self._opened[path]


def read_index(index: Path) -> dict[str, tuple[Path, int, int]]:
    pack = index.with_name(index.name[:-len(INDEX_SUFFIX)] + ".npy")
    found, row = {}, 0
    try:
        lines = index.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    for line in lines:
        digest, _, count = line.partition(" ")
        if not count.isdigit():
            return {}
        found.setdefault(digest, (pack, row, int(count)))
        row += int(count)
    return found


def stacked(columns: list[np.ndarray]) -> np.ndarray:
    """The columns as the rows of one matrix."""
    # Counts fit in 32 bits almost always: then the piece takes half the space and loads faster.
    fits = all(c.size == 0 or (c.min() >= -1 and c.max() < 2**31) for c in columns)
    matrix = np.empty((len(columns), len(columns[0]) if columns else 0), np.int32 if fits else np.int64)
    for row, column in zip(matrix, columns):
        row[:] = column
    return matrix


def save_atomically(path: Path, matrix: np.ndarray) -> None:
    replace_atomically(path, lambda file: np.save(file, matrix, allow_pickle=False))
