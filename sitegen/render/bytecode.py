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
from importlib.metadata import version
from pathlib import Path

from .i18n import catalog_digest

COMPILER = ("environment.py", "compiled.py")


def bytecode_folder(cache_dir: Path | None, code: str, create: bool = True) -> Path | None:
    """The folder of one language's compiled templates (made unless `create` is false); None without a cache."""
    if cache_dir is None:
        return None
    key = hashlib.sha256((catalog_digest() + version("jinja2")).encode())
    for module in COMPILER:
        key.update((Path(__file__).parent / module).read_bytes())
    folder = cache_dir / f"jinja-{code}-{key.hexdigest()[:16]}"
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder
