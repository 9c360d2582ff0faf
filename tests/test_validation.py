"""Validation of the input files: every rule reports `path:line: message` on stderr, exit 1, nothing written.

Each bad input is the default scratch site of conftest.py with one small change,
so a message can only come from the rule under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import COVERAGE_CSV, REGIONS_CSV, SEGMENTS_YAML, SITE_YAML, SOURCES_YAML

COVERAGE = "data/coverage.csv"
REGIONS = "data/regions.csv"
SEGMENTS = "data/segments.yaml"
SOURCES = "data/sources.yaml"
SITE = "data/site.yaml"


# --- building variants of the default files ------------------------------------------

def replace_line(text: str, line: int, new: str) -> str:
    """`text` with its 1-based `line` replaced by `new` (which may hold several lines)."""
    lines = text.splitlines(keepends=True)
    assert 1 <= line <= len(lines), f"no line {line}"
    lines[line - 1] = new + "\n"
    return "".join(lines)


def remove_line(text: str, line: int) -> str:
    lines = text.splitlines(keepends=True)
    del lines[line - 1]
    return "".join(lines)


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} is not unique in the default file"
    return text.replace(old, new)


def line_count(text: str) -> int:
    return len(text.splitlines())


def force_exact_reader(coverage: str) -> str:
    """A quote anywhere sends coverage.csv through the row-by-row csv reader instead of polars."""
    return replace_once(coverage, "period,region_code", '"period",region_code')


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file below `root` (hidden ones too) with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# --- running ---------------------------------------------------------------------------

@pytest.fixture
def check(make_site, run_cli):
    """check({path: content}, *options) → the result of `sitegen check` on that scratch site."""
    def run(files: dict, *options: str):
        make_site(files)
        return run_cli("check", *options)
    return run


def assert_fails(result, *expected: str) -> str:
    """Exit 1, every expected `path:line: message` fragment on stderr, and the 'nothing written' summary."""
    assert result.exit_code == 1, result.output
    for text in expected:
        assert text in result.stderr, f"{text!r} not in:\n{result.stderr}"
    assert "; nothing was written" in result.stderr
    return result.stderr


def assert_valid(result) -> None:
    assert result.exit_code == 0, result.output
    assert "sitegen: input is valid" in result.output


def problem_lines(stderr: str, path: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(path + ":")]


# --- coverage.csv: one rule per row ------------------------------------------------------

ROW = "2024-04,63.10.01.2005,perangkat_desa,{covered},{eligible},src"   # line 3 of the default

ROW_RULES = [
    pytest.param(2, "2024-13,63.10.01.1007,perangkat_desa,5,10,src",
                 'period "2024-13" is not a month in YYYY-MM form', id="period-month-13"),
    pytest.param(2, "2024-4,63.10.01.1007,perangkat_desa,5,10,src",
                 'period "2024-4" is not a month in YYYY-MM form', id="period-one-digit-month"),
    pytest.param(2, "2024-04-01,63.10.01.1007,perangkat_desa,5,10,src",
                 'period "2024-04-01" is not a month in YYYY-MM form', id="period-date"),
    pytest.param(4, "2024-04,63.10.02.9999,perangkat_desa,4,8,src",
                 'region_code "63.10.02.9999" is not in regions.csv', id="unknown-region"),
    pytest.param(4, "2024-04,63.10.02.1001,nelayan,4,8,src",
                 'segment "nelayan" is not an id in segments.yaml', id="unknown-segment"),
    pytest.param(4, "2024-04,63.10.02.1001,perangkat_desa,4,8,bps",
                 'source "bps" is not an id in sources.yaml', id="unknown-source"),
    pytest.param(3, ROW.format(covered="12a", eligible=12), 'covered "12a" is not a whole number', id="covered-12a"),
    pytest.param(3, ROW.format(covered="-3", eligible=12), 'covered "-3" is not a whole number', id="covered-negative"),
    pytest.param(3, ROW.format(covered="1.5", eligible=12), 'covered "1.5" is not a whole number', id="covered-decimal"),
    pytest.param(3, ROW.format(covered="", eligible=12), 'covered "" is not a whole number', id="covered-empty"),
    pytest.param(3, ROW.format(covered="١٢", eligible=12), 'covered "١٢" is not a whole number',
                 id="covered-arabic-indic-digits"),
    pytest.param(3, ROW.format(covered=6, eligible="12a"), 'eligible "12a" is not a whole number', id="eligible-12a"),
    pytest.param(3, ROW.format(covered=6, eligible="-12"), 'eligible "-12" is not a whole number', id="eligible-negative"),
    pytest.param(3, ROW.format(covered=6, eligible="1.5"), 'eligible "1.5" is not a whole number', id="eligible-decimal"),
    pytest.param(3, ROW.format(covered=13, eligible=12), "covered 13 is more than eligible 12", id="covered-gt-eligible"),
]


@pytest.mark.parametrize("reader", ["fast", "exact"])
@pytest.mark.parametrize("line, row, message", ROW_RULES)
def test_coverage_row_rule(check, reader, line, row, message):
    coverage = replace_line(COVERAGE_CSV, line, row)
    if reader == "exact":
        coverage = force_exact_reader(coverage)
    stderr = assert_fails(check({COVERAGE: coverage}), f"{COVERAGE}:{line}: {message}")
    assert len(problem_lines(stderr, COVERAGE)) == 1, stderr


def test_default_site_is_valid_with_an_empty_eligible(check):
    assert "2025-04,63.10,penerima_upah,1000,,src" in COVERAGE_CSV  # the kabupaten row leaves eligible empty
    assert_valid(check({}))


def test_empty_eligible_is_allowed_on_any_row(check):
    coverage = replace_line(COVERAGE_CSV, 3, ROW.format(covered=6, eligible=""))
    assert_valid(check({COVERAGE: coverage}))


@pytest.mark.parametrize("reader", ["fast", "exact"])
def test_duplicate_row_names_the_first_line(check, reader):
    coverage = COVERAGE_CSV + "2025-04,63.10.01.1007,perangkat_desa,1,2,src\n"
    if reader == "exact":
        coverage = force_exact_reader(coverage)
    assert_fails(check({COVERAGE: coverage}),
                 f"{COVERAGE}:11: duplicate row for period 2025-04, region_code 63.10.01.1007, "
                 f"segment perangkat_desa (first given on line 6)")


def test_segment_at_two_levels_in_one_period(check):
    coverage = COVERAGE_CSV + "2025-04,63.10.01,penerima_upah,10,,src\n"
    assert_fails(check({COVERAGE: coverage}),
                 f"{COVERAGE}:11: segment penerima_upah in 2025-04 is reported here for a kecamatan (63.10.01) "
                 f"but on line 10 for a kabupaten")


def test_one_segment_at_different_levels_in_different_periods_is_allowed(check):
    coverage = COVERAGE_CSV + "2024-04,63.10.01,penerima_upah,10,,src\n"
    assert_valid(check({COVERAGE: coverage}))


@pytest.mark.parametrize("row, fields", [
    ("2024-04,63.10.01.2005,perangkat_desa,6,12", 5),
    ("2024-04,63.10.01.2005,perangkat_desa,6,12,src,extra", 7),
])
def test_wrong_number_of_fields(check, row, fields):
    coverage = replace_line(COVERAGE_CSV, 3, row)
    assert_fails(check({COVERAGE: coverage}), f"{COVERAGE}:3: row has {fields} fields but the header has 6")


def test_ragged_rows_whose_commas_add_up_are_still_reported(check):
    """One row too long and one too short: the file's comma count looks right, the rows do not."""
    coverage = replace_line(COVERAGE_CSV, 2, "2024-04,63.10.01.1007,perangkat_desa,5,10,src,")
    coverage = replace_line(coverage, 3, "2024-04,63.10.01.2005,perangkat_desa,6,12")
    assert_fails(check({COVERAGE: coverage}),
                 f"{COVERAGE}:2: row has 7 fields but the header has 6",
                 f"{COVERAGE}:3: row has 5 fields but the header has 6")


