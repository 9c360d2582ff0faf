"""The Jinja environment: template search path, filters and globals, registered once.

Search path: the site's own `templates/` first, the package's default templates
behind, and `default:<name>` always reaches the package's file so an override
can extend the original (`{% extends "default:region.html" %}`).
"""

from __future__ import annotations

import gettext as gettext_module
import html
import re
from pathlib import Path

import jinja2
from jinja2.ext import Extension
from markupsafe import Markup, escape

from .formatting import long_date, month_label, number_format

DEFAULT_TEMPLATES = Path(__file__).parent / "theme" / "templates"
CONSTANT_GETTEXT = re.compile(r"""\{\{ _\((?:'([^'%\\]*)'|"([^"%\\]*)")\) \}\}""")


class ConstantTranslations(Extension):
    """Resolve `{{ _('plain text') }}` once, when a template is loaded, instead of on every page.

    Each environment serves one language, so a message without placeholders has one
    answer; on a national build this saves tens of millions of gettext calls.
    Messages with placeholders stay runtime calls. Babel still extracts every `_()`
    from the template source.
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        translate = self.environment.constant_gettext

        def replace(match):
            text = translate(match.group(1) if match.group(1) is not None else match.group(2))
            if "{" in text or "}" in text:
                return match.group(0)
            return html.escape(text, quote=True)

        return CONSTANT_GETTEXT.sub(replace, source)


def table_body(rows) -> Markup:
    """`<tr>` rows of a data table: the first cell a row header, the rest numbers.

    Chart tables have dozens of cells per page; building them here costs a fraction
    of a template loop.
    """
    out = []
    for row in rows:
        cells = [f'<th scope="row">{escape(row[0])}</th>']
        cells += [number_cell(cell) for cell in row[1:]]
        out.append("<tr>" + "".join(cells) + "</tr>")
    return Markup("\n".join(out))


class Environment(jinja2.Environment):
    """Jinja's environment with a quicker `obj.name` for dicts (page contexts are dicts).

    Jinja tries getattr() first and the key second; on a dict the failed getattr raises and
    catches an AttributeError for every lookup. A plain dict has no attributes beyond its
    type's, so the result is the same when those are looked up first."""

    def get_template(self, name, parent=None, globals=None):
        """Templates by name, memoised: with auto_reload off a name always gives the same template, and
        every `{% include %}` of every page asks for one (Jinja's own cache keys by loader weakref)."""
        if globals is None and isinstance(name, str) and not self.auto_reload:
            if parent is not None:
                name = self.join_path(name, parent)
            memo = self.__dict__.setdefault("_sitegen_templates", {})
            template = memo.get(name)
            if template is None:
                template = memo[name] = super().get_template(name)
            return template
        return super().get_template(name, parent, globals)

    def getattr(self, obj, attribute):
        if type(obj) is dict and not hasattr(dict, attribute):
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def direct_gettext(translate):
    """Jinja's newstyle gettext (the message always %-formatted, escaped under autoescape), calling
    the catalogue directly: Jinja's `_` resolves `gettext` and goes through Context.call twice,
    a large share of a page's rendering when it has twenty messages with placeholders."""

    @jinja2.pass_context
    def gettext(__context, __string, **variables):
        rv = translate(__string)
        if __context.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % variables

    return gettext


def number_cell(cell) -> str:
    """A number; a rate comes as (text, percent) and gets a bar behind it, so that the table
    reads at a glance like the chart it stands in for (without JavaScript, or in print)."""
    if isinstance(cell, tuple):
        text, value = cell
        if value is not None:
            return f'<td class="num bar" style="--pct:{value:.1f}%">{escape(text)}</td>'
        cell = text
    return f'<td class="num">{escape(cell)}</td>'


def make_environment(site_templates: Path | None, locale: str, translations=None,
                     bytecode_folder: Path | None = None) -> jinja2.Environment:
    """`bytecode_folder` keeps compiled templates between builds (compiling the theme costs ~0.2 s
    per language); it must be one folder per language and catalog, since translations without
    placeholders are compiled into the templates."""
    package = jinja2.FileSystemLoader(str(DEFAULT_TEMPLATES))
    loaders = [jinja2.FileSystemLoader(str(site_templates))] if site_templates and site_templates.is_dir() else []
    loader = jinja2.ChoiceLoader([
        jinja2.PrefixLoader({"default": package}, delimiter=":"),
        *loaders,
        package,
    ])
    env = Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n", ConstantTranslations],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(bytecode_folder)) if bytecode_folder else None,
    )
    translations = translations or gettext_module.NullTranslations()
    env.constant_gettext = translations.gettext
    env.install_gettext_translations(translations, newstyle=True)
    env.globals["_"] = env.globals["gettext"] = direct_gettext(translations.gettext)
    numbers = number_format(locale)
    env.filters.update({
        "number": lambda v: "–" if v is None else numbers.integer(v),
        "percent": lambda v, digits=1: numbers.percent(v, digits),
        "signed_percent": lambda v, digits=2: numbers.signed_percent(v, digits),
        "points": lambda v, digits=1: numbers.points(v, digits),
        "month": lambda period: month_label(period, locale),
        "long_date": lambda d: long_date(d, locale),
        "table_body": table_body,
        "filesize": numbers.file_size,
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
