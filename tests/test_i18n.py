"""Translation catalogs: the English catalog is complete and safe to use, `sitegen.render.i18n`
serves it, and `scripts/update_catalogs.py` keeps it in step with the code.

The msgids are the Bahasa Indonesia text. The completeness test extracts the package's
messages afresh, with the same function the update script uses, so a new `_()` string in
a template or module fails here until `python scripts/update_catalogs.py` has been run
and the new entry translated.
"""

from __future__ import annotations

import string

import ast

import configparser
import datetime as dt
import gettext
import hashlib
import importlib.util
import shutil
from collections import Counter
from pathlib import Path

import pytest
from babel.dates import format_date
from babel.messages.catalog import PYTHON_FORMAT
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from sitegen.render import i18n
from sitegen.render.environment import make_environment

REPO = Path(__file__).resolve().parent.parent
EN_PO = REPO / "sitegen" / "locale" / "en" / "LC_MESSAGES" / "messages.po"


def load_script():
    spec = importlib.util.spec_from_file_location("update_catalogs", REPO / "scripts" / "update_catalogs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script():
    return load_script()


@pytest.fixture(scope="module")
def extracted(script):
    return script.extract(REPO)


@pytest.fixture(scope="module")
def en_catalog():
    with EN_PO.open("rb") as fileobj:
        return read_po(fileobj, locale="en")


def singular(msgid):
    return msgid[0] if isinstance(msgid, (tuple, list)) else msgid


def placeholders(text: str) -> Counter:
    """`%(name)s`, `%s`, `%%`: everything Python's % operator would act on."""
    return Counter(match.group(0) for match in PYTHON_FORMAT.finditer(text))


def scratch_catalog(tmp_path: Path, monkeypatch, po_text: str) -> Path:
    """Point sitegen.render.i18n at a scratch locale folder holding one English .po."""
    po = tmp_path / "locale" / "en" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(po_text, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "locale")
    return po


PO_HEADER = '''\
msgid ""
msgstr ""
"Language: en\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

'''


# --- the catalog ---------------------------------------------------------------------

def test_extraction_finds_python_and_template_messages(extracted):
    files = {location[0] for message in extracted for location in message.locations}
    assert "sitegen/theme/templates/base.html" in files
    assert "sitegen/theme/templates/atom.xml" in files
    assert any(f.startswith("sitegen/theme/templates/partials/") for f in files)
    assert any(f.endswith(".py") for f in files)
    assert "Halaman tidak ditemukan" in extracted          # 404.html
    assert "Cakupan (%)" in extracted                      # a Python `_()`
    assert len(extracted) > 150


def test_english_catalog_translates_every_message(extracted, en_catalog):
    missing = []
    for message in extracted:
        if not message.id:
            continue
        entry = en_catalog.get(message.id, context=message.context)
        strings = () if entry is None else (entry.string if isinstance(entry.string, (tuple, list)) else (entry.string,))
        if entry is None or entry.fuzzy or not strings or not all(strings):
            state = "absent" if entry is None else "fuzzy" if entry.fuzzy else "empty"
            where = " ".join(f"{f}:{n}" for f, n in message.locations)
            missing.append(f"{state}: {singular(message.id)!r} ({where})")
    assert not missing, ("run `python scripts/update_catalogs.py` and translate in "
                         f"{EN_PO.relative_to(REPO)}:\n" + "\n".join(missing))


# --- the catalog of problem reports (English msgids, Bahasa Indonesia translations) -------------

ID_PROBLEMS_PO = REPO / "sitegen" / "locale" / "id" / "LC_MESSAGES" / "problems.po"


def brace_fields(text: str) -> Counter:
    return Counter(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def test_every_problem_message_is_in_indonesian_with_its_placeholders(script):
    extracted = script.extract_problems(REPO)
    assert "file not found" in extracted and '{field} "{value}" is not a whole number' in extracted
    assert "duplicate row" in extracted  # a rule's name, marked with tr_noop
    with ID_PROBLEMS_PO.open("rb") as fileobj:
        catalog = read_po(fileobj, locale="id")
    problems = []
    for message in extracted:
        if not message.id:
            continue
        entry = catalog.get(message.id)
        if entry is None or entry.fuzzy or not entry.string:
            problems.append(f"untranslated: {message.id!r}")
        elif brace_fields(entry.string) != brace_fields(message.id):
            problems.append(f"placeholders differ: {message.id!r} -> {entry.string!r}")
    assert not problems, ("run `python scripts/update_catalogs.py` and translate in "
                          f"{ID_PROBLEMS_PO.relative_to(REPO)}:\n" + "\n".join(problems))


def test_a_problem_message_is_not_built_where_the_catalog_cannot_see_it():
    """`tr` takes a literal: a message built with an f-string would never be translated."""
    offenders = []
    for path in sorted((REPO / "sitegen").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("tr", "tr_noop") and node.args \
                    and not (isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                if not isinstance(node.args[0], ast.Name):  # (a variable holding a tr_noop-marked message)
                    offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == [], offenders


def test_report_language_follows_the_locale():
    of = i18n.report_language_of_environment
    assert of({"LANG": "id_ID.UTF-8"}) == "id" and of({"LC_ALL": "id_ID"}) == "id"
    assert of({"LANGUAGE": "id:en", "LANG": "en_US.UTF-8"}) == "id"
    assert of({"LANG": "en_GB.UTF-8"}) == "en" and of({"LANG": "C.UTF-8"}) == "en"
    assert of({"SITEGEN_LANG": "en", "LANG": "id_ID.UTF-8"}) == "en"
    assert i18n.problem_translations("id").gettext("file not found") == "file tidak ditemukan"
    assert i18n.problem_translations("en").gettext("file not found") == "file not found"


def test_translations_keep_the_placeholders_of_their_msgid(en_catalog):
    wrong = []
    for message in en_catalog:
        if not message.id or not message.string:
            continue
        if isinstance(message.id, (tuple, list)):
            forms = message.string
            expected = [placeholders(message.id[0])] + [placeholders(message.id[1])] * (len(forms) - 1)
            # The singular form may name the count or not (`one member` / `%(n)s members`).
            ok = all(placeholders(f) == e or (i == 0 and placeholders(f) <= placeholders(message.id[1]))
                     for i, (f, e) in enumerate(zip(forms, expected)))
        else:
            ok = placeholders(message.string) == placeholders(message.id)
        if not ok:
            wrong.append(f"{message.id!r} → {message.string!r}")
    assert not wrong, "\n".join(wrong)


def test_translations_add_no_markup_or_quotes(en_catalog):
    """Template messages with placeholders are output as Markup (newstyle gettext under
    autoescape), some inside attributes: a translation must not bring in `<`, `&` or `"`."""
    wrong = []
    for message in en_catalog:
        if not message.id or not message.string:
            continue
        source = "".join(message.id) if isinstance(message.id, (tuple, list)) else message.id
        target = "".join(message.string) if isinstance(message.string, (tuple, list)) else message.string
        for char in '<>&"':
            if target.count(char) > source.count(char):
                wrong.append(f"{char!r} in {target!r}")
    assert not wrong, "\n".join(wrong)


def test_domain_terms_are_translated_as_agreed(en_catalog):
    def en(msgid):
        return en_catalog.get(msgid).string

    assert en("Desa/Kelurahan") == "Village"
    assert en("Kabupaten/Kota") == "Regency/City"
    assert en("Nasional") == "National"
    assert en("Pekerja rentan") == "Vulnerable workers"
    assert en("Ekosistem desa") == "Village ecosystem"
    assert "BPJS Ketenagakerjaan" in en("Cakupan perlindungan BPJS Ketenagakerjaan untuk pekerja desa dan pekerja rentan.")
    assert "village officials" in en("Angka ringkasan menjumlahkan ekosistem desa (perangkat desa, BPD, LKD, "
                                     "kader posyandu) dan pekerja rentan.")


def test_babel_cfg_extracts_templates_as_the_site_renders_them():
    """missing_translations repeats babel.cfg's Jinja options (babel.cfg is not shipped)."""
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "babel.cfg", encoding="utf-8")
    sections = [s for s in cfg.sections() if s.startswith("jinja2:")]
    assert {s.split(":", 1)[1].strip() for s in sections} == {
        "sitegen/theme/templates/**.html", "sitegen/theme/templates/**.xml"}
    for section in sections:
        for key in ("extensions", "newstyle_gettext", "encoding"):
            assert cfg[section][key] == i18n.JINJA_EXTRACT_OPTIONS[key], (section, key)


# --- sitegen.render.i18n --------------------------------------------------------------------

def test_languages():
    assert [lang.code for lang in i18n.LANGUAGES] == ["id", "en"]
    assert [lang.prefix for lang in i18n.LANGUAGES] == ["", "en/"]
    english = i18n.language("en")
    assert format_date(dt.date(2025, 4, 16), "d MMMM y", locale=english.babel_locale) == "16 April 2025"
    assert format_decimal(8146, locale=english.babel_locale) == "8,146"
    with pytest.raises(KeyError):
        i18n.language("fr")


def test_indonesian_is_served_by_the_msgids():
    translations = i18n.translations("id")
    assert type(translations) is gettext.NullTranslations
    assert translations.gettext("Halaman tidak ditemukan") == "Halaman tidak ditemukan"


def test_english_translates_template_and_python_strings():
    _ = i18n.translations("en").gettext
    assert _("Halaman tidak ditemukan") == "Page not found"
    assert _("Desa/Kelurahan") == "Village"
    assert _("Data per %(date)s.") % {"date": "16 April 2025"} == "Data as of 16 April 2025."
    assert _("Teks yang tidak ada di katalog") == "Teks yang tidak ada di katalog"   # falls back to the msgid
    assert i18n.translations("en") is i18n.translations("en")                        # compiled once


def test_english_in_a_rendered_template():
    """Both paths of the site's environment: constants resolved at load time, and
    newstyle calls with placeholders."""
    env = make_environment(None, "en_GB", i18n.translations("en"))
    template = env.from_string("{{ _('Beranda') }} | {{ _('Halaman %(page)s dari %(pages)s', page=2, pages=5) }}")
    assert template.render() == "Home | Page 2 of 5"


def test_fuzzy_and_empty_entries_are_not_used(tmp_path, monkeypatch):
    scratch_catalog(tmp_path, monkeypatch, PO_HEADER + '''\
msgid "Beranda"
msgstr "Home"

#, fuzzy
msgid "Berita"
msgstr "News (a guess)"

msgid "Cari"
msgstr ""
''')
    _ = i18n.translations("en").gettext
    assert _("Beranda") == "Home"
    assert _("Berita") == "Berita"
    assert _("Cari") == "Cari"


def test_an_edited_catalog_is_picked_up(tmp_path, monkeypatch):
    po = scratch_catalog(tmp_path, monkeypatch, PO_HEADER + 'msgid "Beranda"\nmsgstr "Home"\n')
    assert i18n.translations("en").gettext("Beranda") == "Home"
    po.write_text(PO_HEADER + 'msgid "Beranda"\nmsgstr "Home page"\n', encoding="utf-8")
    assert i18n.translations("en").gettext("Beranda") == "Home page"


def test_catalog_digest_follows_the_po_bytes(tmp_path, monkeypatch):
    assert i18n.catalog_digest() == hashlib.sha256(EN_PO.read_bytes()).hexdigest()
    po = scratch_catalog(tmp_path, monkeypatch, PO_HEADER + 'msgid "Beranda"\nmsgstr "Home"\n')
    before = i18n.catalog_digest()
    po.write_text(PO_HEADER + 'msgid "Beranda"\nmsgstr "Home page"\n', encoding="utf-8")
    assert i18n.catalog_digest() != before


def test_missing_translations_finds_a_new_string_with_its_file_and_line(tmp_path):
    templates = tmp_path / "templates"
    (templates / "partials").mkdir(parents=True)
    page = templates / "partials" / "extra.html"
    page.write_text("<h2>{{ _('Beranda') }}</h2>\n"
                    "<p>{{ _('Data per %(date)s.', date=as_of) }}</p>\n"
                    "<p>{{ _('Kalimat baru milik situs ini, %(name)s', name=title) }}</p>\n"
                    "<p>{{ pgettext('awalan nama', 'Kecamatan') }}</p>\n", encoding="utf-8")
    (templates / "notes.txt").write_text("{{ _('Bukan template') }}", encoding="utf-8")
    # 'Kecamatan' is catalogued without a context, not with this one.
    assert i18n.missing_translations([templates, None], "en") == [
        (str(page), 3, "Kalimat baru milik situs ini, %(name)s"), (str(page), 4, "Kecamatan")]
    assert i18n.missing_translations([templates], "id") == []


def test_missing_translations_is_empty_for_catalogued_strings(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "region.html").write_text(
        '{% extends "default:region.html" %}\n'
        "{% block main %}<p>{{ _('Semua berita') }}</p>{{ super() }}{% endblock %}\n", encoding="utf-8")
    (templates / "atom.xml").write_text("<title>{{ _('Berita') }}</title>\n", encoding="utf-8")
    assert i18n.missing_translations([templates, tmp_path / "absent"], "en") == []


def test_missing_translations_counts_fuzzy_entries_as_missing(tmp_path, monkeypatch):
    scratch_catalog(tmp_path, monkeypatch, PO_HEADER + '#, fuzzy\nmsgid "Berita"\nmsgstr "News"\n')
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "news.html").write_text("<h1>{{ _('Berita') }}</h1>", encoding="utf-8")
    assert i18n.missing_translations([templates], "en") == [(str(templates / "news.html"), 1, "Berita")]


def test_missing_translations_of_an_empty_folder_reads_no_catalog(tmp_path, monkeypatch):
    """The bundled site's templates/ holds no template: the call must cost nothing."""
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path / "no-locale-here")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "README.md").write_text("Overrides go here.", encoding="utf-8")
    assert i18n.missing_translations([tmp_path / "templates"], "en") == []


# --- scripts/update_catalogs.py ------------------------------------------------------

def test_update_script_keeps_translations_and_adds_new_messages(tmp_path, script, capsys):
    root = tmp_path / "repo"
    (root / "sitegen" / "theme" / "templates").mkdir(parents=True)
    shutil.copy(REPO / "babel.cfg", root / "babel.cfg")
    (root / "sitegen" / "mod.py").write_text('def f(_):\n    return _("Wilayah")\n', encoding="utf-8")
    page = root / "sitegen" / "theme" / "templates" / "page.html"
    page.write_text("<h1>{{ _('Beranda') }}</h1>\n", encoding="utf-8")
    po = root / "sitegen" / "locale" / "en" / "LC_MESSAGES" / "messages.po"
    pot = root / "sitegen" / "locale" / "messages.pot"

    assert script.main(["--root", str(root)]) == 0
    catalog = read_po(po.open("rb"), locale="en")
    assert {m.id for m in catalog if m.id} == {"Wilayah", "Beranda"}
    assert all(m.string == "" for m in catalog if m.id)
    assert script.main(["--root", str(root), "--check"]) == 1      # untranslated entries

    text = po.read_text(encoding="utf-8")
    text = text.replace('msgid "Wilayah"\nmsgstr ""', 'msgid "Wilayah"\nmsgstr "Region"')
    text = text.replace('msgid "Beranda"\nmsgstr ""', 'msgid "Beranda"\nmsgstr "Home"')
    po.write_text(text, encoding="utf-8")
    assert script.main(["--root", str(root), "--check"]) == 0

    page.write_text("<h1>{{ _('Beranda') }}</h1>\n<p>{{ _('Berita terbaru') }}</p>\n", encoding="utf-8")
    assert script.main(["--root", str(root)]) == 0
    catalog = read_po(po.open("rb"), locale="en")
    assert catalog.get("Wilayah").string == "Region"
    assert catalog.get("Beranda").string == "Home"
    assert catalog.get("Berita terbaru").string == ""
    assert ("sitegen/theme/templates/page.html", 2) in catalog.get("Berita terbaru").locations
    assert "empty: 'Berita terbaru'" in capsys.readouterr().out

    # Nothing changed: nothing is rewritten, not even the creation date.
    before = (pot.read_bytes(), po.read_bytes())
    assert script.main(["--root", str(root)]) == 0
    assert (pot.read_bytes(), po.read_bytes()) == before


def test_update_script_marks_a_changed_msgid_fuzzy(tmp_path, script):
    root = tmp_path / "repo"
    (root / "sitegen" / "theme" / "templates").mkdir(parents=True)
    shutil.copy(REPO / "babel.cfg", root / "babel.cfg")
    page = root / "sitegen" / "theme" / "templates" / "page.html"
    page.write_text("<p>{{ _('Belum ada data cakupan untuk wilayah ini.') }}</p>\n", encoding="utf-8")
    po = root / "sitegen" / "locale" / "en" / "LC_MESSAGES" / "messages.po"
    script.main(["--root", str(root)])
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('wilayah ini."\nmsgstr ""', 'wilayah ini."\nmsgstr "There is no coverage data for this region yet."'),
                  encoding="utf-8")
    assert read_po(po.open("rb")).get("Belum ada data cakupan untuk wilayah ini.").string
    page.write_text("<p>{{ _('Belum ada data cakupan untuk wilayah ini sama sekali.') }}</p>\n", encoding="utf-8")
    script.main(["--root", str(root)])
    entry = read_po(po.open("rb"), locale="en").get("Belum ada data cakupan untuk wilayah ini sama sekali.")
    assert entry.fuzzy and entry.string == "There is no coverage data for this region yet."