def test_tab_delimiter(check):
    """(A `;` file is what Excel saves in an Indonesian locale: read, see test_spreadsheets.py.)"""
    assert_fails(check({COVERAGE: COVERAGE_CSV.replace(",", "\t")}),
                 f"{COVERAGE}:1: columns are separated by tabs; sitegen expects commas "
                 '(in Excel: File > Save As > "CSV UTF-8 (Comma delimited)")')


@pytest.mark.parametrize("reader", ["fast", "exact"])
def test_missing_column(check, reader):
    coverage = COVERAGE_CSV.replace(",src\n", "\n").replace(",source\n", "\n")
    if reader == "exact":
        coverage = force_exact_reader(coverage)
    assert_fails(check({COVERAGE: coverage}), f"{COVERAGE}:1: missing column(s) source")


def test_not_utf8_names_the_line_of_the_bad_byte(check):
    coverage = replace_once(COVERAGE_CSV, "63.10.02.1001,perangkat_desa,4", "63.10.02.1001,perangkat_d\xe9sa,4")
    assert_fails(check({COVERAGE: coverage.encode("latin-1")}),
                 f"{COVERAGE}:4: is not UTF-8 (byte 0xe9)")


def test_bom_and_crlf_are_accepted(check):
    data = b"\xef\xbb\xbf" + COVERAGE_CSV.replace("\n", "\r\n").encode("utf-8")
    assert_valid(check({COVERAGE: data}))


