"""A first build's templates, compiled by a child that `sitegen build` forks (sitegen/fast/templates.py):
the child fills the cache's bytecode folders with every page template, the build then compiles none
itself, and its pages are the bytes of a build that compiled its own templates.

What forks runs in a fresh interpreter: forking this test process, with whatever threads earlier
tests left, is what fork_child itself refuses to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jinja2
import pytest

from sitegen.fast import templates
from sitegen.render.bytecode import bytecode_folder, prune_old_folders
from sitegen.render.i18n import LANGUAGES

from conftest import REPO, copy_bundled_inputs
from test_portable import differing_files

needs_fork = pytest.mark.skipif(not hasattr(os, "fork") or templates.available_cores() < 2,
                                reason="no fork, or one core: no child is forked")

BUILD = """
import json, sys
import jinja2
from sitegen.fast import templates
from sitegen.cli import main

compiled = []
compile_ = jinja2.Environment.compile

def counting_compile(self, source, name=None, filename=None, raw=False, defer_init=False):
    compiled.append(name)
    return compile_(self, source, name, filename, raw, defer_init)

jinja2.Environment.compile = counting_compile  # (a forked child counts in its own copy of the list)
if sys.argv[2] == "no-child":
    templates.fork_child = lambda work: None
main(sys.argv[3:], standalone_mode=False)
with open(sys.argv[1], "w") as file:
    json.dump(compiled, file)
"""

CHILDREN = """
import json, sys, time
from sitegen import system

started = time.monotonic()
results = [system.wait_for_child(system.fork_child(lambda: None)),
           system.wait_for_child(system.fork_child(lambda: 1 / 0)),
           system.wait_for_child(system.fork_child(lambda: time.sleep(30)), timeout=0.2)]
print(json.dumps([results, time.monotonic() - started]))
"""


def page_templates() -> list[str]:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(REPO / "sitegen" / "theme" / "templates")))
    return env.list_templates(filter_func=templates.is_page_template)


def test_the_templates_are_compiled_into_every_languages_folder(tmp_path):
    cache = tmp_path / "cache"
    assert templates.needs_compiling(cache)
    templates.compile_templates(REPO / "templates", cache)
    assert not templates.needs_compiling(cache)
    expected = len(page_templates())
    assert expected > 20
    for language in LANGUAGES:
        folder = bytecode_folder(cache, language.code, create=False)
        assert len(list(folder.glob("*.cache"))) == expected, language.code


@needs_fork
def test_a_first_build_compiles_nothing_itself_and_makes_the_same_pages(tmp_path):
    site = copy_bundled_inputs(tmp_path / "site")
    compiled = {}
    for mode in ("child", "no-child"):
        counted = tmp_path / f"{mode}.json"
        done = subprocess.run([sys.executable, "-c", BUILD, str(counted), mode, "build", "--out", str(tmp_path / mode),
                               "--cache-dir", str(tmp_path / f"cache-{mode}")], cwd=site, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        compiled[mode] = json.loads(counted.read_text())
    assert compiled["child"] == []  # the build loaded every template the child compiled
    assert len(set(compiled["no-child"])) >= 20
    assert not templates.needs_compiling(tmp_path / "cache-child")
    assert not differing_files(tmp_path / "child", tmp_path / "no-child")


def test_no_child_without_fork_a_second_core_or_the_fast_paths(tmp_path, monkeypatch):
    forked = []
    monkeypatch.setattr(templates, "fork_child", lambda work: forked.append(work))
    monkeypatch.setattr(templates, "available_cores", lambda: 1)
    templates.start_compiling(REPO / "templates", tmp_path / "cache")
    monkeypatch.setattr(templates, "available_cores", lambda: 2)
    monkeypatch.setenv("SITEGEN_FASTPATH", "0")
    templates.start_compiling(REPO / "templates", tmp_path / "cache")
    templates.start_compiling(REPO / "templates", None)
    assert forked == []
    monkeypatch.delenv("SITEGEN_FASTPATH")
    (tmp_path / "warm" / "jinja-id-0123456789abcdef").mkdir(parents=True)  # an earlier build compiled them
    templates.start_compiling(REPO / "templates", tmp_path / "warm")
    assert forked == []
    templates.start_compiling(REPO / "templates", tmp_path / "cache")
    assert len(forked) == 1
    templates._child = None
    monkeypatch.undo()
    monkeypatch.delattr(os, "fork", raising=False)
    templates.start_compiling(REPO / "templates", tmp_path / "cache")  # the real fork_child, with no os.fork
    assert templates._child is None
    assert not (tmp_path / "cache").exists()


@needs_fork
def test_a_childs_end_is_told_and_a_stuck_child_is_stopped():
    done = subprocess.run([sys.executable, "-c", CHILDREN], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    results, seconds = json.loads(done.stdout)
    assert results == [True, False, False]
    assert seconds < 10


def test_old_compiled_template_folders_are_pruned_but_recent_ones_kept(tmp_path):
    """Each sitegen upgrade makes new bytecode folders: a new one removes its language's folders beyond
    the newest three, except one written to within the hour (another sitegen may be building with it)."""
    import time

    now = time.time()
    stale = [tmp_path / f"jinja-id-{n:016x}" for n in range(5)]
    for age, folder in enumerate(stale):
        (folder / "x.cache").parent.mkdir()
        (folder / "x.cache").write_bytes(b"old")
        os.utime(folder, (now - 7200 - age * 60, now - 7200 - age * 60))  # hours old
    recent = [tmp_path / f"jinja-id-e{n:015x}" for n in range(2)]
    for minutes, folder in enumerate(recent, start=1):
        folder.mkdir()
        os.utime(folder, (now - minutes * 60, now - minutes * 60))
    busy = tmp_path / "jinja-id-ffffffffffffffff"
    busy.mkdir()
    os.utime(busy, (now - 1800, now - 1800))  # the fourth newest, but written half an hour ago
    other_language = tmp_path / "jinja-en-0000000000000000"
    other_language.mkdir()
    os.utime(other_language, (now - 99999, now - 99999))

    folder = bytecode_folder(tmp_path, "id")

    assert folder.is_dir()
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {folder.name, *(f.name for f in recent), busy.name, other_language.name}
    # Asking again for an existing folder prunes nothing.
    stale[1].mkdir()
    os.utime(stale[1], (now - 99999, now - 99999))
    os.utime(folder, (now - 99999, now - 99999))
    assert bytecode_folder(tmp_path, "id") == folder
    assert stale[1].is_dir()
    assert folder.stat().st_mtime > now - 60  # marked as used, so that another sitegen's pruning keeps it
    # Only this sitegen's own folders are candidates: another language's, or another name, never.
    (tmp_path / "jinja-id-notes").mkdir()
    os.utime(tmp_path / "jinja-id-notes", (now - 99999, now - 99999))
    prune_old_folders(tmp_path, "id")
    assert (tmp_path / "jinja-id-notes").is_dir()
