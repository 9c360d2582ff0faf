"""The Jinja environment: template search path, filters and globals, registered once.

Search path: the site's own `templates/` first, the package's default templates
behind, and `default:<name>` always reaches the package's file so an override
can extend the original (`{% extends "default:region.html" %}`).

This module uses only Jinja's public API. The speed-ups that override Jinja internals live in
compiled.py, loaded only by `make_environment(..., compiled=True)`; `compiled=False` gives stock
Jinja, which tests/test_templates_stock.py renders the whole site with to check the speed-ups.
"""

from __future__ import annotations

import gettext as gettext_module
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from . import compiled as speedups
from .formatting import long_date, month_label, number_format

DEFAULT_TEMPLATES = Path(__file__).parent.parent / "theme" / "templates"


def plain_escape(value) -> str:
    """What `{{ value }}` writes under autoescape, as a plain str (markupsafe.escape's text)."""
    return str(escape(value))


def table_body(rows, escape_text=plain_escape) -> Markup:
    """`<tr>` rows of a data table: the first cell a row header, the rest numbers.

    Chart tables have dozens of cells per page; building them here costs a fraction
    of a template loop. `escape_text` gives what `{{ value }}` writes (the compiled
    environment passes its faster output_escape, which gives the same text).
    """
    out = []
    for row in rows:
        cells = [f'<th scope="row">{escape_text(row[0])}</th>']
        cells += [number_cell(cell, escape_text) for cell in row[1:]]
        out.append("<tr>" + "".join(cells) + "</tr>")
    return Markup("\n".join(out))


def number_cell(cell, escape_text=plain_escape) -> str:
    """A number; a rate comes as (text, percent) and gets a bar behind it, so that the table
    reads at a glance like the chart it stands in for (without JavaScript, or in print)."""
    if isinstance(cell, tuple):
        text, value = cell
        if value is not None:
            return f'<td class="num bar" style="--pct:{value:.1f}%">{escape_text(text)}</td>'
        cell = text
    return f'<td class="num">{escape_text(cell)}</td>'


def make_environment(site_templates: Path | None, locale: str, translations=None,
                     bytecode_folder: Path | None = None, compiled: bool = True) -> jinja2.Environment:
    """The environment of one language.

    `compiled=True` (what builds use) is the environment with the speed-ups of compiled.py;
    `compiled=False` is stock Jinja with the same loader, settings, filters and globals, which
    must render every page to the same bytes (tests/test_templates_stock.py checks it).

    `bytecode_folder` keeps compiled templates between builds (compiling the theme costs ~0.3 s
    per language); it must be one folder per language and catalog, since translations without
    placeholders are compiled into the templates. The stock environment ignores it: its
    compiled templates differ from the speed-ups' and must never share their folder."""
    package = jinja2.FileSystemLoader(str(DEFAULT_TEMPLATES))
    loaders = [jinja2.FileSystemLoader(str(site_templates))] if site_templates and site_templates.is_dir() else []
    loader = jinja2.ChoiceLoader([
        jinja2.PrefixLoader({"default": package}, delimiter=":"),
        *loaders,
        package,
    ])
    settings = dict(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                    trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    translations = translations or gettext_module.NullTranslations()
    if compiled:
        env = speedups.Environment(
            **settings,
            extensions=["jinja2.ext.i18n", speedups.ConstantTranslations],
            bytecode_cache=jinja2.FileSystemBytecodeCache(str(bytecode_folder)) if bytecode_folder else None,
        )
        env.constant_gettext = translations.gettext
        env.install_gettext_translations(translations, newstyle=True)
        env.globals["_"] = env.globals["gettext"] = speedups.direct_gettext(translations.gettext)
        env.globals["ngettext"] = speedups.direct_ngettext(translations.ngettext)
        escape_text = speedups.output_escape
    else:
        env = jinja2.Environment(**settings, extensions=["jinja2.ext.i18n"])
        env.install_gettext_translations(translations, newstyle=True)
        escape_text = plain_escape
    numbers = number_format(locale)
    env.filters.update({
        "number": lambda v: "–" if v is None else numbers.integer(v),
        "percent": lambda v, digits=1: numbers.percent(v, digits),
        "signed_percent": lambda v, digits=2: numbers.signed_percent(v, digits),
        "points": lambda v, digits=1: numbers.points(v, digits),
        "month": lambda period: month_label(period, locale),
        "long_date": lambda d: long_date(d, locale),
        "table_body": lambda rows: table_body(rows, escape_text),
        "filesize": numbers.file_size,
        "compact": lambda v: numbers.compact(v),
    })
    env.globals["locale"] = locale
    return env


class Renderer:
    """Renders pages by the first template that exists, most specific first."""

    def __init__(self, env: jinja2.Environment):
        self.env = env
        self.available = set(env.list_templates())
        self._templates: dict[str, jinja2.Template] = {}

    def template_for(self, names: str) -> jinja2.Template:
        cached = self._templates.get(names)
        if cached is None:
            choice = next((n for n in names.split("|") if n in self.available), names.split("|")[-1])
            cached = self._templates[names] = self.env.get_template(choice)
        return cached

    def render(self, names: str, context: dict) -> str:
        return self.template_for(names).render(context)