def test_bom_and_crlf_keep_line_numbers_and_clean_values(check):
    coverage = replace_line(COVERAGE_CSV, 3, ROW.format(covered="12a", eligible=12))
    coverage = replace_line(coverage, 5, "2024-04,63.10.01.2005,pekerja_rentan,10,40,bps")
    data = b"\xef\xbb\xbf" + coverage.replace("\n", "\r\n").encode("utf-8")
    stderr = assert_fails(check({COVERAGE: data}),
                          f'{COVERAGE}:3: covered "12a" is not a whole number',
                          f'{COVERAGE}:5: source "bps" is not an id in sources.yaml')
    assert "\r" not in stderr


def test_quoted_fields_give_line_numbers_where_rows_start(check):
    """A quoted field spanning two lines shifts every later row down by one physical line."""
    coverage = replace_line(COVERAGE_CSV, 2, '2024-04,63.10.01.1007,perangkat_desa,5,"10\n",src')
    last = line_count(coverage)
    coverage = replace_line(coverage, last, '2025-04,63.10,penerima_upah,"1x",,src')
    stderr = assert_fails(check({COVERAGE: coverage}), f'{COVERAGE}:{last}: covered "1x" is not a whole number')
    assert last == line_count(COVERAGE_CSV) + 1
    assert len(problem_lines(stderr, COVERAGE)) == 1


def test_many_errors_are_reported_in_one_run(check):
    coverage = replace_line(COVERAGE_CSV, 2, "2024-13,63.10.01.1007,perangkat_desa,5,10,src")
    coverage = replace_line(coverage, 4, "2024-04,63.10.02.1001,perangkat_desa,4x,8,src")
    coverage = replace_line(coverage, 7, "2025-04,63.10.01.2005,perangkat_desa,9,12,bps")
    coverage = replace_line(coverage, 8, "2025-04,63.10.02.1001,perangkat_desa,8")
    regions = REGIONS_CSV + "63.10.01.2009,,desa,63.10.01,desa\n"
    assert_fails(check({COVERAGE: coverage, REGIONS: regions}),
                 f'{COVERAGE}:2: period "2024-13"',
                 f'{COVERAGE}:4: covered "4x" is not a whole number',
                 f'{COVERAGE}:7: source "bps" is not an id',
                 f"{COVERAGE}:8: row has 4 fields",
                 f"{REGIONS}:{line_count(REGIONS_CSV) + 1}: name is empty",
                 "sitegen: 5 error(s); nothing was written")


