"""Dated releases: each month's download zip keeps its address across builds and deploys, and
Atom feeds (site-wide and per kabupaten) say what changed in each release."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import feedparser

from tests.conftest import COVERAGE_CSV

MAY = COVERAGE_CSV + """\
2025-05,63.10.01.1007,perangkat_desa,9,10,src
2025-05,63.10.01.2005,perangkat_desa,9,12,src
"""
JUNE = MAY.replace("2025-04,63.10.01.2005,perangkat_desa,9,12,src", "2025-04,63.10.01.2005,perangkat_desa,10,12,src") \
    + "2025-06,63.10.02.1001,perangkat_desa,8,8,src\n"


def build(run_cli, out: str, previous: str | None = None):
    result = run_cli("build", "--out", out, *(["--previous", previous] if previous else []))
    assert result.exit_code == 0, result.output
    return Path(out)


def index(site: Path) -> dict:
    return json.loads((site / "unduh/arsip/index.json").read_text(encoding="utf-8"))


def test_a_month_later_the_published_zip_is_kept_at_its_dated_address(make_site, run_cli):
    root = make_site()
    april = build(run_cli, "april")
    assert [r["period"] for r in index(april)["releases"]] == ["2025-04"]
    assert (april / "unduh/arsip/2025-04/data.zip").read_bytes() == (april / "unduh/data.zip").read_bytes()

    (root / "data/coverage.csv").write_text(MAY, encoding="utf-8")
    may = build(run_cli, "may", previous="april")
    releases = index(may)["releases"]
    assert [r["period"] for r in releases] == ["2025-05", "2025-04"]
    frozen = (may / "unduh/arsip/2025-04/data.zip").read_bytes()
    assert frozen == (april / "unduh/data.zip").read_bytes()  # the old link still gives the old data
    assert releases[1]["sha256"] == hashlib.sha256(frozen).hexdigest() and releases[1]["bytes"] == len(frozen)
    assert releases[0]["notes"]["new_periods"] == ["2025-05"]

    (root / "data/coverage.csv").write_text(JUNE, encoding="utf-8")
    june = build(run_cli, "june", previous="may")
    releases = index(june)["releases"]
    assert [r["period"] for r in releases] == ["2025-06", "2025-05", "2025-04"]
    assert (june / "unduh/arsip/2025-04/data.zip").read_bytes() == frozen  # carried over, unchanged
    assert (june / "unduh/arsip/2025-05/data.zip").read_bytes() == (may / "unduh/data.zip").read_bytes()
    assert releases[0]["notes"]["revised"] == 1
    assert releases[0]["notes"]["revised_by_kabupaten"] == {"63.10": 1}
    # The archive page lists every release with a link that works from it.
    page = (june / "unduh/arsip/index.html").read_text(encoding="utf-8")
    for period in ("2025-06", "2025-05", "2025-04"):
        assert f'href="{period}/data.zip"' in page
    english = (june / "en/unduh/arsip/index.html").read_text(encoding="utf-8")
    assert 'href="../../../unduh/arsip/2025-04/data.zip"' in english


def test_the_feeds_parse_and_say_what_changed(make_site, run_cli):
    root = make_site()
    build(run_cli, "april")
    (root / "data/coverage.csv").write_text(MAY, encoding="utf-8")
    build(run_cli, "may", previous="april")
    (root / "data/coverage.csv").write_text(JUNE, encoding="utf-8")
    june = build(run_cli, "june", previous="may")
    feed = feedparser.parse((june / "unduh/arsip/feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert [e.title for e in feed.entries] == ["Data Juni 2025", "Data Mei 2025", "Data April 2025"]
    assert "Bulan baru: Juni 2025." in feed.entries[0].summary
    assert "1 angka bulan sebelumnya direvisi." in feed.entries[0].summary
    assert feed.entries[1].enclosures[0].href == "https://example.org/uji/unduh/arsip/2025-05/data.zip"
    kabupaten = feedparser.parse((june / "unduh/arsip/feed/63.10.xml").read_bytes())
    assert not kabupaten.bozo and len(kabupaten.entries) == 3
    english = feedparser.parse((june / "en/unduh/arsip/feed.xml").read_bytes())
    assert english.entries[0].title == "Data for June 2025"
    # Region pages name the feed of their kabupaten.
    page = (june / "desa/63-10-01-2005-segumbang/index.html").read_text(encoding="utf-8")
    assert 'type="application/atom+xml" href="../../unduh/arsip/feed/63.10.xml"' in page


def test_a_release_listed_but_missing_is_reported(make_site, run_cli):
    root = make_site()
    build(run_cli, "april")
    (root / "data/coverage.csv").write_text(MAY, encoding="utf-8")
    build(run_cli, "may", previous="april")
    shutil.rmtree("may/unduh/arsip/2025-04")
    (root / "data/coverage.csv").write_text(JUNE, encoding="utf-8")
    result = run_cli("build", "--out", "june", "--previous", "may")
    assert result.exit_code == 1
    assert "the release of 2025-04 is listed in" in result.output and "its zip is missing" in result.output
    assert not Path("june").exists()


def test_fetch_published_gets_what_the_next_build_carries_over(make_site, run_cli):
    import functools
    import http.server
    import threading

    root = make_site()
    build(run_cli, "april")
    (root / "data/coverage.csv").write_text(MAY, encoding="utf-8")
    may = build(run_cli, "may", previous="april")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(may))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        result = run_cli("fetch-published", url, "--out", "fetched")
        assert result.exit_code == 0, result.output
        fetched = sorted(p.relative_to("fetched").as_posix() for p in Path("fetched").rglob("*") if p.is_file())
        assert fetched == [".sitegen-fetched", "unduh/arsip/2025-04/data.zip", "unduh/arsip/index.json",
                           "unduh/cakupan.csv", "unduh/data.zip", "unduh/wilayah.csv"]
        (root / "data/coverage.csv").write_text(JUNE, encoding="utf-8")
        from_fetched = build(run_cli, "june-a", previous="fetched")
        from_folder = build(run_cli, "june-b", previous="may")
        for name in ("unduh/arsip/index.json", "unduh/arsip/2025-04/data.zip", "unduh/arsip/2025-05/data.zip",
                     "perubahan/index.html"):
            assert (from_fetched / name).read_bytes() == (from_folder / name).read_bytes(), name
        # Nothing published yet: no folder, exit 0.
        result = run_cli("fetch-published", url + "nothing-here/", "--out", "none")
        assert result.exit_code == 0 and "nothing published" in result.output and not Path("none").exists()
    finally:
        server.shutdown()


def serve_folder(folder: Path):
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def test_fetch_never_writes_where_a_published_index_points(make_site, run_cli, tmp_path):
    root = make_site()
    build(run_cli, "april")
    (root / "data/coverage.csv").write_text(MAY, encoding="utf-8")
    may = build(run_cli, "may", previous="april")
    index_file = may / "unduh/arsip/index.json"
    index = json.loads(index_file.read_text(encoding="utf-8"))
    index["releases"][1]["path"] = "../../../../escaped.zip"  # ignored: the checked period names the file
    index_file.write_text(json.dumps(index), encoding="utf-8")
    server, url = serve_folder(may)
    try:
        assert run_cli("fetch-published", url, "--out", "fetched").exit_code == 0
        assert Path("fetched/unduh/arsip/2025-04/data.zip").is_file()
        assert not list(Path("..").rglob("escaped.zip"))
        index["releases"][1]["period"] = "../../x"
        index_file.write_text(json.dumps(index), encoding="utf-8")
        result = run_cli("fetch-published", url, "--out", "fetched")
        assert result.exit_code == 1 and "is not a month" in result.output
        assert Path("fetched/unduh/arsip/2025-04/data.zip").is_file()  # the earlier fetch is left as it was
        # A folder fetch-published did not make is never replaced.
        result = run_cli("fetch-published", url, "--out", "data")
        assert result.exit_code == 1 and "was not made by sitegen fetch-published" in result.output
        assert Path("data/coverage.csv").is_file()
    finally:
        server.shutdown()


def test_the_current_zip_is_checked_against_its_index(make_site, run_cli):
    make_site()
    april = build(run_cli, "april")
    current = index(april)["releases"][0]
    assert current["current"] and current["sha256"] == hashlib.sha256((april / "unduh/data.zip").read_bytes()).hexdigest()
    (april / "unduh/data.zip").write_bytes(b"a stale copy from a cache")
    result = run_cli("build", "--out", "may", "--previous", "april")
    assert result.exit_code == 1 and "not the one its index lists" in result.output


def test_a_withdrawn_month_is_not_kept(make_site, run_cli):
    root = make_site()
    build(run_cli, "april")
    (root / "data/coverage.csv").write_text(MAY, encoding="utf-8")
    build(run_cli, "may", previous="april")
    (root / "data/coverage.csv").write_text(COVERAGE_CSV, encoding="utf-8")  # May taken back out
    again = build(run_cli, "again", previous="may")
    assert [r["period"] for r in index(again)["releases"]] == ["2025-04"]
    assert not (again / "unduh/arsip/2025-05").exists()


def test_an_update_without_previous_equals_a_clean_build(make_site, run_cli):
    root = make_site()
    build(run_cli, "april")
    (root / "data/coverage.csv").write_text(MAY, encoding="utf-8")
    build(run_cli, "site", previous="april")  # carries April over
    updated = build(run_cli, "site")           # over its own output, without --previous
    clean = build(run_cli, "clean")
    for name in ("unduh/arsip/index.json", "unduh/arsip/feed.xml", "unduh/arsip/index.html"):
        assert (updated / name).read_bytes() == (clean / name).read_bytes(), name
    assert not (updated / "unduh/arsip/2025-04").exists()


def test_kabupaten_feeds_outlive_an_update_of_figures_and_follow_a_new_month(make_site, run_cli):
    # The kabupaten feeds are a family of their own that shows the releases only: an update that
    # changes figures keeps them (the download folder around them is made again), a new month
    # makes them again; either way the site equals a clean build.
    root = make_site()
    build(run_cli, "site")
    feeds = sorted(p.relative_to("site").as_posix() for p in Path("site").rglob("arsip/feed/*.xml"))
    assert feeds == ["en/unduh/arsip/feed/63.10.xml", "unduh/arsip/feed/63.10.xml"]
    figures = COVERAGE_CSV.replace("2025-04,63.10.01.1007,perangkat_desa,8,10", "2025-04,63.10.01.1007,perangkat_desa,9,10")
    for step, coverage in (("figures", figures), ("new month", MAY)):
        (root / "data/coverage.csv").write_text(coverage, encoding="utf-8")
        updated = build(run_cli, "site")
        clean = build(run_cli, f"clean-{step.replace(' ', '-')}")
        for name in (*feeds, "unduh/arsip/index.json", "unduh/index.html"):
            assert (updated / name).read_bytes() == (clean / name).read_bytes(), (step, name)
        shutil.rmtree(clean)
    assert "Mei 2025" in (updated / feeds[1]).read_text(encoding="utf-8")
