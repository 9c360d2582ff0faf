"""What Excel saves, turned into the CSV that sitegen reads.

Excel on a laptop set to Indonesian (or most of continental Europe) saves "CSV" with `;` between
columns, since the comma is its decimal separator, and writes numbers the way it shows them: `1.200`
is one thousand two hundred, `12,5` is twelve and a half. sitegen's own CSV separates columns with
commas and writes whole numbers without separators. A `;` file is rewritten line for line into that
form before it is read, so every check, line number and published byte is the same as for the comma
file Excel would have saved in an English locale.

Only columns of whole numbers are rewritten, and only values that can mean one number: `1.200` and
`1.200,00` become `1200`; `12,5` or `1.2` stay as they are and are reported by the row checks,
never guessed into something else.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from ..errors import Problems, display_path, tr

WHOLE_NUMBER_COLUMNS = frozenset({"covered", "eligible", "add_amount"})

# 1200, 1.200, 1.200.000, each maybe with a zero fraction (1.200,00) as a cell formatted with decimals shows it
GROUPED_WHOLE = re.compile(r"-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,0+)?")


def is_semicolon_csv(header_line: str) -> bool:
    """A header with `;` between its columns and no comma: what Excel saves in a comma-decimal locale."""
    return ";" in header_line and "," not in header_line


def first_line(text: str) -> str:
    end = text.find("\n")
    return text if end < 0 else text[:end]


class UnreadableCsv(ValueError):
    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line


def semicolons_to_commas(text: str) -> str:
    """A `;`-separated CSV text as sitegen's comma CSV, with the same lines (a quoted field that spans
    lines still does) and LF line ends. Raises UnreadableCsv (with its line) where csv cannot read it."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        return rewritten(reader)
    except csv.Error as exc:
        raise UnreadableCsv(reader.line_num, str(exc)) from None


def rewritten(reader) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = next(reader, None)
    if header is None:
        return ""
    writer.writerow(header)
    whole = [i for i, name in enumerate(header) if name.strip() in WHOLE_NUMBER_COLUMNS]
    for row in reader:
        if not row:
            out.write("\n")  # a blank line stays blank (and is skipped by the readers, as before)
            continue
        for i in whole:
            if i < len(row):
                row[i] = plain_whole_number(row[i])
        writer.writerow(row)
    return out.getvalue()


def plain_whole_number(value: str) -> str:
    """`1.200` or `1.200,00` as `1200`; anything else unchanged (for the checks to report as typed)."""
    stripped = value.strip()
    if not GROUPED_WHOLE.fullmatch(stripped):
        return value
    return stripped.split(",", 1)[0].replace(".", "")



# --- workbooks (.xlsx) ----------------------------------------------------------------------

def column_label(index: int, name: str) -> str:
    """How an editor finds a column in Excel: its letter, and the name in its header cell."""
    return tr("column {letter} ({name})", letter=get_column_letter(index + 1), name=name)


def column_labels(header: list[str]):
    """A function naming each column of this header as `column_label` does."""
    labels = {name: column_label(index, name) for index, name in enumerate(header)}
    return lambda name: labels.get(name, name)


