"""A sheet of completions, read lazily in chunks: each chunk's rows as CompletionIn items with the sheet row of
each, and the format errors found in it, worded for the clerk and naming their own column headers.

Every row with data becomes an item, also a row with a bad cell (that cell then holds a neutral stand-in), so the
domain service can check the rest of the row in the same pass; such rows are listed in `Chunk.flawed` and must
never be written. `Chunk.locate` words the service's errors (whose `row` is the item's index) the same way.
"""

from __future__ import annotations

import itertools
import pathlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

import ledger.registration.sheets.values as values
from ledger import clock
from ledger.commands import AssessmentIn, CompletionIn, TraineeIn
from ledger.errors import FieldError, InvalidInput
from ledger.people.identity import mask_personal_numbers
from ledger.registration.sheets.header import HEADER_SCAN_ROWS, Header, SheetWarning, find_header
from ledger.registration.sheets.messages import Lang, detail, has_text, message
from ledger.registration.sheets.source import Format, RowSource, Source, detect_format, head_bytes, unreadable
from ledger.registration.sheets.values import Cell, CellError

T = TypeVar("T")
_FIRST_ROW = re.compile(r"row (\d+)")
_DAMAGE_ORDER = ("numeric", "scientific", "zeroed")


class SheetRejected(InvalidInput):
    """A sheet with errors: every error of the file (format and domain), and the warnings of its header."""

    def __init__(
        self, detail: str, *, errors: list[FieldError], warnings: tuple[SheetWarning, ...], lang: Lang = "zh"
    ) -> None:
        super().__init__(detail, errors=errors)
        self.warnings = warnings
        self.lang = lang


@dataclass(slots=True)
class Chunk:
    items: list[CompletionIn]
    sheet_rows: list[int]  # the sheet row of each item
    problems: list[FieldError]  # format errors: row = sheet row, column = the clerk's header
    flawed: set[int]  # sheet rows with any problem (a bad cell, or an ID number Excel damaged)
    header: Header
    lang: Lang
    bad_fields: dict[int, set[str]] = field(default_factory=dict)  # sheet row -> fields whose cell was bad

    @property
    def ok(self) -> bool:
        """No row of this chunk has a problem of its own: its items may be registered."""
        return not self.flawed

    def locate(self, errors: list[FieldError]) -> list[FieldError]:
        """The domain service's errors (row = index into `items`) as sheet errors: the sheet row, the clerk's
        header, the catalogue's text in this chunk's language. An error about a cell that already had a format
        error (and so held a stand-in) is dropped: the clerk sees one error per bad cell."""
        located = []
        for error in errors:
            if error.row is None or not 0 <= error.row < len(self.items):
                located.append(error)
                continue
            sheet_row = self.sheet_rows[error.row]
            if _covered(error.field, self.bad_fields.get(sheet_row, ())):
                continue
            column = self.header.title(error.field)
            text = error.message
            if has_text(error.code, error.field):
                item = self.items[error.row]
                first = _FIRST_ROW.search(error.message)
                first_row = self.sheet_rows[int(first.group(1))] if first else ""
                level = item.assessment.level if item.assessment else ""
                text = message(
                    error.code, self.lang, error.field,
                    column=column, course=mask_personal_numbers(item.course_code), level=level, first_row=first_row,
                )  # fmt: skip
            located.append(FieldError(error.field, error.code, text, sheet_row, column))
        return located


def _covered(field_name: str, bad: set[str] | tuple[()]) -> bool:
    return any(field_name == b or (field_name == "assessment" and b.startswith("assessment.")) for b in bad)


