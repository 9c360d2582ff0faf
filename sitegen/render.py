"""The Jinja environment: template search path, filters and globals, registered once.

Search path: the site's own `templates/` first, the package's default templates
behind, and `default:<name>` always reaches the package's file so an override
can extend the original (`{% extends "default:region.html" %}`).
"""

from __future__ import annotations

import gettext as gettext_module
from pathlib import Path

import jinja2

from .formatting import long_date, month_label, number_format

DEFAULT_TEMPLATES = Path(__file__).parent / "theme" / "templates"


def make_environment(site_templates: Path | None, locale: str, translations=None) -> jinja2.Environment:
    package = jinja2.FileSystemLoader(str(DEFAULT_TEMPLATES))
    loaders = [jinja2.FileSystemLoader(str(site_templates))] if site_templates and site_templates.is_dir() else []
    loader = jinja2.ChoiceLoader([
        jinja2.PrefixLoader({"default": package}, delimiter=":"),
        *loaders,
        package,
    ])
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_translations(translations or gettext_module.NullTranslations(), newstyle=True)
    numbers = number_format(locale)
    env.filters.update({
        "number": lambda v: "–" if v is None else numbers.integer(v),
        "percent": lambda v, digits=1: numbers.percent(v, digits),
        "signed_percent": lambda v, digits=2: numbers.signed_percent(v, digits),
        "points": lambda v, digits=1: numbers.points(v, digits),
        "month": lambda period: month_label(period, locale),
        "long_date": lambda d: long_date(d, locale),
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
