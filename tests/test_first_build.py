"""A first build's templates, compiled by a child that `sitegen build` forks (sitegen/fast/templates.py):
the child fills the cache's bytecode folders with every page template, the build then compiles none
itself, and its pages are the bytes of a build that compiled its own templates."""

from __future__ import annotations

import os
import time

import jinja2
import pytest

from sitegen import system
from sitegen.fast import templates
from sitegen.render.bytecode import bytecode_folder
from sitegen.render.i18n import LANGUAGES

from conftest import REPO, copy_bundled_inputs
from test_portable import differing_files

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")


@pytest.fixture
def no_other_thread(monkeypatch):
    """fork_child forks only while no other thread lives; earlier tests may have left one finishing."""
    monkeypatch.setattr(system.threading, "active_count", lambda: 1)


def page_templates() -> list[str]:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(REPO / "sitegen" / "theme" / "templates")))
    return env.list_templates(filter_func=templates.is_page_template)


@needs_fork
def test_the_child_compiles_every_page_template(tmp_path, no_other_thread):
    templates.start_compiling(REPO / "templates", tmp_path / "cache")
    assert templates._child is not None
    templates.wait_for_templates()
    assert templates._child is None
    expected = len(page_templates())
    assert expected > 20
    for language in LANGUAGES:
        folder = bytecode_folder(tmp_path / "cache", language.code, create=False)
        assert len(list(folder.glob("*.cache"))) == expected, language.code


@needs_fork
def test_a_build_after_the_child_compiles_nothing_and_makes_the_same_pages(tmp_path, no_other_thread, monkeypatch,
                                                                            run_cli):
    site = copy_bundled_inputs(tmp_path / "site")
    monkeypatch.chdir(site)
    compiled: list[str] = []
    compile_ = jinja2.Environment.compile

    def counting_compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        compiled.append(name)
        return compile_(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(jinja2.Environment, "compile", counting_compile)
    # In this process's view no template is compiled by the child, so the count is the build's own.
    result = run_cli("build", "--out", str(tmp_path / "with-child"), "--cache-dir", str(tmp_path / "cache-1"))
    assert result.exit_code == 0, result.output
    assert compiled == []
    assert all(any(bytecode_folder(tmp_path / "cache-1", language.code, create=False).glob("*.cache"))
               for language in LANGUAGES)

    monkeypatch.setattr(templates, "fork_child", lambda work: None)  # no child: the build compiles its own
    result = run_cli("build", "--out", str(tmp_path / "without"), "--cache-dir", str(tmp_path / "cache-2"))
    assert result.exit_code == 0, result.output
    assert len(set(compiled)) >= 20
    assert not differing_files(tmp_path / "with-child", tmp_path / "without")


@needs_fork
def test_a_warm_cache_leaves_the_child_nothing_to_do(tmp_path, no_other_thread):
    templates.start_compiling(REPO / "templates", tmp_path / "cache")
    templates.wait_for_templates()
    files = {path: path.stat().st_mtime_ns for path in (tmp_path / "cache").rglob("*.cache")}
    time.sleep(0.01)
    templates.start_compiling(REPO / "templates", tmp_path / "cache")
    templates.wait_for_templates()
    assert {path: path.stat().st_mtime_ns for path in (tmp_path / "cache").rglob("*.cache")} == files


def test_no_child_without_fork_or_with_the_fast_paths_off(tmp_path, monkeypatch):
    monkeypatch.setenv("SITEGEN_FASTPATH", "0")
    templates.start_compiling(REPO / "templates", tmp_path / "cache")
    assert templates._child is None
    monkeypatch.delenv("SITEGEN_FASTPATH")
    monkeypatch.delattr(os, "fork", raising=False)
    templates.start_compiling(REPO / "templates", tmp_path / "cache")
    assert templates._child is None
    assert not (tmp_path / "cache").exists()


@needs_fork
def test_a_childs_end_is_told_and_a_stuck_child_is_stopped(no_other_thread):
    assert system.wait_for_child(system.fork_child(lambda: None)) is True
    assert system.wait_for_child(system.fork_child(lambda: 1 / 0)) is False
    started = time.monotonic()
    assert system.wait_for_child(system.fork_child(lambda: time.sleep(30)), timeout=0.2) is False
    assert time.monotonic() - started < 5
