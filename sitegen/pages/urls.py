"""Where each page lives, and links between pages that work from any base path.

Scheme (documented in docs/data.md): the root region is the home page `/`;
every other region is `/<level>/<code with dashes>-<name slug>/`, e.g.
`/desa/63-10-01-2001-sungai-dua/`. The code makes the path unique even where two
villages share a name; the slug makes it readable.

Links are written relative to the page that holds them, so the site works
unchanged from `/`, from `/jamsostek/` or from a folder on disk.
"""

from __future__ import annotations

import posixpath

from ..inputs.data import Region
from ..inputs.files import slugify


def region_path(region: Region, is_root: bool) -> str:
    """Site-relative folder of a region's page: '' for the root, else 'desa/63-10-01-2001-slug/'."""
    if is_root:
        return ""
    return f"{region.level}/{region.code.replace('.', '-').lower()}-{slugify(region.name)}/"


def relative_url(from_dir: str, to_path: str) -> str:
    """Link from a page in folder `from_dir` to site-relative `to_path` ('' = home).

    Folders end in '/'; the result keeps the trailing slash so static hosts serve index.html.
    """
    depth = from_dir.count("/")
    up = "../" * depth
    return (up + to_path) or "./"


def check_site_relative(path: str) -> str:
    """A normalised site-relative file path; raises ValueError if it would leave the site."""
    if path and "/." not in path and "//" not in path and not path.startswith((".", "/")) and \
            not path.endswith("/") and "\\" not in path and "\0" not in path:
        return path  # already normal (what normpath would return): 550,000 checks a national build
    if path.startswith("/") or "\\" in path or "\0" in path:
        raise ValueError(f"not a site-relative path: {path!r}")
    normal = posixpath.normpath(path)
    if normal == "." or normal.startswith("../") or normal == "..":
        raise ValueError(f"path leaves the output folder: {path!r}")
    return normal
