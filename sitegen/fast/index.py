"""The fast way to `pages.api.index_json`: after an update of the cube, only the entries of the
regions whose figures changed are made again, and spliced into the last index (kept in the
state folder with each entry's offset). The same bytes as the plain index."""

from __future__ import annotations

import hashlib
import json
from typing import NamedTuple

import numpy as np

from ..pages.api import index_entries, index_head, index_json as plain_index_json
from ..pages.site import Site
from ..system import replace_atomically
from .cache import code_digest
from .cubestate import in_background


def index_json(site: Site) -> bytes:
    history = site.cube.history
    if history is None:
        return plain_index_json(site)
    head = index_head(site)
    key = index_key(site, head)
    cached = read_index(history.folder, key) if history.previous else None

    def entries(rows) -> list[str]:
        return index_entries(site, rows)

    if cached is not None and cached.rows == history.previous and len(cached.offsets) == len(site.tree.regions) + 1:
        text, offsets = splice(cached.text, cached.offsets, history.changed.tolist(), entries)
    else:
        made = [entry.encode() for entry in entries(range(len(site.tree.regions)))]
        start = len(head.encode())
        text = head.encode() + b",".join(made) + b"]}\n"
        lengths = np.fromiter((len(m) for m in made), dtype=np.int64, count=len(made)) + 1  # with its comma
        offsets = np.concatenate([[start], start + np.cumsum(lengths)])
    in_background(write_index, history.folder, key, history.rows, text, offsets)
    return text


def splice(text: bytes, offsets: np.ndarray, changed: list[int], entries) -> tuple[bytes, np.ndarray]:
    """The index with the entries of `changed` regions made again; `offsets[r]` is where entry r
    starts, `offsets[-1]` one past the last entry's comma (or where "]}" starts)."""
    parts, at, shift = [], int(offsets[0]), np.zeros(len(offsets), dtype=np.int64)
    parts.append(text[:at])
    made = entries(changed)
    count = len(offsets) - 1
    for r, entry in zip(changed, made):
        start, end = int(offsets[r]), int(offsets[r + 1])
        parts.append(text[at:start])
        encoded = entry.encode() + (b"," if r < count - 1 else b"")
        if r == count - 1:
            end = end - 1  # the last entry has no comma: offsets[-1] counted one
        parts.append(encoded)
        shift[r + 1:] += len(encoded) - (end - start)
        at = end
    parts.append(text[at:])
    return b"".join(parts), offsets + shift


def index_key(site: Site, head: str) -> str:
    regions = site.tree.regions
    digest = hashlib.sha256(code_digest() + head.encode())
    for column in ([r.code for r in regions], [r.name for r in regions], [r.level for r in regions], site.paths):
        digest.update("\0".join(column).encode() + b"\1")
    digest.update(site.tree.parent.tobytes())
    return digest.hexdigest()[:24]


class KeptIndex(NamedTuple):
    """The index.json of a previous build, kept in the state folder to splice changed entries into."""

    rows: str               # the rows id (fast.cubestate) it was made from
    text: bytes
    offsets: np.ndarray     # where each region's entry starts, and the end of the last


def read_index(folder, key: str) -> KeptIndex | None:
    """The index kept in the state folder, if it was made with `key`."""
    try:
        with np.load(folder / "index-offsets.npz", allow_pickle=False) as stored:
            meta = json.loads(bytes(stored["meta"]).decode())
            offsets = stored["offsets"]
        if meta.get("key") != key:
            return None
        text = (folder / f"index-{meta['name']}.json").read_bytes()
        if len(text) != meta["size"]:
            return None
        return KeptIndex(meta["rows"], text, offsets)
    except Exception:  # noqa: BLE001 - no index kept: made in full
        return None


def write_index(folder, key: str, rows: str, text: bytes, offsets: np.ndarray) -> None:
    """The text under a name of its own, then the offsets naming it (each replaced atomically)."""
    name = hashlib.sha256(text).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"index-{name}.json"
    if not target.exists():
        replace_atomically(target, text)
    meta = json.dumps({"key": key, "rows": rows, "name": name, "size": len(text)}).encode()
    replace_atomically(folder / "index-offsets.npz",
                       lambda file: np.savez(file, meta=np.frombuffer(meta, dtype=np.uint8), offsets=offsets))
    for old in folder.glob("index-*.json"):
        if old.name != target.name:
            old.unlink(missing_ok=True)
