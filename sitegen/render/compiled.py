"""Speed-ups of the Jinja environment: each one only makes pages faster, never different.

Every piece here must give exactly the bytes stock Jinja gives for the same template and
context; environment.make_environment(..., compiled=False) builds the stock environment they
replace, and tests/test_templates_stock.py builds the bundled site both ways and compares every
file byte for byte (and checks that every template of sitegen/theme/templates was rendered).

They rely on Jinja internals, which a Jinja release may change without notice:

* PageCodeGenerator overrides the private `CodeGenerator._output_child_pre` (what is written
  around each `{{ ... }}`) and `CodeGenerator.visit_Getattr` (the code of `obj.name`);
* PageTemplate overrides `Template.from_code` and calls the private `Template._from_namespace`,
  to put `output_escape` into each compiled template's namespace;
* Environment overrides `make_globals`, `get_template` and `getattr`, relying on how Jinja
  builds a template's globals and when it loads templates;
* ConstantTranslations is a preprocess extension; direct_gettext / direct_ngettext /
  fill_escaped repeat what `jinja2.ext`'s private `_make_new_gettext` / `_make_new_ngettext`
  do (newstyle gettext) without going through Context.call;
* output_escape imports markupsafe's private `_escape_inner` (markupsafe 3.x, tested with
  3.0.3; markupsafe is not pinned: without that name a fallback goes through the public
  markupsafe.escape, which gives the same text, only slower).

The jinja2 version range they are tested with is pinned in pyproject.toml (jinja2>=3.1.6,<3.2);
widen it only after tests/test_templates_stock.py passes with the new version.
"""

from __future__ import annotations

import re

import jinja2
from jinja2.compiler import CodeGenerator
from jinja2.ext import Extension
from markupsafe import Markup, escape

try:
    from markupsafe import _escape_inner  # markupsafe.escape's C core, without the Markup it wraps the result in
except ImportError:  # pragma: no cover - another markupsafe layout
    def _escape_inner(text: str) -> str:
        return str(escape(text))

CONSTANT_GETTEXT = re.compile(r"""\{\{ _\((?:'([^'%\\]*)'|"([^"%\\]*)")\) \}\}""")


class ConstantTranslations(Extension):
    """Resolve `{{ _('plain text') }}` once, when a template is loaded, instead of on every page.

    Each environment serves one language, so a message without placeholders has one
    answer; on a national build this saves tens of millions of gettext calls.
    Messages with placeholders stay runtime calls. Babel still extracts every `_()`
    from the template source.

    The text put in is what stock Jinja writes for the call: its newstyle gettext marks the
    translation safe (`Markup(translation) % {}`), so the translation is written as it is, NOT
    HTML-escaped (an apostrophe stays `'`), with `%%` made `%`. A translation that could read
    as template syntax, span lines (the lexer would rewrite its newlines and lstrip_blocks could
    strip around it), or that `% {}` rejects stays a runtime call, which does what Jinja does.
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        translate = self.environment.constant_gettext

        def replace(match):
            text = translate(match.group(1) if match.group(1) is not None else match.group(2))
            try:
                text = text % {}  # what newstyle gettext does to a message called without variables
            except (KeyError, ValueError, TypeError):
                return match.group(0)
            if "{" in text or "}" in text or "\n" in text or "\r" in text:
                return match.group(0)
            return text

        return CONSTANT_GETTEXT.sub(replace, source)


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
