#!/usr/bin/env python3
"""Vendor Decap CMS (the news editor at /admin/) from the npm registry into the theme.

    python scripts/update_decap_bundle.py [VERSION]

Takes the package with `npm pack`, checks that its tarball's integrity matches the registry's
(npm view), and copies the browser bundle, its lazily loaded chunks and WebAssembly files (the
bundle loads them from its own folder) and its licence notices into
sitegen/theme/vendor/decap-cms-VERSION/. Source maps and the duplicate `cms.js` are left out.
The site's admin page loads nothing from another host.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VERSION = "3.16.3"
VENDOR = Path(__file__).resolve().parent.parent / "sitegen" / "theme" / "vendor"


def main() -> None:
    version = sys.argv[1] if len(sys.argv) > 1 else VERSION
    with tempfile.TemporaryDirectory() as work:
        done = subprocess.run(["npm", "pack", f"decap-cms@{version}", "--json"], cwd=work, check=True,
                              capture_output=True, text=True)
        packed = json.loads(done.stdout)[0]
        tarball = Path(work) / packed["filename"]
        integrity = subprocess.run(["npm", "view", f"decap-cms@{version}", "dist.integrity"], check=True,
                                   capture_output=True, text=True).stdout.strip()
        algorithm, expected = integrity.split("-", 1)
        actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
        if actual != expected:
            raise SystemExit(f"decap-cms@{version}: the tarball does not match the registry's {algorithm}")
        with tarfile.open(tarball) as archive:
            archive.extractall(work, filter="data")
        dist = Path(work) / "package" / "dist"
        target = VENDOR / f"decap-cms-{version}"
        for old in VENDOR.glob("decap-cms-*"):
            shutil.rmtree(old)
        target.mkdir(parents=True)
        names = sorted(p.name for p in dist.iterdir()
                       if p.name.endswith("decap-cms.js") or p.suffix == ".wasm" or p.name == "decap-cms.js.LICENSE.txt")
        for name in names:
            shutil.copyfile(dist / name, target / name)
        manifest = json.loads((Path(work) / "package" / "package.json").read_text(encoding="utf-8"))
        (target / "NOTICE.txt").write_text(
            f"Decap CMS {version} ({manifest['license']} licence), {manifest['homepage']}\n"
            f"from the npm registry: {integrity}\n"
            "decap-cms.js.LICENSE.txt lists the licences of the libraries bundled with it.\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in target.iterdir())
    print(f"wrote {target} ({len(names) + 1} files, {size:,} bytes)")


if __name__ == "__main__":
    main()