def test_many_errors_in_one_file_all_reported(check):
    coverage = replace_line(COVERAGE_CSV, 2, "2024-13,63.10.01.1007,perangkat_desa,5,10,src")
    coverage = replace_line(coverage, 4, "2024-04,63.10.02.1001,perangkat_desa,4x,8,src")
    coverage = replace_line(coverage, 7, "2025-04,63.10.01.2005,perangkat_desa,13,12,src")
    stderr = assert_fails(check({COVERAGE: coverage}),
                          f'{COVERAGE}:2: period "2024-13"',
                          f'{COVERAGE}:4: covered "4x" is not a whole number',
                          f"{COVERAGE}:7: covered 13 is more than eligible 12")
    assert len(problem_lines(stderr, COVERAGE)) == 3
    assert "sitegen: 3 error(s); nothing was written" in stderr


def months(count: int) -> list[str]:
    return [f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in range(count)]


@pytest.mark.parametrize("row, message, rule", [
    ("{period},63.10.01.2005,pekerja_rentan,x,40,src", 'covered "x" is not a whole number', "covered not a whole number"),
    ("{period},63.10.01.2005,pekerja_rentan,1,40", "row has 5 fields", "wrong number of fields"),
], ids=["fast-reader", "exact-reader"])
def test_more_than_50_rows_with_one_problem_are_capped(check, row, message, rule):
    bad_rows = [row.format(period=p) for p in months(60)]
    coverage = COVERAGE_CSV + "\n".join(bad_rows) + "\n"
    first_bad = line_count(COVERAGE_CSV) + 1
    stderr = assert_fails(check({COVERAGE: coverage}),
                          f"{COVERAGE}:{first_bad}: {message}",
                          f"{COVERAGE}:{first_bad + 49}: {message}",
                          f"{COVERAGE}: ... and 10 more rows with the same problem ({rule})",
                          "sitegen: 60 error(s); nothing was written")
    reported = problem_lines(stderr, COVERAGE)
    assert len([line for line in reported if message in line]) == 50
    assert f"{COVERAGE}:{first_bad + 50}:" not in stderr


# --- regions.csv ----------------------------------------------------------------------

NEW_REGION_LINE = line_count(REGIONS_CSV) + 1


@pytest.mark.parametrize("row, message", [
    pytest.param("63.10.03,Kusan Hulu,kelurahan_x,63.10,",
                 "level 'kelurahan_x' must be one of nasional, provinsi, kabupaten, kecamatan, desa", id="unknown-level"),
    pytest.param("63.10.3,Kusan Hulu,kecamatan,63.10,",
                 "code '63.10.3' is not a kecamatan code (e.g. 63.10.01)", id="code-not-of-its-level"),
    pytest.param("63.10.01.20090,Desa Baru,desa,63.10.01,desa",
                 "code '63.10.01.20090' is not a desa code", id="desa-code-too-long"),
    pytest.param("63.10.02,Kusan Hilir Lagi,kecamatan,63.10,",
                 "code '63.10.02' is given twice (first on line 6)", id="duplicate-code"),
    pytest.param("63.10.09.2001,Desa Baru,desa,63.10.09,desa",
                 "parent_code '63.10.09' of 63.10.09.2001 is not in this file", id="parent-missing"),
    pytest.param("63.10.01.2009,Desa Baru,desa,63.10,desa",
                 "parent_code '63.10' is a kabupaten; a desa belongs to a kecamatan", id="parent-wrong-level"),
    pytest.param("63.10.01.2009,Desa Baru,desa,63.10.01,village",
                 "kind 'village' must be one of desa|desa_adat|kelurahan for a desa", id="bad-desa-kind"),
    pytest.param("63.10.01.2009,Desa Baru,desa,63.10.01,",
                 "kind '' must be one of desa|desa_adat|kelurahan for a desa", id="missing-desa-kind"),
    pytest.param("63.10.03,Kusan Hulu,kecamatan,63.10,desa",
                 "kind 'desa' must be empty for a kecamatan", id="kind-on-a-kecamatan"),
    pytest.param("63.10.01.2009,  ,desa,63.10.01,desa", "name is empty", id="empty-name"),
])
def test_region_rule(check, row, message):
    stderr = assert_fails(check({REGIONS: REGIONS_CSV + row + "\n"}), f"{REGIONS}:{NEW_REGION_LINE}: {message}")
    assert len(problem_lines(stderr, REGIONS)) == 1


