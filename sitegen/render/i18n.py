"""The site's languages and their gettext catalogs.

The msgids in the code and templates are the Bahasa Indonesia text, so Indonesian needs
no catalog: `gettext.NullTranslations` returns every msgid as it is. Each other language
has a `.po` file in `sitegen/locale/<code>/LC_MESSAGES/messages.po`, kept up to date by
`python scripts/update_catalogs.py`. The `.po` is compiled in memory when it is first
needed, so no `.mo` file is committed and none can go stale.
"""

from __future__ import annotations

import gettext
import hashlib
import io
import locale
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "messages"
# Problem reports (sitegen.errors.tr) are a catalog of their own, written the other way round: the
# msgids are English, what maintainers read in the code and the tests, and Bahasa Indonesia is the
# translation (sitegen/locale/id/LC_MESSAGES/problems.po), shown where the locale is Indonesian.
PROBLEMS_DOMAIN = "problems"
PROBLEMS_SOURCE = "en"
REPORT_LANGUAGES = ("id", "en")

# How the templates call gettext; the same as the [jinja2: ...] sections of babel.cfg
# (the package does not ship babel.cfg, so the options are repeated here for
# `missing_translations`; a test checks that the two agree).
JINJA_EXTRACT_OPTIONS = {"encoding": "utf-8", "extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
TEMPLATE_SUFFIXES = (".html", ".xml")


@dataclass(frozen=True)
class Language:
    code: str           # the catalog's folder and the pages' `lang`: 'id', 'en'
    prefix: str         # where the language's pages live below the site root: '' or 'en/'
    babel_locale: str   # how dates and numbers are written: 'en_GB' gives "16 April 2025", "8,146"
    name: str           # the language's name in that language, for the language switch


LANGUAGES: tuple[Language, ...] = (
    Language(code="id", prefix="", babel_locale="id", name="Bahasa Indonesia"),
    Language(code="en", prefix="en/", babel_locale="en_GB", name="English"),
)
SOURCE_LANGUAGE = LANGUAGES[0].code  # the msgids are written in it


def language(code: str) -> Language:
    """The `Language` with this code; a `KeyError` names the known codes."""
    for lang in LANGUAGES:
        if lang.code == code:
            return lang
    raise KeyError(f"unknown language {code!r}; known: {', '.join(lang.code for lang in LANGUAGES)}")


def catalog_path(code: str) -> Path:
    """The `.po` file of a translated language (the source language has none)."""
    language(code)
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def translations(code: str) -> gettext.NullTranslations:
    """The gettext object that serves one language's interface strings.

    Indonesian (the msgids) gets `NullTranslations`. Another language gets its `.po`
    compiled at run time; fuzzy entries (guesses Babel made when a msgid changed) and
    empty ones are left out, so their Indonesian msgid is shown until a translator
    confirms them. The result is cached per catalog content: a long-running
    `sitegen serve` picks up an edited `.po` on its next build.
    """
    if language(code).code == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    return _compiled(code, catalog_path(code).read_bytes())


def problems_catalog_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{PROBLEMS_DOMAIN}.po"


def problem_translations(code: str) -> gettext.NullTranslations:
    """The gettext object for problem reports in `code` ('id' or 'en'; English needs none)."""
    if code not in REPORT_LANGUAGES:
        raise KeyError(f"unknown report language {code!r}; known: {', '.join(REPORT_LANGUAGES)}")
    if code == PROBLEMS_SOURCE:
        return gettext.NullTranslations()
    return _compiled(code, problems_catalog_path(code).read_bytes(), PROBLEMS_DOMAIN)


def report_language_of_environment(environ=os.environ) -> str:
    """'id' where the user's locale is Indonesian, else 'en': SITEGEN_LANG, then gettext's own order
    (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), then the system's locale (Windows sets no LANG; its
    Indonesian locale is called 'Indonesian_Indonesia')."""
    explicit = environ.get("SITEGEN_LANG", "").strip().lower()
    if explicit in REPORT_LANGUAGES:
        return explicit
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").split(":")[0].strip().lower()
        if value:
            return "id" if value.startswith(("id_", "in_")) or value in ("id", "in") else "en"
    try:
        system = (locale.getlocale()[0] or "").lower()
    except ValueError:
        system = ""
    return "id" if system.startswith(("id_", "indonesian")) else "en"


# The caches below key on the .po bytes themselves (a few tens of KB, hashed in microseconds).

@lru_cache(maxsize=8)
def _compiled(code: str, data: bytes, domain: str = DOMAIN) -> gettext.GNUTranslations:
    from babel.messages.mofile import write_mo  # lazy: babel.messages only when a catalog changed

    mo = io.BytesIO()
    write_mo(mo, _read_catalog(code, data, domain), use_fuzzy=False)
    mo.seek(0)
    return gettext.GNUTranslations(mo)


@lru_cache(maxsize=8)
def _read_catalog(code: str, data: bytes, domain: str = DOMAIN):
    from babel.messages.pofile import read_po  # lazy: babel.messages only when a catalog changed

    return read_po(io.BytesIO(data), locale=code, domain=domain, abort_invalid=True)


def _translated_ids(code: str) -> frozenset:
    """`(context, msgid)` of the entries the catalog of `code` really translates: not
    empty, not fuzzy (context is None but for `pgettext` messages)."""
    return _translated_ids_of(code, catalog_path(code).read_bytes())


@lru_cache(maxsize=8)
def _translated_ids_of(code: str, data: bytes) -> frozenset:
    done = set()
    for message in _read_catalog(code, data):
        if not message.id or message.fuzzy:
            continue
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        if all(strings):
            done.add((message.context, message.id[0] if isinstance(message.id, (tuple, list)) else message.id))
    return frozenset(done)


def catalog_digest() -> str:
    """SHA-256 of the translated languages' `.po` files, in `LANGUAGES` order.

    The build cache keys on it: a changed translation must re-render the pages even
    though no template or data file changed.
    """
    sha = hashlib.sha256()
    for lang in LANGUAGES:
        if lang.code != SOURCE_LANGUAGE:
            sha.update(catalog_path(lang.code).read_bytes())
    return sha.hexdigest()


def missing_translations(template_dirs: list[Path], code: str) -> list[tuple[str, int, str]]:
    """`(file, line, msgid)` for each `_()` message in these template folders that the
    catalog of `code` does not translate (absent, empty or fuzzy).

    A site's own template overrides may add interface strings that the package's
    catalog cannot know; the build reports them as warnings, since the page then shows
    the Indonesian text. Templates with a syntax error are skipped: the renderer reports
    those. The templates are read afresh on every call (a site has a handful), and the
    catalog is read only when one of them has a message at all.
    """
    if language(code).code == SOURCE_LANGUAGE:
        return []
    from babel.messages.extract import DEFAULT_KEYWORDS, extract  # lazy: only for the catalog check
    from jinja2.ext import babel_extract  # lazy: only for the catalog check

    found = []
    for folder in template_dirs:
        if folder is None or not Path(folder).is_dir():  # a site without its own templates/
            continue
        folder = Path(folder)
        files = sorted(p for p in folder.rglob("*") if p.suffix in TEMPLATE_SUFFIXES and p.is_file())
        for path in files:
            with path.open("rb") as fileobj:
                for lineno, message, _comments, context in extract(
                        babel_extract, fileobj, DEFAULT_KEYWORDS, options=JINJA_EXTRACT_OPTIONS):
                    msgid = message[0] if isinstance(message, (tuple, list)) else message
                    found.append((str(path), lineno, msgid, context))
    if not found:
        return []
    translated = _translated_ids(code)
    return [(path, line, msgid) for path, line, msgid, context in found if (context, msgid) not in translated]
