"""What a deploy changes: the built site against what the bucket holds, compared by content.

Each object carries the digest of its bytes and of the headers it is served with; a file is
uploaded only when the bucket has no object of that digest under its key. Modification times
say nothing here (every CI build writes every file anew), and an ETag is no content hash for a
multipart upload or an encrypted bucket.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..system import files_below

# Named here rather than asked of `mimetypes`, which reads the system's registry on Windows (where
# .js has been text/plain) and gives no charset.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".jsonld": "application/ld+json; charset=utf-8",
    ".geojson": "application/geo+json; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
UNKNOWN_TYPE = "application/octet-stream"

# A file whose name carries its content's hash (assets/style.d82be76d42.css: the names sitegen's
# build fingerprints) never changes under that name: browsers and CDNs may keep it for a year.
# Everything else (pages, feeds, API files, downloads, a site's own images) changes in place at the
# next deploy, so caches keep it for five minutes.
FINGERPRINTED = re.compile(r"assets/(?:style|charts|search|site|embed|vega)\.[0-9a-f]{10}\.(?:css|js)")
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"

# Upload order: what pages load (stylesheets, scripts, images) first, then data files, then the
# pages and feeds that refer to them, so a reader never gets a page whose resources are missing.
RESOURCE_SUFFIXES = {".css", ".js", ".mjs", ".wasm", ".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif", ".ico",
                     ".woff", ".woff2"}
PAGE_SUFFIXES = {".html", ".xml"}

DIGEST_FORMAT = b"sitegen-deploy-2"


def content_type(key: str) -> str:
    return CONTENT_TYPES.get(os.path.splitext(key)[1].lower(), UNKNOWN_TYPE)


def cache_control(key: str) -> str:
    return IMMUTABLE if FINGERPRINTED.fullmatch(key) else SHORT


def upload_stage(key: str) -> int:
    """0 for resources pages load, 1 for data files, 2 for pages and feeds."""
    suffix = os.path.splitext(key)[1].lower()
    return 0 if suffix in RESOURCE_SUFFIXES else 2 if suffix in PAGE_SUFFIXES else 1


@dataclass(frozen=True)
class LocalFile:
    key: str      # the path inside the site, with "/" (also the object's key after the prefix)
    path: str     # where it is on disk
    size: int
    digest: str   # of its bytes and of how it is served (object_digest)
    gzip: bool = False  # stored compressed, with Content-Encoding: gzip


# Text a browser reads, stored gzip-compressed with `sitegen deploy --gzip` (an object store sends
# what it holds, whatever the browser asked for; every browser takes gzip). The downloads in unduh/
# stay as they are, so that `curl -O` and spreadsheet programs get the file its name promises.
GZIP_SUFFIXES = {".html", ".css", ".js", ".mjs", ".json", ".jsonld", ".geojson", ".webmanifest", ".xml", ".svg", ".txt",
                 ".md"}


def compressible(key: str) -> bool:
    return os.path.splitext(key)[1].lower() in GZIP_SUFFIXES and not key.startswith("unduh/")


def content_hash(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def object_digest(content: str, key: str, gzip: bool = False) -> str:
    """The digest an object carries: of its content's hash and of how it is served."""
    served = f"\0{content_type(key)}\0{cache_control(key)}\0{'gzip' if gzip else ''}\0{content}"
    return hashlib.sha256(DIGEST_FORMAT + served.encode()).hexdigest()


Entry = tuple[str, str, int, int, int]   # key, path, size, mtime_ns, inode


def site_listing(site: Path) -> list[Entry]:
    """(key, path, size, mtime_ns, inode) of every file of the site, sorted by key. Names starting
    with "." are sitegen's own (the marker) or a system's, never pages: they are not published. Keys
    are NFC, as URLs are written (macOS may hand names back decomposed)."""
    found = []
    for path, entry in files_below(site, skip=lambda name: name.startswith(".")):
        stat = entry.stat()
        found.append((unicodedata.normalize("NFC", path), entry.path, stat.st_size, stat.st_mtime_ns, stat.st_ino))
    found.sort()
    return found


def hash_site(site: Path, jobs: int = 4, known: dict[str, tuple[int, int, int, str]] | None = None,
              gzip: bool = False) -> tuple[list[LocalFile], dict[str, tuple[int, int, int, str]]]:
    """Every file of the site with its digest, and the content hashes to remember for next time.

    A file whose size, modification time and inode are those `known` from the last deploy keeps
    its hash (an update build rewrites only the files whose bytes changed); the others are read
    (hashlib lets go of the GIL: threads share the work)."""
    listing = site_listing(site)
    known = known or {}
    contents: list[str | None] = []
    to_read = []
    for index, (key, path, size, mtime, inode) in enumerate(listing):
        seen = known.get(key)
        if seen is not None and seen[:3] == (size, mtime, inode):
            contents.append(seen[3])
        else:
            contents.append(None)
            to_read.append(index)
    with ThreadPoolExecutor(jobs) as pool:
        for index, content in zip(to_read, pool.map(lambda i: content_hash(listing[i][1]), to_read)):
            contents[index] = content
    files = [LocalFile(key, path, size, object_digest(content, key, gzip and compressible(key)),
                       gzip and compressible(key))
             for (key, path, size, _, _), content in zip(listing, contents)]
    remembered = {key: (size, mtime, inode, content)
                  for (key, _, size, mtime, inode), content in zip(listing, contents)}
    return files, remembered


@dataclass
class Plan:
    uploads: list[LocalFile] = field(default_factory=list)   # in upload order
    deletes: list[str] = field(default_factory=list)          # keys, sorted
    unchanged: int = 0

    @property
    def upload_bytes(self) -> int:
        return sum(file.size for file in self.uploads)

    def stages(self) -> list[list[LocalFile]]:
        """The uploads in the groups that go one after the other (see upload_stage)."""
        groups: list[list[LocalFile]] = [[], [], []]
        for file in self.uploads:
            groups[upload_stage(file.key)].append(file)
        return [group for group in groups if group]


# A dated release of the downloads (model.releases) stays where it was published, whatever a build
# holds: a link to last month's data must not break because one build lacked the archive.
RELEASE = re.compile(r"(?:.*/)?unduh/arsip/\d{4}-(?:0[1-9]|1[0-2])/data\.zip")


def make_plan(local: list[LocalFile], remote: dict[str, str | None]) -> Plan:
    """`remote` maps each key the bucket holds (under the prefix) to the digest sitegen stored with
    it, or None for an object of unknown content (not uploaded by sitegen)."""
    plan = Plan()
    for file in local:
        if file.key in remote and remote[file.key] == file.digest:
            plan.unchanged += 1
        else:
            plan.uploads.append(file)
    plan.uploads.sort(key=lambda file: (upload_stage(file.key), file.key))
    keys = {file.key for file in local}
    plan.deletes = sorted(key for key in remote if key not in keys and not RELEASE.fullmatch(key))
    return plan
