"""The portable paths, run on Linux by taking Linux's own facilities away.

Windows has no O_CLOEXEC, needs O_BINARY, has no fork, no renameat2, no anonymous files and no
/proc; macOS has fork but CPython calls it unsafe while threads run, and has no renameat2 or
anonymous files either. sitegen keeps every such call in `sitegen.system`; here a child process
removes those facilities before sitegen is imported and builds the bundled site, cold and after
a one-village edit: the bytes must equal those of a build that used them.
"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sitegen import system

from conftest import copy_bundled_inputs

MARKER = ".sitegen-site"

# Run before sitegen is imported, so every `from .system import ...` sees the simulated system.
SIMULATIONS = {
    "windows": """
import multiprocessing, os
for name in ("O_CLOEXEC", "O_TMPFILE", "copy_file_range", "sched_getaffinity", "fork"):
    if hasattr(os, name):
        delattr(os, name)
os.O_BINARY = 0  # present, as on Windows (its value there is 0x8000, which Linux would read as another flag)
multiprocessing.get_all_start_methods = lambda: ["spawn"]
import mmap
for name in ("MAP_SHARED", "MAP_POPULATE"):  # (polars' CPU check, for Linux only, needs the others)
    if hasattr(mmap, name):
        delattr(mmap, name)
from sitegen import system
system.libc_function = lambda name: None
system.fd_path = lambda fd: None
""",
    "macos": """
import os, types
for name in ("O_TMPFILE", "copy_file_range", "sched_getaffinity"):
    if hasattr(os, name):
        delattr(os, name)
from sitegen import system
system.sys = types.SimpleNamespace(platform="darwin")
system.libc_function = lambda name: None  # no renameat2 or linkat
system.fd_path = lambda fd: None
""",
}

RUN = "import sys; exec(sys.argv.pop(1)); from sitegen.cli import run_cli; run_cli()"


def run_sitegen(site: Path, simulation: str, *args: str) -> None:
    env = {**os.environ, "SITEGEN_CACHE_DIR": str(site / ".cache")}
    done = subprocess.run([sys.executable, "-c", RUN, simulation, *args], cwd=site, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def differing_files(a: Path, b: Path) -> list[str]:
    found, stack = [], [filecmp.dircmp(a, b, ignore=[MARKER])]
    while stack:
        current = stack.pop()
        found += current.left_only + current.right_only
        _, mismatch, errors = filecmp.cmpfiles(current.left, current.right, current.common_files, shallow=False)
        found += mismatch + errors
        stack.extend(current.subdirs.values())
    return found


def raise_one_village(data: Path) -> None:
    path = data / "coverage.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines[1:], start=1):
        cells = line.rstrip("\n").split(",")
        if cells[1].count(".") == 3 and cells[4] and int(cells[3]) < int(cells[4]):
            cells[3] = str(int(cells[3]) + 1)
            lines[i] = ",".join(cells) + "\n"
            path.write_text("".join(lines), encoding="utf-8")
            return
    raise AssertionError("no village row to edit")


@pytest.mark.parametrize("simulated", sorted(SIMULATIONS))
def test_simulated_system_builds_the_same_bytes(tmp_path, simulated):
    native, portable = copy_bundled_inputs(tmp_path / "native"), copy_bundled_inputs(tmp_path / "portable")
    for site, simulation in ((native, ""), (portable, SIMULATIONS[simulated])):
        run_sitegen(site, simulation, "build", "--jobs", "2")
    assert not differing_files(native / "_site", portable / "_site")
    for site, simulation in ((native, ""), (portable, SIMULATIONS[simulated])):
        raise_one_village(site / "data")
        run_sitegen(site, simulation, "build", "--jobs", "2")
    assert not differing_files(native / "_site", portable / "_site")
    # The portable build left no staging, old or temporary files beside the site or in its cache.
    assert sorted(p.name for p in portable.iterdir() if p.name.startswith(".")) == \
        ["._site.sitegen-lock", ".cache"]
    assert not [p for p in (portable / ".cache").rglob("*.tmp")]


def test_write_flags_follow_the_system(monkeypatch):
    monkeypatch.delattr(os, "O_CLOEXEC", raising=False)
    monkeypatch.setattr(os, "O_BINARY", 0x8000, raising=False)
    assert system.write_flags() & 0x8000
    monkeypatch.delattr(os, "O_BINARY")
    assert system.write_flags() == os.O_WRONLY | os.O_CREAT | os.O_TRUNC


def test_page_workers_fork_only_where_it_is_safe(monkeypatch):
    import multiprocessing
    import types

    assert system.fork_context() is not None  # Linux, whatever threads run
    monkeypatch.setattr(system, "sys", types.SimpleNamespace(platform="darwin"))
    # No other thread (an earlier test's build may leave one finishing its work in this process):
    monkeypatch.setattr(system, "threading", types.SimpleNamespace(active_count=lambda: 1))
    assert system.fork_context() is not None
    monkeypatch.setattr(system, "threading", threading)
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert system.fork_context() is None
    finally:
        stop.set()
        worker.join()
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert system.fork_context() is None


def test_swap_without_renameat2(tmp_path, monkeypatch):
    monkeypatch.setattr(system, "libc_function", lambda name: None)
    new, current, old = tmp_path / "new", tmp_path / "current", tmp_path / "old"
    new.mkdir()
    (new / "a").write_text("new")
    current.mkdir()
    (current / "a").write_text("old")
    system.swap_in(new, current, old)
    assert (current / "a").read_text() == "new" and (old / "a").read_text() == "old" and not new.exists()


def test_atomic_replace_leaves_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "state.npz"
    system.replace_atomically(target, b"first")

    def fail(handle):
        handle.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        system.replace_atomically(target, fail)
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["state.npz"]


def test_one_build_at_a_time(tmp_path):
    lock = system.hold_lock(tmp_path / ".lock")
    try:
        with pytest.raises(system.Busy):
            system.hold_lock(tmp_path / ".lock")
    finally:
        lock.release()
    system.hold_lock(tmp_path / ".lock").release()