class Sheet:
    """An opened sheet: its format and header are known; its rows are read when `chunks` is iterated."""

    def __init__(self, rows: RowSource, header_index: int, header: Header, lang: Lang) -> None:
        self._rows = rows
        self._header_index = header_index
        self.header = header
        self.lang = lang
        self._damage: dict[str, list[int]] = {}  # kind -> [rows affected, first sheet row]

    @property
    def format(self) -> Format:
        return self._rows.format

    @property
    def warnings(self) -> tuple[SheetWarning, ...]:
        return self.header.warnings

    def raw_rows(self) -> Iterator[list[Cell]]:
        """Every row of the sheet as read, from sheet row 1 (the title and header rows too)."""
        return self._rows.rows()

    def file_problems(self) -> list[FieldError]:
        """What is reported once for the whole file (Excel's damage to the ID column), as far as the chunks read
        so far tell: complete once `chunks` is exhausted."""
        title = self.header.title("trainee.id_number")
        return [
            FieldError(
                "trainee.id_number", f"id_excel_{kind}",
                message(f"id_excel_{kind}", self.lang, column=title, count=seen[0], row=seen[1]), None, title,
            )
            for kind in _DAMAGE_ORDER if (seen := self._damage.get(kind))
        ]  # fmt: skip

    def chunks(self, size: int, lang: Lang | None = None) -> Iterator[Chunk]:
        """Lazily, `size` data rows at a time (blank rows are skipped and not counted)."""
        lang = lang or self.lang
        self._damage = {}
        rows = itertools.islice(self._rows.rows(), self._header_index + 1, None)
        chunk = self._empty_chunk(lang)
        for sheet_row, cells in enumerate(rows, start=self.header.row + 1):
            if self._convert(cells, sheet_row, chunk) and len(chunk.items) >= size:
                yield chunk
                chunk = self._empty_chunk(lang)
        if chunk.items:
            yield chunk

    def whole(self, max_rows: int) -> Chunk:
        """Every row in one chunk, with the file's own problems first; more than `max_rows` is refused."""
        merged = self._empty_chunk(self.lang)
        for chunk in self.chunks(10_000):
            merged.items += chunk.items
            merged.sheet_rows += chunk.sheet_rows
            merged.problems += chunk.problems
            merged.flawed |= chunk.flawed
            merged.bad_fields.update(chunk.bad_fields)
            if len(merged.items) > max_rows:
                text = message("too_many_rows", self.lang, limit=max_rows)
                raise InvalidInput(text, errors=[FieldError("file", "too_many_rows", text)])
        if not merged.items:
            raise InvalidInput(detail("unreadable", self.lang), errors=[_no_rows(self.lang)])
        merged.problems = self.file_problems() + merged.problems
        return merged

    def _empty_chunk(self, lang: Lang) -> Chunk:
        return Chunk([], [], [], set(), self.header, lang)

    def _convert(self, cells: list[Cell], sheet_row: int, chunk: Chunk) -> bool:
        """Append the row's item (and its problems) to the chunk; False for a row without data."""
        header = self.header

        def cell(field_name: str) -> Cell:
            position = header.position(field_name)
            return cells[position] if position is not None and position < len(cells) else None

        if all(values.text(cell(c.field)) == "" for c in header.columns if c.field != "course_code"):
            return False  # blank, or only the course code a per-course template fills in
        bad: set[str] = set()
        stand_in_date = clock.today()  # passes the service's date checks, so the rest of the row is checked

        def problem(field_name: str, code: str) -> None:
            title = header.title(field_name)
            chunk.problems.append(
                FieldError(field_name, code, message(code, chunk.lang, field_name, column=title), sheet_row, title)
            )
            bad.add(field_name)

        def read(field_name: str, reader: Callable[[Cell], T], default: T, required: bool = False) -> T:
            raw = cell(field_name)
            if values.text(raw) == "":
                if required:
                    problem(field_name, "required")
                return default
            try:
                return reader(raw)
            except CellError as exc:
                problem(field_name, exc.code)
                return default

        course_code = read("course_code", values.text, "", required=True)
        name = read("trainee.name", values.text, "", required=True)
        id_text, damage = values.id_number(cell("trainee.id_number"))
        if not id_text:
            problem("trainee.id_number", "required")
        elif damage:
            seen = self._damage.setdefault(damage, [0, sheet_row])
            seen[0] += 1
            bad.add("trainee.id_number")
        gender = read("trainee.gender", values.gender, None)
        domicile = read("trainee.domicile_region", values.text, "") or None
        phone = read("trainee.phone", values.phone, "") or None
        completed_on = read("completed_on", values.date, stand_in_date, required=True)
        hours = read("hours", values.hours, 0, required=True)
        passed = read("passed", values.passed, False, required=True)
        level = read("assessment.level", values.level, None)
        assessed_on = read("assessment.assessed_on", values.date, None)
        theory = read("assessment.theory_score", values.score, None)
        practical = read("assessment.practical_score", values.score, None)
        graduation = read("graduation_number", values.text, "") or None
        assessment = None
        if level is not None:
            assessment = AssessmentIn(level, assessed_on, theory, practical)
        chunk.items.append(
            CompletionIn(
                course_code=course_code,
                trainee=TraineeIn(name=name, id_number=id_text, gender=gender, domicile_region=domicile, phone=phone),
                completed_on=completed_on,
                hours=hours,
                passed=passed,
                assessment=assessment,
                graduation_number=graduation,
            )
        )
        chunk.sheet_rows.append(sheet_row)
        if bad:
            chunk.flawed.add(sheet_row)
            chunk.bad_fields[sheet_row] = bad
        return True


def _no_rows(lang: Lang) -> FieldError:
    return FieldError("file", "no_rows", message("no_rows", lang))


def open_sheet(
    source: Source,
    filename: str | None = None,
    content_type: str | None = None,
    *,
    lang: Lang = "zh",
) -> Sheet:
    """Tell the format from the content, read the first rows and find the header. Raises InvalidInput (worded
    in `lang`) for a file that cannot be read or whose header lacks a required column."""
    if isinstance(source, pathlib.Path) and not source.is_file():
        raise unreadable("malformed", lang, detail=f"{source.name}: not a file")
    if not head_bytes(source, 1):
        raise unreadable("empty", lang)
    rows = RowSource(source, detect_format(head_bytes(source), filename, content_type), lang)
    first = list(itertools.islice(rows.rows(), HEADER_SCAN_ROWS))
    index, header = find_header(first, lang)
    return Sheet(rows, index, header, lang)


def rejection(chunk: Chunk, service_errors: list[FieldError], lang: Lang) -> SheetRejected | None:
    """All errors of a chunk (its format problems and the service's, located) in sheet order, or None."""
    errors = chunk.problems + chunk.locate(service_errors)
    if not errors:
        return None
    errors.sort(key=lambda e: (e.row is not None, e.row or 0, chunk.header.position(e.field) or 0))
    rows = len({e.row for e in errors if e.row is not None}) or 1
    return SheetRejected(
        detail("rejected", lang, total=len(errors), rows=rows),
        errors=errors,
        warnings=chunk.header.warnings,
        lang=lang,
    )


def read_whole(source: Source, filename: str | None, content_type: str | None, lang: Lang, max_rows: int) -> Chunk:
    """`open_sheet(...).whole(max_rows)` as one call of plain arguments, for the CPU pool (ledger/cpu.py): a
    synchronous import's file is read there, off the serving loop."""
    return open_sheet(source, filename, content_type, lang=lang).whole(max_rows)
