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
from jinja2.compiler import CodeGenerator
from jinja2.ext import Extension
from markupsafe import Markup, escape

try:
    from markupsafe import _escape_inner  # markupsafe.escape's C core, without the Markup it wraps the result in
except ImportError:  # pragma: no cover - another markupsafe layout
    def _escape_inner(text: str) -> str:
        return str(escape(text))

from .formatting import long_date, month_label, number_format

DEFAULT_TEMPLATES = Path(__file__).parent.parent / "theme" / "templates"
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
        cells = [f'<th scope="row">{output_escape(row[0])}</th>']
        cells += [number_cell(cell) for cell in row[1:]]
        out.append("<tr>" + "".join(cells) + "</tr>")
    return Markup("\n".join(out))


def output_escape(value) -> str:
    """What `{{ value }}` writes under autoescape: markupsafe.escape's text, as a plain str.

    Jinja joins a template's output into one str anyway (and wraps blocks, macros and
    `{% set %}` blocks in Markup itself), so the Markup object markupsafe.escape makes for
    each of a page's ~250 outputs is thrown away at once; making it is most of its cost."""
    if type(value) is str:
        return _escape_inner(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape_inner(str(value))


DICT_ATTRIBUTES = frozenset(dir(dict))


class PageCodeGenerator(CodeGenerator):
    """Jinja's compiler, with two shortcuts in the code it writes for every page:

    * `{{ value }}` is escaped by output_escape;
    * `obj.name` reads a dict's key inline. Jinja tries getattr() first and the key second, so
      on a dict (page contexts are dicts) each lookup raised and caught an AttributeError; a
      dict has no attributes beyond its type's, so for any other name the key is the answer.
      Anything else, and a missing key, still goes through Environment.getattr.
    """

    def _output_child_pre(self, node, frame, finalize) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            self.write("output_escape(")
            if finalize.src is not None:
                self.write(finalize.src)
        else:
            super()._output_child_pre(node, frame, finalize)

    def visit_Getattr(self, node, frame) -> None:
        if self.environment.is_async or node.attr in DICT_ATTRIBUTES:
            return super().visit_Getattr(node, frame)
        # The walrus names the object once; each use reads it right after it is set.
        self.write("(t_obj[%r] if type(t_obj := " % node.attr)
        self.visit(node.node, frame)
        self.write(") is dict and %r in t_obj else environment.getattr(t_obj, %r))" % (node.attr, node.attr))


class PageTemplate(jinja2.Template):
    @classmethod
    def from_code(cls, environment, code, globals, uptodate=None):
        namespace = {"environment": environment, "__file__": code.co_filename, "output_escape": output_escape}
        exec(code, namespace)
        template = cls._from_namespace(environment, namespace, globals)
        template._uptodate = uptodate
        return template


class Environment(jinja2.Environment):
    """Jinja's environment with the page compiler above, memoised templates and plain-dict globals.

    Jinja tries getattr() first and the key second; on a dict the failed getattr raises and
    catches an AttributeError for every lookup. A plain dict has no attributes beyond its
    type's, so the result is the same when those are looked up first."""

    code_generator_class = PageCodeGenerator
    template_class = PageTemplate

    def make_globals(self, d):
        """A template's globals as one dict, not Jinja's ChainMap over the environment's: every
        render and `{% include %}` copies or lists them, which a ChainMap makes ~5x slower.
        Jinja's own rule stands: globals are set before templates are loaded (build.py does)."""
        return {**self.globals, **(d or {})}

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


def fill_escaped(message: str, variables: dict) -> Markup:
    """`Markup(message) % variables`, the values escaped first: what Markup's % does, without the
    wrapper object it puts around each value (numbers stay numbers, for %d)."""
    if not variables:
        return Markup(message % variables)
    return Markup(message % {key: value if type(value) in (int, float) else escape(value)
                             for key, value in variables.items()})


def direct_gettext(translate):
    """Jinja's newstyle gettext (the message always %-formatted, escaped under autoescape), calling
    the catalogue directly: Jinja's `_` resolves `gettext` and goes through Context.call twice,
    a large share of a page's rendering when it has twenty messages with placeholders."""

    @jinja2.pass_context
    def gettext(__context, __string, **variables):
        rv = translate(__string)
        if __context.eval_ctx.autoescape:
            return fill_escaped(rv, variables)
        return rv % variables

    return gettext


def direct_ngettext(translate):
    """Jinja's newstyle ngettext (`num` filled in unless given), calling the catalogue directly."""

    @jinja2.pass_context
    def ngettext(__context, __singular, __plural, __num, **variables):
        variables.setdefault("num", __num)
        rv = translate(__singular, __plural, __num)
        if __context.eval_ctx.autoescape:
            return fill_escaped(rv, variables)
        return rv % variables

    return ngettext


def number_cell(cell) -> str:
    """A number; a rate comes as (text, percent) and gets a bar behind it, so that the table
    reads at a glance like the chart it stands in for (without JavaScript, or in print)."""
    if isinstance(cell, tuple):
        text, value = cell
        if value is not None:
            return f'<td class="num bar" style="--pct:{value:.1f}%">{output_escape(text)}</td>'
        cell = text
    return f'<td class="num">{output_escape(cell)}</td>'


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
    env.globals["ngettext"] = direct_ngettext(translations.ngettext)
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
