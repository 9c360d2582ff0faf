"""`sitegen fetch-published URL`: the files of the published site a build compares with and carries
over (`--previous`): the coverage and region lists for the changes page, and every release of the
download archive, so that the next build keeps last month's data at its address."""

from __future__ import annotations

import hashlib
import json
import shutil
import urllib.error
import urllib.request
from pathlib import Path

from ..model.releases import ARCHIVE, INDEX, ZIP

DOWNLOADS = "unduh/"
LISTS = ("cakupan.csv", "wilayah.csv")
TIMEOUT = 60


class FetchError(Exception):
    pass


def fetch(url: str, timeout: float = TIMEOUT) -> bytes | None:
    """The body at `url`; None when the site has no such file (404)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "sitegen"}),
                                    timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        if exc.code in (403, 404):  # object storage answers 403 for a key that is not there
            return None
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise FetchError(f"{url}: {getattr(exc, 'reason', exc)}") from None


def fetch_published(site_url: str, out: Path) -> list[str]:
    """Fetch into `out` (a folder laid out like the site); returns the files fetched, [] when nothing
    is published there yet. The folder is filled in a sibling first and moved into place whole."""
    base = site_url if site_url.endswith("/") else site_url + "/"
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    fetched = []

    def get(path: str, required: bool) -> bytes | None:
        data = fetch(base + path)
        if data is None and required:
            raise FetchError(f"{base + path}: not found, though the site's release index lists it")
        if data is not None:
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            fetched.append(path)
        return data

    try:
        if get(DOWNLOADS + LISTS[0], required=False) is None:
            return []  # nothing published yet: the first build compares with nothing
        get(DOWNLOADS + LISTS[1], required=True)
        index = get(DOWNLOADS + ARCHIVE + INDEX, required=False)
        if index is not None:
            get(DOWNLOADS + ZIP, required=True)
            for release in json.loads(index)["releases"]:
                if release.get("sha256"):
                    data = get(DOWNLOADS + ARCHIVE + release["path"], required=True)
                    if hashlib.sha256(data).hexdigest() != release["sha256"]:
                        raise FetchError(f"{base}{DOWNLOADS}{ARCHIVE}{release['path']}: not the zip the index lists")
        shutil.rmtree(out, ignore_errors=True)
        staging.rename(out)
        return fetched
    finally:
        shutil.rmtree(staging, ignore_errors=True)
