"""The village fund (Alokasi Dana Desa): `budgets.csv`, optional, checked against the region tree
and rolled up, so that a page can say what protecting everyone left would cost as a share of it."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import Problems, line_ref, tr, tr_noop
from ..inputs.data import LEVELS
from ..inputs.files import csv_records, decode_utf8, read_bytes
from ..inputs.spreadsheets import column_labels, workbook_as_csv
from .cube import roll_up

BUDGET_COLUMNS = ("year", "region_code", "add_amount")
WORKBOOK = "budgets.xlsx"


@dataclass(frozen=True)
class Budgets:
    """Each village's ADD for one year (the latest in budgets.csv), rolled up: a parent's amount
    is the sum over its villages, and `complete` says whether every village below has one."""

    year: int
    amount: np.ndarray         # [region] Rp
    complete: np.ndarray       # [region] bool

    def share_pct(self, r: int, cost: int | None) -> float | None:
        if cost is None or not self.complete[r] or self.amount[r] <= 0:
            return None
        return cost * 100.0 / int(self.amount[r])


def load_budgets(data_dir: Path, tree, problems: Problems) -> Budgets | None:
    """`budgets.csv` (year, region_code, add_amount), or the same columns as `budgets.xlsx` (its
    first sheet, as an office keeps it in Excel), when the site has one."""
    path = data_dir / "budgets.csv"
    in_workbook = (data_dir / WORKBOOK).exists()
    if in_workbook:
        if path.exists():
            problems.error(data_dir / WORKBOOK, None, tr("budgets.csv is there too: keep one of the two"))
            return None
        converted = workbook_as_csv(data_dir / WORKBOOK, problems)
        if converted is None:
            return None
        data, path = converted  # problems name the sheet and the row: `data/budgets.xlsx [ADD] baris 4: ...`
    elif not path.exists():
        return None
    else:
        data = read_bytes(path, problems)
    text = decode_utf8(path, data, problems) if data is not None else None
    if text is None:
        return None
    # In a workbook, a problem also names the column as Excel shows it: `kolom C (add_amount): ...`.
    label = column_labels(next(csv.reader([text.partition("\n")[0]]), [])) if in_workbook else None

    def at(column: str, message: str) -> str:
        return f"{label(column)}: {message}" if label else message

    rows, seen = [], {}
    for line, row in csv_records(path, text, BUDGET_COLUMNS, problems):
        year, code, amount = (row[c].strip() for c in BUDGET_COLUMNS)
        r = tree.index.get(code)
        if not (len(year) == 4 and year.isascii() and year.isdigit() and 1900 <= int(year) <= 2099):
            problems.error(path, line, at("year", tr('year "{year}" is not a year such as 2025', year=year)),
                           rule=tr_noop("bad year"))
        elif r is None:
            problems.error(path, line, at("region_code", tr('{field} "{value}" is not in regions.csv',
                                                            field="region_code", value=code)),
                           rule=tr_noop("unknown region_code"))
        elif tree.regions[r].level != "desa":
            problems.error(path, line, at("region_code", tr("region_code {code} is a {level}; Alokasi Dana Desa is "
                                                            "given per desa/kelurahan", code=code,
                                                            level=tree.regions[r].level)),
                           rule=tr_noop("not a desa"))
        elif not (amount.isascii() and amount.isdigit()):
            problems.error(path, line, at("add_amount", tr('add_amount "{amount}" is not a whole number of rupiah',
                                                           amount=amount)),
                           rule=tr_noop("bad amount"))
        elif (year, code) in seen:
            problems.error(path, line, tr("year {year} of {code} is given twice (first on {first_line})",
                                          year=year, code=code, first_line=line_ref(path, seen[(year, code)])),
                           rule=tr_noop("duplicate row"))
        else:
            seen[(year, code)] = line
            rows.append((int(year), r, int(amount)))
    if not rows:
        return None
    year = max(y for y, _, _ in rows)
    amount = np.zeros(len(tree.regions), dtype=np.int64)
    with_budget = np.zeros(len(tree.regions), dtype=np.int64)
    villages = (tree.depth == LEVELS.index("desa")).astype(np.int64)
    for y, r, value in rows:
        if y == year:
            amount[r], with_budget[r] = value, 1
    roll_up(tree, amount, with_budget, villages)
    return Budgets(year, amount, with_budget == villages)
