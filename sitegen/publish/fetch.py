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

from ..model.releases import ARCHIVE, INDEX, ZIP, release_path

DOWNLOADS = "unduh/"
LISTS = ("cakupan.csv", "wilayah.csv")
TIMEOUT = 60
MARKER = ".sitegen-fetched"  # in a folder this command made (and may replace)


class FetchError(Exception):
    pass


def fetch(url: str, absent_ok: bool, timeout: float = TIMEOUT) -> bytes | None:
    """The body at `url`; None when the site has no such file and `absent_ok` (404, or the 403 that
    object storage gives for a key that is not there)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": "sitegen"}),
                                    timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        # Only two files may be absent: the coverage list (nothing published yet) and the release
        # index (published before releases were kept). Every other file the index names must come.
        if exc.code in (403, 404) and absent_ok:
            return None
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise FetchError(f"{url}: {getattr(exc, 'reason', exc)}") from None


def fetch_published(site_url: str, out: Path) -> list[str]:
    """Fetch into `out` (a folder laid out like the site); returns the files fetched, [] when nothing
    is published there yet. The folder is filled beside `out` first and moved into place whole; an
    existing `out` is replaced only if an earlier fetch made it."""
    base = site_url if site_url.endswith("/") else site_url + "/"
    if out.exists() and not (out / MARKER).is_file():
        raise FetchError(f"{out} exists and was not made by sitegen fetch-published: give another --out")
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    fetched = []

    def get(path: str, absent_ok: bool = False) -> bytes | None:
        data = fetch(base + path, absent_ok)
        if data is not None:
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            fetched.append(path)
        return data

    def get_checked(path: str, release: dict) -> None:
        data = get(path)
        if hashlib.sha256(data).hexdigest() != release["sha256"]:
            raise FetchError(f"{base}{path}: not the zip the release index lists (a cache may still hold an "
                             "older copy: try again in a few minutes)")

    try:
        first = fetch(base + DOWNLOADS + LISTS[0], absent_ok=True)
        if first is None:
            return []  # nothing published yet: the first build compares with nothing
        staging.mkdir(parents=True)
        (staging / MARKER).write_text(base + "\n", encoding="utf-8")
        (staging / DOWNLOADS).mkdir()
        (staging / DOWNLOADS / LISTS[0]).write_bytes(first)
        fetched.append(DOWNLOADS + LISTS[0])
        get(DOWNLOADS + LISTS[1])
        index = get(DOWNLOADS + ARCHIVE + INDEX, absent_ok=True)  # absent: published before releases were kept
        if index is not None:
            for release in json.loads(index)["releases"]:
                period = release["period"]
                # The period, checked, names the file: never a path the index gives.
                path = DOWNLOADS + (ZIP if release.get("current") else ARCHIVE + release_path(period))
                get_checked(path, release)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
        return fetched
    finally:
        shutil.rmtree(staging, ignore_errors=True)