def workbook_as_csv(path: Path, problems: Problems) -> tuple[bytes, str] | None:
    """The first sheet of an Excel workbook as sitegen's comma CSV, row N on line N (so every problem
    names the row as Excel shows it), and the name to report problems under: `file [sheet]`.

    Cells hold what Excel saved: numbers (a whole number typed as 12 is read as 12, as 12.0 too),
    text, dates (a `period` typed as a date is its month, when it is the first of the month) and
    the values formulas had when the file was last saved. A formula without a saved value (a file
    written by a program, not by Excel) is an error, never an empty cell or a zero."""
    import openpyxl  # lazy: only for sites whose data is a workbook

    try:
        values = openpyxl.load_workbook(path, read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a file that is no workbook
        problems.error(path, None, tr("cannot be read as an Excel workbook (.xlsx): {reason}", reason=exc))
        return None
    try:
        sheet, formula_sheet = values.worksheets[0], formulas.worksheets[0]
        shown = f"{display_path(path)} [{sheet.title}]"
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        header: list[str] = []
        for number, (row, typed) in enumerate(zip(sheet.iter_rows(values_only=True),
                                                 formula_sheet.iter_rows(values_only=True)), start=1):
            cells = []
            for column, (value, source) in enumerate(zip(row, typed)):
                name = header[column] if column < len(header) else ""
                if value is None and isinstance(source, str) and source.startswith("="):
                    problems.error(shown, number, tr("{field}: the formula {formula} has no saved value; open the "
                                                     "file in Excel and save it again", formula=source,
                                                     field=column_label(column, name or "?")))
                cells.append(cell_text(value, name))
            while cells and cells[-1] == "":
                cells.pop()
            if number == 1:
                header = [c.strip() for c in cells]
            if cells:
                writer.writerow(cells)
            else:
                out.write("\n")
        return out.getvalue().encode("utf-8"), shown
    finally:
        values.close()
        formulas.close()


def cell_text(value, column: str) -> str:
    """A cell's value as the text a CSV export of it holds."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()
    if isinstance(value, dt.date) and column == "period" and value.day == 1:
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def get_column_letter(number: int) -> str:
    """1 → A, 27 → AA: the column as Excel names it."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- the data-entry template ------------------------------------------------------------------

TEMPLATE_COLUMNS = ("period", "region_code", "nama_wilayah", "segment", "covered", "eligible", "source")
TEMPLATE_HELP = (
    ("period", "Bulan data, TAHUN-BULAN, misalnya 2025-04 (boleh juga tanggal 1 bulan itu)."),
    ("region_code", "Kode wilayah Kemendagri. Sudah terisi: jangan diubah."),
    ("nama_wilayah", "Nama wilayah, hanya untuk memudahkan pengisian (tidak dibaca sitegen)."),
    ("segment", "Kelompok pekerja: pilih dari daftar (lihat lembar Daftar)."),
    ("covered", "Jumlah pekerja yang sudah terlindungi BPJS Ketenagakerjaan: bilangan bulat, misalnya 12."),
    ("eligible", "Jumlah seluruh pekerja kelompok ini di wilayah itu (boleh kosong bila tidak diketahui); "
                 "tidak boleh lebih kecil dari covered."),
    ("source", "Sumber data: pilih dari daftar (id di sources.yaml)."),
)


def write_data_template(path: Path, regions, segments, sources, period: str, root_code: str,
                        village_groups: tuple[str, ...]) -> int:
    """An .xlsx to fill in for one month: a row per desa/kelurahan and segment reported per desa, and
    a row per other segment for the root region; segment and source chosen from drop-down lists; a
    sheet explaining each column. Saved as data/coverage.xlsx (or exported to CSV) it builds as it is.
    Returns the number of rows to fill in."""
    import openpyxl  # lazy: only for `sitegen new data-template`
    from openpyxl.styles import Font  # lazy: as openpyxl
    from openpyxl.worksheet.datavalidation import DataValidation  # lazy: as openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cakupan"
    sheet.append(list(TEMPLATE_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    village = [s for s in segments if s.group in village_groups]
    other = [s for s in segments if s.group not in village_groups]
    names = {r.code: r.name for r in regions}
    rows = [(r.code, s.id) for r in regions if r.level == "desa" for s in village]
    rows += [(root_code, s.id) for s in other]
    default_source = sources[0].id if len(sources) == 1 else None
    for code, segment in rows:
        sheet.append([period, code, names.get(code, ""), segment, None, None, default_source])
    lists = book.create_sheet("Daftar")
    lists.append(["segment", "source"])
    for i in range(max(len(segments), len(sources))):
        lists.append([segments[i].id if i < len(segments) else None, sources[i].id if i < len(sources) else None])
    last = len(rows) + 1
    for column, listed, count in (("segment", "A", len(segments)), ("source", "B", len(sources))):
        target = get_column_letter(TEMPLATE_COLUMNS.index(column) + 1)
        choice = DataValidation(type="list", formula1=f"=Daftar!${listed}$2:${listed}${count + 1}",
                                allow_blank=False, showErrorMessage=True, errorTitle="Pilih dari daftar",
                                error=f"Isi {column} dengan salah satu pilihan di lembar Daftar.")
        sheet.add_data_validation(choice)
        choice.add(f"{target}2:{target}{last}")
    numbers = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                             showErrorMessage=True, errorTitle="Bilangan bulat",
                             error="Isi dengan bilangan bulat 0 atau lebih.")
    sheet.add_data_validation(numbers)
    numbers.add(f"{get_column_letter(TEMPLATE_COLUMNS.index('covered') + 1)}2:"
                f"{get_column_letter(TEMPLATE_COLUMNS.index('eligible') + 1)}{last}")
    for letter, width in zip("ABCDEFG", (10, 16, 28, 18, 10, 10, 26)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    guide = book.create_sheet("Petunjuk")
    guide.append(["kolom", "arti"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for row in TEMPLATE_HELP:
        guide.append(list(row))
    guide.append([])
    guide.append(["", "Simpan sebagai data/coverage.xlsx (lembar Cakupan harus lembar pertama), atau sebagai "
                      "CSV UTF-8 lalu tambahkan barisnya ke data/coverage.csv. Jalankan sitegen check: setiap "
                      "masalah disebut dengan lembar dan barisnya."])
    guide.column_dimensions["A"].width = 14
    guide.column_dimensions["B"].width = 100
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return len(rows)
