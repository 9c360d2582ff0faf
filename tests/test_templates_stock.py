"""The speed-ups of sitegen/render/compiled.py against stock Jinja.

The bundled site is built twice, once with the environment builds use (`compiled=True`) and once
with stock Jinja (`make_environment(..., compiled=False)`: jinja2.Environment, jinja2.ext.i18n,
no ConstantTranslations, no custom code generator, template class or gettext), and every file of
the two output folders must be the same, byte for byte. The stock build must load every template
of sitegen/theme/templates, so a template that no comparison renders fails the test.
"""

from __future__ import annotations

import csv
import difflib
import sys
from pathlib import Path

import jinja2
import pytest

from sitegen.build import BuildOptions, build
from sitegen.output.writer import MARKER
from sitegen.render import compiled as speedups
from sitegen.render import environment
from sitegen.render.environment import DEFAULT_TEMPLATES

from conftest import copy_bundled_inputs

REPO = Path(__file__).resolve().parent.parent
MAKE_ENVIRONMENT = environment.make_environment


def theme_templates() -> set[str]:
    return {p.relative_to(DEFAULT_TEMPLATES).as_posix() for p in DEFAULT_TEMPLATES.rglob("*") if p.is_file()}


def write_previous(data: Path, folder: Path) -> Path:
    """The download files of an earlier "published" site that differ from the bundled data, for
    `--previous`: without one the bundled site renders no data changes, and
    partials/change_rows.html (the changes of a region page and of the changes page) is never used.
    Figures revised, rows new since and rows gone, a month gone, a region added and one removed."""
    with (data / "coverage.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with (data / "regions.csv").open(encoding="utf-8", newline="") as f:
        regions = list(csv.DictReader(f))
    present = {(r["period"], r["region_code"], r["segment"]) for r in rows}
    old = []
    for i, row in enumerate(rows):
        if i % 40 == 1:
            continue  # new since: "belum ada" before
        if i % 40 == 0:
            row = {**row, "covered": str(int(row["covered"]) + 1)}  # revised
        old.append(row)
    period, segment = rows[-1]["period"], rows[-1]["segment"]
    gone = next(r["code"] for r in regions if (period, r["code"], segment) not in present)
    old.append({**rows[-1], "region_code": gone, "covered": "7", "eligible": "9"})  # gone now: "dihapus"
    old.append({**rows[0], "period": "2000-01"})  # a month no longer published
    unduh = folder / "unduh"
    unduh.mkdir(parents=True)
    with (unduh / "cakupan.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(old)
    with (unduh / "wilayah.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["code", "name"])
        writer.writeheader()
        writer.writerows({"code": r["code"], "name": r["name"]} for r in regions[:-1])  # the last one is new
        writer.writerow({"code": "63.10.99.9999", "name": "Desa Lama"})  # no longer a region
    return folder


@pytest.fixture(scope="module")
def site_inputs(tmp_path_factory) -> Path:
    work = copy_bundled_inputs(tmp_path_factory.mktemp("stock"))
    write_previous(work / "data", work / "previous")
    return work


def build_with(work: Path, out: str, compiled: bool, previous: bool, monkeypatch) -> tuple[Path, list, set]:
    """Build the site with make_environment(..., compiled=compiled) wherever sitegen calls it;
    returns the output folder, the environments made and the template files loaded."""
    envs, loaded = [], set()

    def make_environment(*args, **kwargs):
        env = MAKE_ENVIRONMENT(*args, **{**kwargs, "compiled": compiled})
        envs.append(env)
        return env

    stock_get_template = jinja2.Environment.get_template

    def get_template(self, *args, **kwargs):
        # {% extends %}, {% include %} and {% import %} load their templates through get_template too
        template = stock_get_template(self, *args, **kwargs)
        loaded.add(template.filename)
        return template

    with monkeypatch.context() as patch:
        for module in list(sys.modules.values()):
            if (module is not None and module.__name__.startswith("sitegen")
                    and getattr(module, "make_environment", None) is MAKE_ENVIRONMENT):
                patch.setattr(module, "make_environment", make_environment)
        patch.setattr(jinja2.Environment, "get_template", get_template)
        build(BuildOptions(data=work / "data", content=work / "content", templates=work / "templates",
                           assets=work / "assets", out=work / out, cache_dir=None, jobs=1,
                           previous=work / "previous" if previous else None))
    return work / out, envs, loaded


def site_files(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != MARKER}


def first_difference(a: bytes, b: bytes, name: str) -> str:
    lines = difflib.unified_diff(a.decode("utf-8", "replace").splitlines(), b.decode("utf-8", "replace").splitlines(),
                                 f"compiled/{name}", f"stock/{name}", n=1, lineterm="")
    return "\n".join(list(lines)[:20])


@pytest.mark.parametrize("previous", [True, False], ids=["with-previous", "without-previous"])
def test_stock_jinja_renders_the_same_bytes(site_inputs, previous, monkeypatch):
    suffix = "-previous" if previous else ""
    fast, fast_envs, _ = build_with(site_inputs, "compiled" + suffix, True, previous, monkeypatch)
    stock, stock_envs, loaded = build_with(site_inputs, "stock" + suffix, False, previous, monkeypatch)

    # Each build really used the environment it stands for (one per language).
    assert fast_envs and all(type(env) is speedups.Environment for env in fast_envs)
    assert stock_envs and all(type(env) is jinja2.Environment for env in stock_envs)
    assert all(speedups.ConstantTranslations not in map(type, env.extensions.values()) for env in stock_envs)

    files = site_files(fast)
    assert files == site_files(stock)
    assert len(files) > 1000
    differ = sorted(name for name in files if (fast / name).read_bytes() != (stock / name).read_bytes())
    assert not differ, (f"{len(differ)} files differ between compiled and stock Jinja, e.g.:\n"
                        + first_difference((fast / differ[0]).read_bytes(), (stock / differ[0]).read_bytes(),
                                           differ[0]))

    if previous:
        assert (stock / "perubahan" / "index.html").read_text(encoding="utf-8").count("<tr>") > 100
        # Every template of the theme was rendered by the stock build, so compared.
        used = {Path(name).resolve().relative_to(DEFAULT_TEMPLATES.resolve()).as_posix() for name in loaded
                if Path(name).resolve().is_relative_to(DEFAULT_TEMPLATES.resolve())}
        templates = theme_templates()
        assert len(templates) >= 21
        assert templates - used == set(), "templates no comparison renders: add a page that uses them"
