"""A CSV file read lazily in chunks of rows for an import job, over the rules of `api/registration/csv_import.py`.

A stand-in until the spreadsheet reader (`ledger/registration/sheets/`) takes over: the same shape (`chunks(size)`
yields chunks with their items, each item's spreadsheet row and the chunk's problems), so the job does not change.
The file is read from disk one chunk at a time; rows are numbered as a spreadsheet shows them (the header is row 1).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from api.registration.csv_import import parse_completions_csv
from ledger.commands import CompletionIn
from ledger.errors import FieldError, InvalidInput

_BLOCK = 1024 * 1024
csv.field_size_limit(1024 * 1024)


@dataclass(slots=True)
class Chunk:
    items: list[CompletionIn]
    sheet_rows: list[int]  # the spreadsheet row of each item
    problems: list[FieldError] = field(default_factory=list)  # each with `row` the spreadsheet row


def _encoding(path: Path) -> str:
    """UTF-8 (BOM or not) if the whole file decodes as UTF-8, else GB18030 if it decodes as that."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as stream:
                while block := stream.read(_BLOCK):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        "the CSV file is neither UTF-8 nor GB18030",
        errors=[FieldError("file", "encoding", "save the file as UTF-8 or GB18030 (GBK)")],
    )


class CsvSheet:
    def __init__(self, path: Path) -> None:
        self.path = path

    def chunks(self, size: int, lang: str = "zh") -> Iterator[Chunk]:
        """Chunks of up to `size` data rows (blank rows skipped). A bad header raises InvalidInput before any chunk."""
        encoding = _encoding(self.path)
        with self.path.open("r", encoding=encoding, newline="") as text:
            try:
                yield from self._chunks(csv.reader(text), size)
            except csv.Error as exc:
                message = "the file is not a valid CSV (a cell may be far too long)"
                raise InvalidInput(
                    "the CSV file cannot be read", errors=[FieldError("file", "malformed", message)]
                ) from exc

    def _chunks(self, reader: Iterator[list[str]], size: int) -> Iterator[Chunk]:
        header = next(reader, None)
        if header is None:
            raise InvalidInput("the CSV file is empty")
        sheet_row = 1
        while True:
            records: list[list[str]] = []
            rows: list[int] = []
            for record in reader:
                sheet_row += 1
                records.append(record)
                if any(cell.strip() for cell in record):
                    rows.append(sheet_row)
                    if len(rows) == size:
                        break
            if not records:
                return
            yield self._parse(header, records, rows, sheet_row - len(records) + 1)
            if len(rows) < size:
                return

    @staticmethod
    def _parse(header: list[str], records: list[list[str]], rows: list[int], first_row: int) -> Chunk:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(records)
        try:
            items = parse_completions_csv(buffer.getvalue().encode(), max_rows=len(rows) or 1)
        except InvalidInput as exc:
            if any(e.row is None for e in exc.errors):  # the header itself: the whole file is refused
                raise
            problems = [_renumbered(e, first_row + (e.row or 0)) for e in exc.errors]
            return Chunk([], [], problems)
        return Chunk(items, rows)


def _renumbered(error: FieldError, sheet_row: int) -> FieldError:
    """The chunk's error at its row in the file (the parser numbered the chunk's rows from its own header)."""
    local = f"CSV line {(error.row or 0) + 2}"
    return FieldError(error.field, error.code, error.message.replace(local, f"CSV line {sheet_row}"), sheet_row)
