"""Values written into the CSV and XLSX files people open in Excel, written so that Excel never runs them.

A text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel (and LibreOffice, Google
Sheets) as a formula: a plan named `=HYPERLINK("http://evil.example/…")` would become a live link in a bureau's
export (CSV injection, OWASP). Every export goes through these functions:

- CSV: such a text gets a leading single quote `'` (OWASP's advice); numbers, dates and empty cells are left as
  they are, so a negative number in a numeric column stays a number.
- XLSX: every text is stored as text (cell type `s`, never a formula), and one that starts like a formula also
  carries Excel's own quote prefix (what typing a leading `'` in Excel sets), so it stays text when edited; its
  value is unchanged, so a workbook read back gives what was written. Control characters XLSX cannot hold are
  dropped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def starts_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_value(value: object) -> object:
    """A CSV field: empty for None, a quote before text that starts like a formula, anything else as it is."""
    if value is None:
        return ""
    return "'" + value if starts_like_formula(value) else value  # type: ignore[operator]


def csv_bytes(rows: Iterable[Iterable[object]]) -> bytes:
    """Rows as CSV in UTF-8 with a BOM (so Excel reads Chinese right), every field through `csv_value`."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([csv_value(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_text(cell: Cell) -> Cell:
    """`cell` with a text value stored as text, quote-prefixed if it starts like a formula."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if starts_like_formula(cell.value):
            cell.quotePrefix = True
    return cell


def xlsx_cell(sheet: Any, value: object) -> Cell:
    """A cell of `sheet` (ordinary or write-only) to append: `value` without the control characters XLSX cannot
    hold, text kept as text."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return as_text(WriteOnlyCell(sheet, value))


def xlsx_row(sheet: Any, values: Iterable[object]) -> list[Cell]:
    """A row for `sheet.append`, every value through `xlsx_cell`."""
    return [xlsx_cell(sheet, value) for value in values]