def test_root_region_missing_from_regions_csv(check):
    assert REGIONS_CSV.splitlines()[1].startswith("63.10,")
    assert_fails(check({REGIONS: remove_line(REGIONS_CSV, 2)}),
                 f"{REGIONS}: the root region '63.10' from site.yaml is not in this file")


def test_root_region_of_site_yaml_not_in_regions_csv(check):
    site = replace_once(SITE_YAML, 'root_region: "63.10"', 'root_region: "63.11"')
    assert_fails(check({SITE: site}), f"{REGIONS}: the root region '63.11' from site.yaml is not in this file")


# --- segments.yaml --------------------------------------------------------------------

def test_segment_duplicate_id_names_the_first_line(check):
    duplicate = ("  - id: perangkat_desa\n"
                 "    name: {id: Lagi, en: Again}\n"
                 "    description: {id: Lagi., en: Again.}\n"
                 "    group: ekosistem_desa\n"
                 "    programs: [JKK]\n")
    line = line_count(SEGMENTS_YAML) + 1
    assert_fails(check({SEGMENTS: SEGMENTS_YAML + duplicate}),
                 f"{SEGMENTS}:{line}: id 'perangkat_desa' is given twice (first on line 2)")


def test_segment_bad_group(check):
    segments = replace_once(SEGMENTS_YAML, "group: formal\n", "group: formal_sector\n")
    assert_fails(check({SEGMENTS: segments}),
                 f"{SEGMENTS}:15: group 'formal_sector' must be one of ekosistem_desa, pekerja_rentan, formal, informal")


@pytest.mark.parametrize("programs", ["[JKK, BPJS]", "[]", "JKK"])
def test_segment_bad_programs(check, programs):
    segments = replace_once(SEGMENTS_YAML, "programs: [JKK, JKM, JHT, JP, JKP]", f"programs: {programs}")
    assert_fails(check({SEGMENTS: segments}), f"{SEGMENTS}:16: programs ", "must be a list drawn from JKK, JKM, JHT, JP, JKP")


def test_segments_yaml_syntax_error_has_its_line(check):
    segments = replace_once(SEGMENTS_YAML, "    group: formal\n", "    group: [formal\n")
    assert_fails(check({SEGMENTS: segments}), f"{SEGMENTS}:16: invalid YAML")


def test_python_tag_is_an_error_and_runs_nothing(check, tmp_path):
    marker = tmp_path / "tag-was-executed"
    segments = SEGMENTS_YAML + f"  - !!python/object/apply:os.mkdir [{str(marker)!r}]\n"
    result = check({SEGMENTS: segments})
    assert_fails(result, f"{SEGMENTS}:{line_count(SEGMENTS_YAML) + 1}: invalid YAML",
                 "python/object/apply:os.mkdir")
    assert "Traceback" not in result.output
    assert not marker.exists()


# --- sources.yaml ---------------------------------------------------------------------

def test_source_duplicate_id_names_the_first_line(check):
    duplicate = "  - id: src\n    publisher: Other\n    title: Other data\n    url: https://example.com/\n"
    assert_fails(check({SOURCES: SOURCES_YAML + duplicate}),
                 f"{SOURCES}:{line_count(SOURCES_YAML) + 1}: id 'src' is given twice (first on line 2)")


@pytest.mark.parametrize("url", ["ftp://example.org/", "example.org", "https://exa mple.org/"])
def test_source_bad_url(check, url):
    sources = replace_once(SOURCES_YAML, "url: https://example.org/", f"url: {url}")
    assert_fails(check({SOURCES: sources}), f"{SOURCES}:6: url {url!r} is not an http(s) URL")


# --- site.yaml ------------------------------------------------------------------------

@pytest.mark.parametrize("key, line", [("title", 1), ("base_url", 2), ("root_region", 3), ("as_of", 4), ("target", 5)])
def test_site_missing_required_setting(check, key, line):
    site = remove_line(SITE_YAML, line)
    assert SITE_YAML.splitlines()[line - 1].startswith(key + ":")
    assert_fails(check({SITE: site}), f"{SITE}:1: missing required setting {key!r}")


