"""Results that are slow to compute at national scale, kept in the cache folder by the digest of
their inputs (and of sitegen's own code, so a new version never reads an old result)."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Callable, TypeVar

from ..system import replace_atomically

T = TypeVar("T")


@lru_cache(maxsize=1)
def code_digest() -> bytes:
    digest = hashlib.sha256()
    package = Path(__file__).parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.digest()


def source_digest(*names: str) -> bytes:
    """The SHA-256 of some of sitegen's own modules (paths relative to the package)."""
    package = Path(__file__).parent.parent
    digest = hashlib.sha256()
    for name in names:
        digest.update((package / name).read_bytes())
    return digest.digest()


def remember(cache_dir: Path | None, kind: str, key: bytes, compute: Callable[[], tuple[T, bool]]) -> T:
    """`compute()` returns (value, keep); a kept value is stored and returned by later calls with the same key.

    Values are JSON (lists come back as tuples): a cache file can never run code."""
    if cache_dir is None:
        return compute()[0]
    name = hashlib.sha256(code_digest() + key).hexdigest()[:32]
    folder = cache_dir / kind
    path = folder / f"{name}.json"
    try:
        return as_tuples(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    value, keep = compute()
    if keep:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.json"):
            old.unlink(missing_ok=True)  # one entry per kind: the inputs of the last build
        replace_atomically(path, json.dumps(value, ensure_ascii=False))
    return value


def as_tuples(value):
    if not isinstance(value, list):
        return value
    if value and isinstance(value[0], list):  # stored values nest lists of one kind
        return tuple(as_tuples(v) for v in value)
    return tuple(value)  # a column of 90,000 names: no call per name


class Cache:
    """The cache folder, for results kept by the digest of their inputs (see `remember`)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def remember(self, kind: str, key: bytes, compute: Callable[[], tuple[T, bool]]) -> T:
        return remember(self.folder, kind, key, compute)
