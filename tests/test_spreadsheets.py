"""What Excel saves in an Indonesian locale: `;` between columns, `1.200` for one thousand two
hundred, CRLF line ends. Read as the comma CSV it stands for, with the same lines."""

from __future__ import annotations

import re
from pathlib import Path

import subprocess
import sys

import pytest

from conftest import COVERAGE_CSV, DEFAULT_FILES, REGIONS_CSV, write_site
from sitegen.inputs.spreadsheets import plain_whole_number, semicolons_to_commas
from conftest import copy_bundled_inputs
from test_opendata import RATES_YAML
from test_portable import differing_files

COVERAGE = "data/coverage.csv"


def as_indonesian_excel(text: str) -> bytes:
    """A comma CSV as Excel with an Indonesian locale saves it: `;`, grouped thousands, CRLF."""
    lines = text.splitlines()
    header = lines[0].split(",")
    numbers = [i for i, name in enumerate(header) if name in ("covered", "eligible", "add_amount")]
    out = [";".join(header)]
    for line in lines[1:]:
        cells = line.split(",")
        for i in numbers:
            if cells[i]:
                cells[i] = f"{int(cells[i]):,}".replace(",", ".")
        out.append(";".join(cells))
    return ("\r\n".join(out) + "\r\n").encode("utf-8")


@pytest.mark.parametrize(("typed", "read"), [
    ("1200", "1200"), ("1.200", "1200"), ("1.200.000", "1200000"), ("12,00", "12"), ("1.200,0", "1200"),
    (" 7 ", "7"), ("", ""),
    # never guessed: reported by the row checks as typed
    ("1.2", "1.2"), ("12,5", "12,5"), ("1.20", "1.20"), ("12.000.5", "12.000.5"), ("1,200", "1,200"), ("12a", "12a"),
])
def test_only_values_that_mean_one_whole_number_are_rewritten(typed, read):
    assert plain_whole_number(typed) == read


def test_lines_stay_where_they_were():
    text = 'name;covered;note\r\n"A; B";1.200;"two\r\nlines"\r\n\r\nC;3;\r\n'
    assert semicolons_to_commas(text) == 'name,covered,note\nA; B,1200,"two\r\nlines"\n\nC,3,\n'
    assert semicolons_to_commas(text).count("\n") == text.count("\n")


def test_a_comma_in_a_name_is_quoted():
    assert semicolons_to_commas("code;name\n1;Desa A, Utara\n") == 'code,name\n1,"Desa A, Utara"\n'


