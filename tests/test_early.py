"""The coverage read the command line starts before it imports the pipeline (sitegen/fast/early.py):
on a cold cache and a large file, the command line waits until polars has begun parsing the whole
file, so that the parse (which lets go of the GIL) runs beside the command line's own work; a small
file or a warm cache never holds it up. The tests hold the read at a chosen step with an event."""

from __future__ import annotations

import shutil
import threading

import pytest

from sitegen.cli import main
from sitegen.fast import coverage as fast_coverage
from sitegen.fast import cubestate
from sitegen.fast import early
from sitegen.fast import snapshot as snapshot_module
from sitegen.inputs import rowcheck

from conftest import REPO


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.delenv("SITEGEN_FASTPATH", raising=False)
    shutil.copytree(REPO / "data", tmp_path / "data")
    return tmp_path / "data"


@pytest.fixture
def held(monkeypatch):
    """A gate the read stops at, before it counts lines (the step before polars' parse); `entered` is set
    when the read reaches it, `parsed` when polars' parse is called."""
    gate, entered, parsed = threading.Event(), threading.Event(), threading.Event()
    counted_bytes, parse_text = fast_coverage.counted_bytes, rowcheck.parse_text

    def counting(*args):
        entered.set()
        assert gate.wait(20)
        return counted_bytes(*args)

    def parsing(*args, **kwargs):
        assert early._head_start.is_set()  # the command line was let go before the parse, not after it
        parsed.set()
        return parse_text(*args, **kwargs)

    monkeypatch.setattr(fast_coverage, "counted_bytes", counting)
    monkeypatch.setattr(rowcheck, "parse_text", parsing)
    yield gate, entered, parsed
    gate.set()  # a failed test never leaves the thread waiting


def test_a_large_file_on_a_cold_cache_holds_the_command_line_until_its_parse_begins(data, tmp_path, held,
                                                                                      monkeypatch):
    gate, entered, parsed = held
    monkeypatch.setattr(early, "HEAD_START_FROM", 0)  # the bundled file counts as large
    cache = tmp_path / "cache"
    early.start_coverage_read(data, cache)
    assert entered.wait(20)
    assert not early._head_start.wait(0.5)  # the command line is still held
    gate.set()
    early.wait_for_head_start()
    got = early.take_coverage_read(data, cache).result()
    assert parsed.is_set() and got is not None and got.ahead is not None and got.digests


def test_a_small_file_never_holds_the_command_line(data, tmp_path, held):
    gate, entered, _ = held
    cache = tmp_path / "cache"
    early.start_coverage_read(data, cache)
    assert early._head_start.wait(5)  # at once, while the read itself is held
    assert entered.wait(20) and early._head_start.is_set()
    gate.set()
    assert early.take_coverage_read(data, cache).result().ahead is not None


def test_a_warm_cache_parses_nothing_ahead_and_never_holds_the_command_line(data, tmp_path, held, monkeypatch):
    gate, _, parsed = held
    gate.set()
    cache = tmp_path / "cache"
    assert main(["check", "--data", str(data), "--cache-dir", str(cache)], standalone_mode=False) is None
    cubestate.wait_for_writers()  # the pieces are stored by a thread of their own
    assert parsed.is_set()  # the first check parsed the file and stored its pieces
    parsed.clear()
    monkeypatch.setattr(early, "HEAD_START_FROM", 0)
    hashed = threading.Event()
    piece_digests = fast_coverage.piece_digests

    def hashing(*args):
        assert early._head_start.is_set()  # let go before the hashing, not after
        hashed.set()
        return piece_digests(*args)

    monkeypatch.setattr(fast_coverage, "piece_digests", hashing)
    copying, copied = threading.Event(), snapshot_module.snapshot

    def snapshot(*args):
        assert copying.wait(20)
        return copied(*args)

    monkeypatch.setattr(snapshot_module, "snapshot", snapshot)
    early.start_coverage_read(data, cache)
    assert early._head_start.wait(5)  # at once: not even the copy is waited for
    copying.set()
    got = early.take_coverage_read(data, cache).result()
    assert hashed.is_set() and got is not None and got.ahead is None and not parsed.is_set()


def test_a_failing_read_lets_the_command_line_go_on(tmp_path, monkeypatch):
    monkeypatch.delenv("SITEGEN_FASTPATH", raising=False)
    monkeypatch.setattr(early, "HEAD_START_FROM", 0)
    early.start_coverage_read(tmp_path / "no-data", tmp_path / "cache")
    assert early._head_start.wait(5)
    assert early.take_coverage_read(tmp_path / "no-data", tmp_path / "cache").result() is None


@pytest.mark.parametrize("rewrite", [lambda text: b"\xef\xbb\xbf" + text, lambda text: text.replace(b",", b";"),
                                     lambda text: b'"period"' + text[len(b"period"):]], ids=["bom", "semicolons", "quoted"])
def test_a_file_that_is_not_parsed_ahead_never_holds_the_command_line(data, tmp_path, monkeypatch, rewrite):
    """A BOM, `;` (Excel in an Indonesian locale) or a quoted header: read the exact way, nothing to wait for."""
    path = data / "coverage.csv"
    path.write_bytes(rewrite(path.read_bytes()))
    monkeypatch.setattr(early, "HEAD_START_FROM", 0)
    copying, copied = threading.Event(), snapshot_module.snapshot

    def snapshot(*args):
        assert copying.wait(20)
        return copied(*args)

    monkeypatch.setattr(snapshot_module, "snapshot", snapshot)
    early.start_coverage_read(data, tmp_path / "cache")
    assert early._head_start.wait(5)  # at once, while the copy is held
    copying.set()
    got = early.take_coverage_read(data, tmp_path / "cache").result()
    assert got is None or got.ahead is None  # nothing was parsed ahead (load_coverage reads such a file itself)
