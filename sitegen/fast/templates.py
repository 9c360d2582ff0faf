"""A first build's templates, compiled by a forked child while the build imports and reads its input.

Compiling the theme takes ~0.3 s per language, and on a first build (a cache folder with no compiled
templates yet) the page stage waited for it on one core while the other idled. The command
line forks a child before it starts any thread (fork is safe then, macOS included); the child
compiles every template into the cache folder's bytecode folders (render/bytecode.py), and the
build waits for it before rendering the first page, then loads what it compiled. Where the child
cannot run, fails, or finds the templates compiled already, the build compiles what it needs
itself, as it always does (so does a build whose cache holds only another sitegen's or catalog's
compiled templates): the pages are the same.
"""

from __future__ import annotations

from pathlib import Path

from ..system import available_cores, fork_child, wait_for_child
from . import enabled

_child: int | None = None


def start_compiling(templates: Path, cache_dir: Path | None) -> None:
    """Fork the child that compiles the templates, where it can help: a second core, the fast paths on, and
    a cache folder without compiled templates of any sitegen yet. (Finding this sitegen's own folders takes
    imports that cost a national update ~0.05 s, so a cache with another version's folders only is left to
    the build, which compiles what it needs as it goes.)"""
    global _child
    if (cache_dir is not None and enabled() and _child is None and available_cores() > 1
            and not any(cache_dir.glob("jinja-*"))):
        _child = fork_child(lambda: compile_templates(templates, cache_dir))


def wait_for_templates() -> None:
    """Wait until the child (if one runs) has compiled the templates."""
    global _child
    if _child is not None:
        wait_for_child(_child, timeout=15.0)  # compiling takes ~0.5 s: a child that takes longer is stopped
        _child = None


def compile_templates(templates: Path, cache_dir: Path) -> None:
    if not needs_compiling(cache_dir):
        return  # compiled by an earlier build: the build loads them (and compiles what changed) itself
    from ..render.environment import make_environment  # lazy: only when there is something to compile
    from ..render.bytecode import bytecode_folder  # lazy: this runs in the child, before anything is imported
    from ..render.i18n import LANGUAGES, translations  # lazy: likewise

    for language in LANGUAGES:
        env = make_environment(templates, language.babel_locale, translations(language.code),
                               bytecode_folder(cache_dir, language.code))
        for name in env.list_templates(filter_func=is_page_template):
            try:
                env.get_template(name)
            except Exception:  # noqa: BLE001 - a template the build will report on (with its file and line)
                continue


def needs_compiling(cache_dir: Path) -> bool:
    """Whether a language's bytecode folder for this sitegen, Jinja and catalog has no compiled template yet."""
    from ..render.bytecode import bytecode_folder  # lazy: this runs in the child, before anything is imported
    from ..render.i18n import LANGUAGES  # lazy: likewise

    folders = [bytecode_folder(cache_dir, language.code, create=False) for language in LANGUAGES]
    return not all(folder.is_dir() and any(folder.glob("*.cache")) for folder in folders)


def is_page_template(name: str) -> bool:
    """The templates a build loads by their own names ("default:" ones only when an override extends one)."""
    return not name.startswith("default:") and name.endswith((".html", ".xml"))
