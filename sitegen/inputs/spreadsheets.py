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

from ..errors import Problems, display_path

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
        problems.error(path, None, f"cannot be read as an Excel workbook (.xlsx): {exc}")
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
                    problems.error(shown, number, f"column {get_column_letter(column + 1)} ({name or '?'}): "
                                                  f"the formula {source} has no saved value; open the file in "
                                                  f"Excel and save it again")
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
