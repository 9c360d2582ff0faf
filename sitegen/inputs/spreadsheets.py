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
import io
import re

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