def test_site_as_of_not_a_date(check):
    site = replace_once(SITE_YAML, "as_of: 2025-04-30", "as_of: soon")
    assert_fails(check({SITE: site}), f"{SITE}:4: as_of 'soon' is not a date (YYYY-MM-DD)")


@pytest.mark.parametrize("path, files, expected", [
    (SITE, {SITE: replace_once(SITE_YAML, "as_of: 2025-04-30", "as_of: 2025-02-30")}, f"{SITE}:4: "),
    (SOURCES, {SOURCES: replace_once(SOURCES_YAML, "date: 2025-04-30", "date: 2025-13-01")}, f"{SOURCES}:5: "),
], ids=["site-as_of", "source-date"])
def test_impossible_calendar_date_is_an_error_not_a_traceback(check, path, files, expected):
    assert_fails(check(files), expected)


@pytest.mark.parametrize("value, shown", [("0", "0"), ("101", "101"), ("-5", "-5"), ("lots", "'lots'"), (".nan", "nan")])
def test_site_target_coverage_pct_out_of_range(check, value, shown):
    site = replace_once(SITE_YAML, "coverage_pct: 99.5", f"coverage_pct: {value}")
    assert_fails(check({SITE: site}),
                 f"{SITE}:5: target.coverage_pct {shown} must be a number above 0 and at most 100")


def test_site_target_coverage_pct_of_100_is_allowed(check):
    assert_valid(check({SITE: replace_once(SITE_YAML, "coverage_pct: 99.5", "coverage_pct: 100")}))


def test_site_target_source_not_in_sources_yaml_names_its_line(check):
    site = replace_once(SITE_YAML, "source: src", "source: nosuch")
    assert_fails(check({SITE: site}), f"{SITE}:5: target.source 'nosuch' is not an id in sources.yaml")


def test_site_yaml_error_does_not_cause_regions_errors(check):
    """A broken site.yaml leaves the root region unknown; the root's parent must not then be reported missing."""
    site = replace_once(SITE_YAML, "as_of: 2025-04-30", "as_of: soon")
    stderr = assert_fails(check({SITE: site}), f"{SITE}:4: as_of 'soon' is not a date")
    assert problem_lines(stderr, REGIONS) == []


def test_site_unknown_key_is_a_warning(check):
    result = check({SITE: SITE_YAML + "colour: red\n"})
    assert_valid(result)
    assert f"warning: {SITE}:6: unknown key 'colour' (a typo?)" in result.stderr


def test_site_unknown_key_is_an_error_under_strict(check):
    result = check({SITE: SITE_YAML + "colour: red\n"}, "--strict")
    assert_fails(result, f"{SITE}:6: unknown key 'colour' (a typo?) (an error under --strict)")


def test_site_unknown_target_key_is_a_warning(check):
    site = replace_once(SITE_YAML, "source: src}", "source: src, yaer: 2030}")
    result = check({SITE: site})
    assert_valid(result)
    assert f"warning: {SITE}:5: unknown key 'target.yaer' (a typo?)" in result.stderr


# --- nothing is written on failure ------------------------------------------------------

def test_failed_build_leaves_the_previous_site_untouched(make_site, run_cli):
    root = make_site()
    first = run_cli("build")
    assert first.exit_code == 0, first.output
    before = snapshot(root / "_site")
    assert "index.html" in before and ".sitegen-site" in before

    (root / COVERAGE).write_text(replace_line(COVERAGE_CSV, 3, ROW.format(covered="12a", eligible=12)),
                                 encoding="utf-8", newline="")
    second = run_cli("build")
    assert_fails(second, f'{COVERAGE}:3: covered "12a" is not a whole number')
    assert snapshot(root / "_site") == before
    assert [p.name for p in root.glob("._site.sitegen-*")] == ["._site.sitegen-lock"]  # no staging left


@pytest.mark.parametrize("files", [{}, {COVERAGE: replace_line(COVERAGE_CSV, 2, "bad,row")}], ids=["valid", "invalid"])
def test_check_writes_nothing(make_site, run_cli, files):
    root = make_site(files)
    before = snapshot(root)
    result = run_cli("check")
    assert result.exit_code == (0 if not files else 1), result.output
    assert not (root / "_site").exists()
    assert snapshot(root) == before
