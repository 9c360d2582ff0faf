#!/usr/bin/env python3
"""Write the licence notices of the Vega bundle that every sitegen site serves.

    python scripts/update_vega_notices.py [--vega 6.2.0] [--vega-lite 6.4.1] [--vega-embed 7.0.2]

The bundle (`assets/vega.<fingerprint>.js`, made by vl-convert: see update_vega_bundle.py) is
minified code of vega, vega-lite and vega-embed (BSD-3-Clause) and of the packages they use (d3's
ISC modules among them). Their licences ask that a redistribution carries their notices, and a
minified bundle has none, so sitegen publishes them beside it as `assets/vega-licenses.txt`.

This installs the three packages at the versions the shipped bundle holds from the npm registry
(npm, `--ignore-scripts`, into a temporary folder) and writes the licence of every package in their
dependency tree into sitegen/theme/assets/vega-licenses.txt, sorted by name. Run it after
update_vega_bundle.py, with the versions vl-convert's release notes name; it stops if the shipped
bundle does not contain the vega and vega-lite versions given.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from sitegen.render.charts import VENDORED_BUNDLES  # noqa: E402

TARGET = ROOT / "sitegen" / "theme" / "assets" / "vega-licenses.txt"
LICENCE_FILE = re.compile(r"^(licen[cs]e|copying|copyrightnotice|notice)([.-].*)?$", re.IGNORECASE)
RULE = "-" * 78


def installed_packages(node_modules: Path) -> list[dict]:
    """name, version, licence and licence texts of every package under node_modules (nested ones too)."""
    packages = {}
    for manifest in sorted(node_modules.rglob("package.json")):
        folder = manifest.parent
        if folder.parent.name != "node_modules" and folder.parent.parent.name != "node_modules":
            continue  # a package.json inside a package (dist/, test fixtures), not a package of its own
        meta = json.loads(manifest.read_text(encoding="utf-8"))
        name, release = meta.get("name"), meta.get("version")
        if not name or not release or name.startswith("@types/"):  # @types/*: type definitions, no code
            continue
        licence = meta.get("license") or meta.get("licenses") or "UNKNOWN"
        if isinstance(licence, dict):
            licence = licence.get("type", "UNKNOWN")
        if isinstance(licence, list):
            licence = " OR ".join(item.get("type", "UNKNOWN") if isinstance(item, dict) else str(item) for item in licence)
        texts = [path.read_text(encoding="utf-8", errors="replace").strip()
                 for path in sorted(folder.iterdir()) if path.is_file() and LICENCE_FILE.match(path.name)]
        packages[(name, release)] = {"name": name, "version": release, "license": licence, "texts": texts}
    return [packages[key] for key in sorted(packages)]


def notices(packages: list[dict], versions: dict[str, str]) -> str:
    asked = ", ".join(f"{name} {release}" for name, release in versions.items())
    lines = [
        "Licences of the code in the Vega bundle this site serves (assets/vega.*.js)",
        "",
        f"The bundle is made by vl-convert-python {version('vl-convert-python')} from {asked}.",
        "Below is the licence of each npm package in their dependency tree; a few of them (command-line",
        "helpers) are not in the browser bundle. Made by sitegen's scripts/update_vega_notices.py.",
        "",
    ]
    for package in packages:
        lines += [RULE, f"{package['name']} {package['version']} ({package['license']})", ""]
        lines += [text + "\n" for text in package["texts"]] or [f"(the package ships no licence file; "
                                                                f"its package.json says {package['license']})\n"]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vega", default="6.2.0")
    parser.add_argument("--vega-lite", default="6.4.1")
    parser.add_argument("--vega-embed", default="7.0.2")
    args = parser.parse_args()
    versions = {"vega": args.vega, "vega-lite": args.vega_lite, "vega-embed": args.vega_embed}
    bundle = (VENDORED_BUNDLES / f"vega-bundle-{version('vl-convert-python')}.js").read_text(encoding="utf-8")
    for name in ("vega", "vega-lite"):
        if f'"{versions[name]}"' not in bundle:
            raise SystemExit(f"the shipped bundle holds no {name} {versions[name]}: pass the version it holds")
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed (Node.js)")
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "package.json").write_text('{"private": true}', encoding="utf-8")
        subprocess.run([npm, "install", "--prefix", folder, "--ignore-scripts", "--no-audit", "--no-fund",
                        *(f"{name}@{release}" for name, release in versions.items())], check=True)
        packages = installed_packages(Path(folder) / "node_modules")
    TARGET.write_text(notices(packages, versions), encoding="utf-8", newline="\n")
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(packages)} packages, {TARGET.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