def test_the_bundled_site_from_indonesian_excel_csv_is_byte_identical(tmp_path):
    comma, semicolon = copy_bundled_inputs(tmp_path / "comma"), copy_bundled_inputs(tmp_path / "semicolon")
    for name in ("coverage.csv", "regions.csv"):
        path = semicolon / "data" / name
        path.write_bytes(as_indonesian_excel(path.read_text(encoding="utf-8")))
    assert b";3.600;" in (semicolon / "data" / "coverage.csv").read_bytes()  # grouped thousands are in the test
    for site in (comma, semicolon):
        done = subprocess.run([sys.executable, "-m", "sitegen.cli", "build"], cwd=site, capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr
    assert differing_files(comma / "_site", semicolon / "_site") == []


@pytest.mark.parametrize("fastpath", ["1", "0"])
def test_problems_name_the_line_and_the_value_as_typed(make_site, run_cli, monkeypatch, fastpath):
    monkeypatch.setenv("SITEGEN_FASTPATH", fastpath)
    lines = as_indonesian_excel(COVERAGE_CSV).decode().split("\r\n")
    lines[2] = lines[2].replace(";6;", ";6,5;")      # line 3: a decimal comma in a whole-number column
    lines[5] = lines[5].replace(";8;", ";8.0;")      # line 6: a decimal point
    make_site({COVERAGE: "\r\n".join(lines)})
    result = run_cli("check")
    assert result.exit_code == 1
    assert f'{COVERAGE}:3: covered "6,5" is not a whole number' in result.stderr
    assert f'{COVERAGE}:6: covered "8.0" is not a whole number' in result.stderr


def test_grouped_thousands_are_read_as_thousands(make_site, run_cli):
    coverage = COVERAGE_CSV.replace("2025-04,63.10,penerima_upah,1000,,src", "2025-04,63.10,penerima_upah,1.000,,src")
    root = make_site({COVERAGE: coverage.replace(",", ";"), "data/regions.csv": REGIONS_CSV.replace(",", ";")})
    result = run_cli("build")
    assert result.exit_code == 0, result.output
    published = (root / "_site" / "unduh" / "cakupan.csv").read_text(encoding="utf-8")
    assert published.startswith("period,region_code,segment,covered,eligible,source\n")
    assert "2025-04,63.10,penerima_upah,1000,,src\n" in published


@pytest.mark.parametrize(("separator", "fails"), [(";", False), (",", True)])
def test_budgets_from_indonesian_excel(make_site, run_cli, separator, fails):
    budgets = separator.join(["year", "region_code", "add_amount"]) + "\r\n"
    budgets += separator.join(["2025", "63.10.01.2005", "1.250.000.000"]) + "\r\n"
    make_site({"data/budgets.csv": budgets})
    result = run_cli("check")
    assert (result.exit_code == 1) == fails, result.output


@pytest.mark.parametrize("fastpath", ["1", "0"])
def test_an_unreadable_semicolon_file_is_reported_with_its_line(make_site, run_cli, monkeypatch, fastpath):
    monkeypatch.setenv("SITEGEN_FASTPATH", fastpath)
    lines = COVERAGE_CSV.replace(",", ";").splitlines()
    lines[2] = lines[2].replace(";6;", ';"6;')  # line 3: a quote that is never closed
    filler = ["2024-04;63.10.01.1007;pekerja_rentan;1;2;src"] * 4000  # more than csv's field limit after it
    make_site({COVERAGE: "\n".join(lines + filler) + "\n"})
    result = run_cli("check")
    assert result.exit_code == 1
    assert f"{COVERAGE}:" in result.stderr and "unreadable CSV" in result.stderr, result.stderr


# --- workbooks ------------------------------------------------------------------------------

def write_workbook(path, csv_text: str, sheet: str = "Cakupan", dates: bool = True) -> None:
    """coverage.csv as an editor's workbook: numbers as numbers, every other period as a date."""
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = sheet
    lines = csv_text.splitlines()
    book.active.append(lines[0].split(","))
    for i, line in enumerate(lines[1:]):
        cells = line.split(",")
        period = cells[0]
        if dates and i % 2:
            period = dt.datetime(int(period[:4]), int(period[5:7]), 1)
        book.active.append([period, cells[1], cells[2], int(cells[3]), int(cells[4]) if cells[4] else None, cells[5]])
    book.save(path)


def test_the_bundled_site_from_a_workbook_is_byte_identical(tmp_path):
    from sitegen.inputs.coverage import WORKBOOK

    comma, workbook = copy_bundled_inputs(tmp_path / "comma"), copy_bundled_inputs(tmp_path / "workbook")
    coverage = workbook / "data" / "coverage.csv"
    write_workbook(workbook / "data" / WORKBOOK, coverage.read_text(encoding="utf-8"))
    coverage.unlink()
    for site in (comma, workbook):
        done = subprocess.run([sys.executable, "-m", "sitegen.cli", "build"], cwd=site, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    assert differing_files(comma / "_site", workbook / "_site") == []


def test_problems_in_a_workbook_name_the_sheet_and_the_row(make_site, run_cli):
    import openpyxl

    root = make_site({COVERAGE: None})
    path = root / "data" / "coverage.xlsx"
    write_workbook(path, COVERAGE_CSV)
    book = openpyxl.load_workbook(path)
    book.active["D3"] = "6a"                      # row 3: not a whole number
    book.active["D5"] = "=B5*2"                   # row 5: a formula no program has computed
    book.save(path)
    result = run_cli("check")
    assert result.exit_code == 1
    assert 'data/coverage.xlsx [Cakupan] row 3: column D (covered) "6a" is not a whole number' in result.stderr, \
        result.stderr
    assert ("data/coverage.xlsx [Cakupan] row 5: column D (covered): the formula =B5*2 has no saved value; "
            "open the file in Excel and save it again") in result.stderr


def test_problems_in_a_workbook_speak_indonesian_on_an_indonesian_laptop(make_site, monkeypatch):
    import openpyxl

    root = make_site({COVERAGE: None})
    path = root / "data" / "coverage.xlsx"
    write_workbook(path, COVERAGE_CSV)
    book = openpyxl.load_workbook(path)
    book.active["D3"] = "6a"
    book.active["C4"] = "guru"
    book.save(path)
    monkeypatch.delenv("SITEGEN_LANG")
    monkeypatch.setenv("LANG", "id_ID.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    done = subprocess.run([sys.executable, "-m", "sitegen.cli", "check"], cwd=root, capture_output=True, text=True)
    assert done.returncode == 1
    assert 'data/coverage.xlsx [Cakupan] baris 3: kolom D (covered): "6a" bukan bilangan bulat' in done.stderr, \
        done.stderr
    assert 'data/coverage.xlsx [Cakupan] baris 4: kolom C (segment): "guru" bukan id di segments.yaml' in done.stderr
    assert "sitegen: 2 kesalahan; tidak ada yang ditulis" in done.stderr
    english = subprocess.run([sys.executable, "-m", "sitegen.cli", "check", "--lang", "en"], cwd=root,
                             capture_output=True, text=True)
    assert 'data/coverage.xlsx [Cakupan] row 3: column D (covered) "6a" is not a whole number' in english.stderr


def with_saved_value(path: Path, cell: str, formula: str, value: str) -> None:
    """Give a formula the value Excel saves beside it (openpyxl writes formulas without one)."""
    import zipfile

    with zipfile.ZipFile(path) as book:
        members = {name: book.read(name) for name in book.namelist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    written = re.search(rf'<c r="{cell}"[^>]*><f>{re.escape(formula)}</f><v\s*/?>(</v>)?</c>', sheet)
    assert written, sheet[:2000]
    members["xl/worksheets/sheet1.xml"] = sheet.replace(
        written.group(0), f'<c r="{cell}"><f>{formula}</f><v>{value}</v></c>').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, data in members.items():
            book.writestr(name, data)


def test_a_formula_with_its_saved_value_is_read_as_that_value(make_site, run_cli):
    import openpyxl

    root = make_site({COVERAGE: None})
    path = root / "data" / "coverage.xlsx"
    write_workbook(path, COVERAGE_CSV)
    book = openpyxl.load_workbook(path)
    assert book.active["D5"].value == 10  # 2024-04, Segumbang, pekerja_rentan: covered 10
    book.active["D5"] = "=4+6"
    book.save(path)
    with_saved_value(path, "D5", "4+6", "10")
    assert run_cli("check").exit_code == 0
    assert run_cli("build").exit_code == 0
    rows = (root / "_site" / "unduh" / "cakupan.csv").read_text(encoding="utf-8")
    assert "2024-04,63.10.01.2005," in rows and ",pekerja_rentan,10,40," in rows.replace('"', "")


def test_a_workbook_and_a_csv_together_are_refused(make_site, run_cli):
    root = make_site({})
    write_workbook(root / "data" / "coverage.xlsx", COVERAGE_CSV)
    result = run_cli("check")
    assert result.exit_code == 1
    assert "data/coverage.xlsx: coverage.csv is there too: keep one of the two" in result.stderr


def test_the_data_template_filled_in_builds_first_time(make_site, run_cli):
    import openpyxl

    root = make_site({COVERAGE: None})
    result = run_cli("new", "data-template", "--out", "template.xlsx")
    assert result.exit_code == 0, result.output
    assert "template.xlsx (7 rows to fill in)" in result.output  # 3 villages × 2 village segments, 1 for the root
    book = openpyxl.load_workbook(root / "template.xlsx")
    assert book.sheetnames == ["Cakupan", "Daftar", "Petunjuk"]
    sheet = book["Cakupan"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("period", "region_code", "nama_wilayah", "segment", "covered", "eligible", "source")
    assert ("2025-04", "63.10.01.2005", "Segumbang", "perangkat_desa", None, None, "src") in rows
    assert ("2025-04", "63.10", "Kabupaten Tanah Bumbu", "penerima_upah", None, None, "src") in rows
    lists = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation if v.type == "list"}
    assert lists == {"D2:D8": "=Daftar!$A$2:$A$4", "G2:G8": "=Daftar!$B$2:$B$2"}
    for row in sheet.iter_rows(min_row=2):
        row[4].value, row[5].value = 7, 10   # the editor fills in covered and eligible
    book.save(root / "data" / "coverage.xlsx")
    result = run_cli("build")
    assert result.exit_code == 0, result.output
    village = (root / "_site" / "desa" / "63-10-01-2005-segumbang" / "index.html").read_text(encoding="utf-8")
    assert "<dd>14</dd>" in village  # 7 + 7 covered in its two segments


def test_the_data_template_does_not_overwrite_a_file(make_site, run_cli):
    root = make_site({})
    (root / "template.xlsx").write_bytes(b"keep")
    result = run_cli("new", "data-template", "--out", "template.xlsx")
    assert result.exit_code == 1 and (root / "template.xlsx").read_bytes() == b"keep"


BUDGETS_CSV = ("year,region_code,add_amount\n"
               "2024,63.10.01.2005,500000000\n"
               "2025,63.10.01.2005,604800000\n"
               "2025,63.10.01.1007,302400000\n")


def write_budget_workbook(path: Path, csv_text: str) -> None:
    """budgets.csv as an office keeps it in Excel: years and amounts typed as numbers."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "ADD"
    lines = csv_text.splitlines()
    book.active.append(lines[0].split(","))
    for line in lines[1:]:
        year, code, amount = line.split(",")
        book.active.append([int(year), code, int(amount) if amount.isdigit() else amount])
    book.save(path)


def test_budgets_from_a_workbook_build_the_same_site(make_site, tmp_path):
    sites = []
    for name in ("csv", "xlsx"):
        root = write_site(tmp_path / name, {**DEFAULT_FILES, "data/rates.yaml": RATES_YAML,
                                            "data/budgets.csv": BUDGETS_CSV if name == "csv" else None})
        if name == "xlsx":
            write_budget_workbook(root / "data" / "budgets.xlsx", BUDGETS_CSV)
        done = subprocess.run([sys.executable, "-m", "sitegen.cli", "build"], cwd=root, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        sites.append(root / "_site")
    page = (sites[1] / "desa" / "63-10-01-2005-segumbang" / "index.html").read_text(encoding="utf-8")
    assert "Alokasi Dana Desa 2025 (Rp604.800.000)" in page
    assert differing_files(*sites) == []


def test_problems_in_a_budget_workbook_name_the_sheet_the_row_and_the_column(make_site, run_cli):
    root = make_site({})
    write_budget_workbook(root / "data" / "budgets.xlsx", BUDGETS_CSV.replace("604800000", "6048OO000"))
    result = run_cli("check", "--lang", "id")
    assert result.exit_code == 1
    assert ('data/budgets.xlsx [ADD] baris 3: kolom C (add_amount): add_amount "6048OO000" bukan bilangan bulat rupiah'
            in result.output)
    (root / "data" / "budgets.csv").write_text(BUDGETS_CSV, encoding="utf-8")
    result = run_cli("check")
    assert result.exit_code == 1 and "data/budgets.xlsx: budgets.csv is there too: keep one of the two" in result.output


def test_a_workbook_row_given_twice_names_the_first_row(make_site, run_cli):
    root = make_site({COVERAGE: None})
    lines = COVERAGE_CSV.splitlines()
    write_workbook(root / "data" / "coverage.xlsx", "\n".join([*lines, lines[2]]) + "\n", dates=False)
    result = run_cli("check", "--lang", "id")
    assert result.exit_code == 1
    assert ("data/coverage.xlsx [Cakupan] baris 11: baris ganda untuk period 2024-04, region_code 63.10.01.2005, "
            "segment perangkat_desa (pertama kali di baris 3)") in result.output, result.output
