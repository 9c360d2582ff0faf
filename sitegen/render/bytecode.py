"""Where compiled templates are kept between builds: one folder per language, catalog and compiler.

Compiling the theme costs ~0.3 s per language; Jinja's FileSystemBytecodeCache keeps the result in
these folders. Translations without placeholders are compiled into the templates
(compiled.ConstantTranslations), so a folder belongs to one language and one catalog, and to the
template compiler (environment.py, compiled.py) and Jinja version that made it; Jinja itself checks
each template's source. This module imports nothing heavy: the child that compiles a first build's
templates (fast/templates.py) asks it where to put them before anything else is imported.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from importlib.metadata import version
from pathlib import Path

from .i18n import catalog_digest

COMPILER = ("environment.py", "compiled.py")
# A new catalog, Jinja version or template compiler makes new folders (a few hundred KB each). The
# newest few of a language stay, and any used within the hour (another sitegen may be building with
# it: each build marks the folder it uses); older ones go when a new one is made.
KEEP_FOLDERS = 3
IN_USE_SECONDS = 3600
FOLDER_NAME = re.compile(r"jinja-[a-z]+-[0-9a-f]{16}")


def bytecode_folder(cache_dir: Path | None, code: str, create: bool = True) -> Path | None:
    """The folder of one language's compiled templates (made unless `create` is false); None without a cache."""
    if cache_dir is None:
        return None
    key = hashlib.sha256((catalog_digest() + version("jinja2")).encode())
    for module in COMPILER:
        key.update((Path(__file__).parent / module).read_bytes())
    folder = cache_dir / f"jinja-{code}-{key.hexdigest()[:16]}"
    if create:
        try:
            os.utime(folder)  # in use now (a folder is written to only when a template is compiled)
        except FileNotFoundError:
            folder.mkdir(parents=True, exist_ok=True)
            prune_old_folders(cache_dir, code)
        except OSError:
            pass  # (a cache folder it may not touch: Jinja then only reads from it)
    return folder


def prune_old_folders(cache_dir: Path, code: str) -> None:
    """Delete a language's compiled-template folders beyond the newest KEEP_FOLDERS, unless one was
    used within the last hour (a build of another sitegen may be using it)."""
    def modified(folder: Path) -> float:
        try:
            return folder.stat().st_mtime
        except OSError:
            return 0.0

    folders = sorted((folder for folder in cache_dir.glob(f"jinja-{code}-*") if FOLDER_NAME.fullmatch(folder.name)),
                     key=modified, reverse=True)
    for old in folders[KEEP_FOLDERS:]:
        if time.time() - modified(old) > IN_USE_SECONDS:
            shutil.rmtree(old, ignore_errors=True)
