"""Refresh the translation catalogs from the code and the templates.

    python scripts/update_catalogs.py           # extract, update, print what needs translating
    python scripts/update_catalogs.py --check   # change nothing; exit 1 if a catalog is out of
                                                # date or has an untranslated or fuzzy entry

What it does, with Babel's Python API and the mapping in `babel.cfg`:

1. Extracts every `_()` / `ngettext()` message of `sitegen/**.py` and of the default
   theme's templates (`sitegen/theme/templates/**.html`, `**.xml`) into
   `sitegen/locale/messages.pot`. The msgids are the Bahasa Indonesia text, which
   needs no catalog of its own. Translator comments are picked up from a
   `# TRANSLATORS: ...` (Python) or `{# TRANSLATORS: ... #}` (template) comment on the
   line of the call or the line before.
2. Updates each translated language's `sitegen/locale/<code>/LC_MESSAGES/messages.po`
   (today: `en`) against it, like `pybabel update`: existing translations are kept,
   new messages are added with an empty msgstr, messages no longer in the code are
   dropped, and a msgid that changed slightly is matched to its old translation and
   marked fuzzy (with the previous msgid as `#| msgid`), which the site does not use
   until a translator checks it and removes the `fuzzy` flag.
3. Prints the entries that still need a translator: empty or fuzzy.

The problem reports (`tr("...")` in `sitegen/**.py`, see sitegen/errors.py) are a second
domain, the other way round: English msgids in `sitegen/locale/problems.pot`, translated into
Bahasa Indonesia in `sitegen/locale/id/LC_MESSAGES/problems.po`; the same steps apply.

Then translate those entries in the `.po` and run `python -m pytest tests/test_i18n.py`.
No `.mo` file is made: `sitegen.render.i18n.translations()` compiles the `.po` at run time.

Output is deterministic: messages in file and line order, source locations kept
(they help translators; line numbers do change when templates are edited), and a
file is rewritten only when something other than its creation/revision date changed,
so running the script on an unchanged tree leaves `git status` clean.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
MAPPING = "babel.cfg"
SOURCE_DIR = "sitegen"
POT = Path("sitegen/locale/messages.pot")
LANGUAGES = ("en",)  # every language but the source one (Bahasa Indonesia)
LANGUAGE_TEAMS = {"en": "English"}
COMMENT_TAGS = ("TRANSLATORS:",)
HEADER = """\
# Interface strings of sitegen (Jamsostek coverage site). The msgids are Bahasa Indonesia.
# Made by scripts/update_catalogs.py; translate the empty and fuzzy entries.
#"""
DATE_LINES = re.compile(rb'^"(?:POT-Creation-Date|PO-Revision-Date): .*\n', re.MULTILINE)


PROBLEMS_POT = Path("sitegen/locale/problems.pot")
PROBLEM_LANGUAGES = ("id",)  # every language but English, the msgids of problem reports
PROBLEMS_HEADER = """\
# Problem reports of sitegen (errors and warnings about the input). The msgids are English.
# Made by scripts/update_catalogs.py; translate the empty and fuzzy entries.
#"""


def po_path(code: str, domain: str = "messages") -> Path:
    return Path("sitegen/locale") / code / "LC_MESSAGES" / f"{domain}.po"


def extract(root: Path = ROOT) -> Catalog:
    """Every message of the package, as Babel finds it with `babel.cfg`, in memory."""
    with open(root / MAPPING, encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, filename=str(root / MAPPING))

    def only_the_package(path: str) -> bool:
        # Walk sitegen/ only: never _site/, national/ or the other big folders beside it.
        rel = Path(path).relative_to(root).parts
        return rel[0] == SOURCE_DIR and not any(part.startswith((".", "_")) for part in rel)

    catalog = Catalog(project="sitegen", header_comment=HEADER, fuzzy=False, charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), method_map, options_map, keywords=DEFAULT_KEYWORDS, comment_tags=COMMENT_TAGS,
            strip_comment_tags=True, directory_filter=only_the_package):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def extract_problems(root: Path = ROOT) -> Catalog:
    """Every `tr("...")` message (problem reports) of the package's Python modules."""
    def only_the_package(path: str) -> bool:
        rel = Path(path).relative_to(root).parts
        return rel[0] == SOURCE_DIR and not any(part.startswith((".", "_")) for part in rel)

    catalog = Catalog(project="sitegen", header_comment=PROBLEMS_HEADER, fuzzy=False, charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), [("sitegen/**.py", "python")], {}, keywords={"tr": None, "tr_noop": None}, comment_tags=COMMENT_TAGS,
            strip_comment_tags=True, directory_filter=only_the_package):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def needs_work(catalog: Catalog) -> list:
    """The entries a translator still has to do: empty (any plural form) or fuzzy."""
    todo = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        if message.fuzzy or not all(strings):
            todo.append(message)
    return todo


def po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=76, ignore_obsolete=True, include_previous=True)
    return out.getvalue()


def differs(path: Path, new: bytes) -> bool:
    """Whether writing `new` changes `path` by more than its date header lines."""
    if not path.exists():
        return True
    return DATE_LINES.sub(b"", path.read_bytes()) != DATE_LINES.sub(b"", new)


def updated_catalog(template: Catalog, path: Path, code: str, header: str = HEADER) -> Catalog:
    if path.exists():
        with path.open("rb") as fileobj:
            catalog = read_po(fileobj, locale=code, abort_invalid=True)
    else:
        catalog = Catalog(locale=code, project="sitegen", header_comment=header, charset="utf-8")
    catalog.update(template, update_creation_date=False)
    catalog.fuzzy = False  # completeness is judged per entry, not by a header flag
    catalog.language_team = LANGUAGE_TEAMS.get(code, code)
    catalog.header_comment = header
    return catalog


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a catalog is out of date or incomplete")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.root.resolve()

    stale = []
    files = {}
    catalogs = {}
    for template, pot, languages, domain, header in (
            (extract(root), POT, LANGUAGES, "messages", HEADER),
            (extract_problems(root), PROBLEMS_POT, PROBLEM_LANGUAGES, "problems", PROBLEMS_HEADER)):
        print(f"{len(template)} messages in {pot}")
        files[pot] = po_bytes(template)
        for code in languages:
            catalog = updated_catalog(template, root / po_path(code, domain), code, header)
            catalogs[po_path(code, domain)] = catalog
            files[po_path(code, domain)] = po_bytes(catalog)
    for rel, data in files.items():
        if differs(root / rel, data):
            stale.append(rel)
            if not args.check:
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_bytes(data)
                print(f"wrote {rel}")
    incomplete = False
    for path, catalog in catalogs.items():
        todo = needs_work(catalog)
        incomplete = incomplete or bool(todo)
        print(f"{path}: {len(catalog) - len(todo)} of {len(catalog)} translated, {len(todo)} to do")
        for message in todo:
            where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
            kind = "fuzzy" if message.fuzzy else "empty"
            print(f"  {kind}: {message.id!r} ({where})")
    if args.check:
        for rel in stale:
            print(f"out of date: {rel} (run python scripts/update_catalogs.py)")
        return 1 if stale or incomplete else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
