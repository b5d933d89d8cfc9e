"""Finding the header row of a clerk's sheet: title and blank rows above it are skipped, the school's own columns
(序号, 民族, 备注, …) and untitled columns are ignored, and each is reported as a warning rather than an error."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.errors import FieldError, InvalidInput
from ledger.registration.sheets.columns import BY_FIELD, COLUMNS, field_of, is_note_column
from ledger.registration.sheets.messages import Lang, detail, message
from ledger.registration.sheets.values import Cell, text

HEADER_SCAN_ROWS = 30
MIN_RECOGNISED = 2
_SHOWN_TITLE = 40


@dataclass(frozen=True, slots=True)
class SheetWarning:
    """Something the import skipped or ignored, for the clerk to know; never a reason to refuse the file."""

    code: str
    message: str
    row: int | None = None
    column: str | None = None


@dataclass(frozen=True, slots=True)
class HeaderColumn:
    field: str  # the internal code (`trainee.id_number`)
    title: str  # the clerk's own header text
    position: int  # 0-based column index in the sheet


@dataclass(frozen=True, slots=True)
class Header:
    row: int  # the sheet row of the header (1-based, as Excel shows it)
    columns: tuple[HeaderColumn, ...]
    width: int  # cells in the header row, including ignored ones
    warnings: tuple[SheetWarning, ...]
    note_position: int | None = None  # the 错误说明 column of an error workbook, if the sheet has one

    def position(self, field: str) -> int | None:
        for column in self.columns:
            if column.field == field:
                return column.position
        return None

    def title(self, field: str) -> str:
        """The clerk's header for a field; for a field without a column, the template's name for it."""
        if field == "assessment":
            field = "assessment.level"
        for column in self.columns:
            if column.field == field:
                return column.title
        known = BY_FIELD.get(field)
        return known.title if known else field


def column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _shown(title: str) -> str:
    return title if len(title) <= _SHOWN_TITLE else title[: _SHOWN_TITLE - 1] + "…"


def find_header(rows: list[list[Cell]], lang: Lang) -> tuple[int, Header]:
    """The index of the header among `rows` (the sheet's first rows) and what it says. The header is the row
    that names the most known columns (at least two) among the first HEADER_SCAN_ROWS."""
    best: tuple[int, int] | None = None
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        recognised = {field_of(text(cell)) for cell in row if text(cell)} - {None}
        if len(recognised) >= MIN_RECOGNISED and (best is None or len(recognised) > best[1]):
            best = (index, len(recognised))
    if best is None:
        if not any(text(cell) for row in rows for cell in row):
            raise InvalidInput(detail("unreadable", lang), errors=[_file_error("empty", lang)])
        raise InvalidInput(detail("unreadable", lang), errors=[_file_error("no_header", lang, rows=HEADER_SCAN_ROWS)])
    index = best[0]
    sheet_row = index + 1
    warnings: list[SheetWarning] = []
    errors: list[FieldError] = []
    if index:
        warnings.append(
            SheetWarning("rows_above_header", message("rows_above_header", lang, row=sheet_row, count=index), 1)
        )
    columns: list[HeaderColumn] = []
    untitled: list[str] = []
    note_position = None
    for position, cell in enumerate(rows[index]):
        title = text(cell)
        if not title:
            untitled.append(column_letter(position))
            continue
        shown = _shown(title)
        if is_note_column(title):
            note_position = position
            warnings.append(SheetWarning("note_column", message("note_column", lang, column=shown), sheet_row, shown))
            continue
        field = field_of(title)
        if field is None:
            warnings.append(
                SheetWarning("unknown_column", message("unknown_column", lang, column=shown), sheet_row, shown)
            )
            continue
        other = next((c for c in columns if c.field == field), None)
        if other is not None:
            errors.append(
                FieldError(
                    field, "duplicate_column",
                    message("duplicate_column", lang, row=sheet_row, column=shown, other=other.title),
                    sheet_row, shown,
                )
            )  # fmt: skip
            continue
        columns.append(HeaderColumn(field, shown, position))
    if untitled:
        columns_text = "、".join(untitled) if lang == "zh" else ", ".join(untitled)
        warnings.append(SheetWarning("empty_column", message("empty_column", lang, columns=columns_text), sheet_row))
    present = {c.field for c in columns}
    for column in COLUMNS:
        if column.required and column.field not in present:
            synonyms = "、".join(s for s in column.synonyms if s != column.title)
            errors.append(
                FieldError(
                    column.field, "missing_column",
                    message("missing_column", lang, title=column.title, title_en=column.title_en, synonyms=synonyms),
                    sheet_row,
                )
            )  # fmt: skip
    if errors:
        raise InvalidInput(detail("unreadable", lang), errors=errors)
    return index, Header(sheet_row, tuple(columns), len(rows[index]), tuple(warnings), note_position)


def _file_error(code: str, lang: Lang, **params: object) -> FieldError:
    return FieldError("file", code, message(code, lang, **params))
