"""Offline reading: the service worker (`sw.js`) and the web app manifest, at the site's root.

The worker is sitegen's own (sitegen/theme/offline/sw.js, about 100 lines) rather than Workbox.
Workbox's runtime could be vendored from npm, but its usual set-up (generateSW, the precache
manifest) runs in its Node build tools, which an editor's laptop does not have; written by hand on
its runtime it would add its modules for what is here three small strategies: network first for
pages with the kept copy as fallback, cache first for fingerprinted assets, one cache per version.
And sitegen must mark a copy served offline with when it was kept, which Workbox does not do.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .site import Site, Writer

WORKER = Path(__file__).resolve().parent.parent / "theme" / "offline" / "sw.js"
PRECACHED = ("css", "site", "icon")  # what every page loads; charts, search and Vega are kept when used


def service_worker(assets: dict[str, str]) -> str:
    """sw.js, its version the digest of its own code and of every asset's fingerprinted name: a
    build that changes either replaces the readers' kept copies; a data update keeps them."""
    source = WORKER.read_text(encoding="utf-8")
    precache = json.dumps([assets[name] for name in PRECACHED])
    version = hashlib.sha256((source + json.dumps(assets, sort_keys=True)).encode()).hexdigest()[:12]
    return source.replace("{{VERSION}}", version).replace("{{PRECACHE}}", precache)


def manifest(site: Site, assets: dict[str, str]) -> str:
    """The web app manifest: the site can be added to a phone's home screen and opens at its home page."""
    title = site.config.title
    return json.dumps({
        "name": title.id,
        "short_name": title.id if len(title.id) <= 24 else title.id[:24].rstrip(),
        "description": "Cakupan perlindungan BPJS Ketenagakerjaan untuk pekerja desa dan pekerja rentan.",
        "lang": "id",
        "start_url": "./",
        "scope": "./",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f5f8b",
        "icons": [{"src": assets["icon"], "sizes": "any", "type": "image/svg+xml"}],
    }, ensure_ascii=False, indent=1) + "\n"


def write_offline_files(site: Site, assets: dict[str, str], writer: Writer) -> None:
    writer.write("sw.js", service_worker(assets))
    writer.write("manifest.webmanifest", manifest(site, assets))
