"""Where a sheet's rows come from: the format is told by the content (an .xlsx is a zip, an .xls an OLE compound
file), then workbooks are read with python-calamine and text files with the csv module, in their encoding and
with their separator. A file on disk is read lazily (a CSV of a million rows streams); bytes are read from memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, cast

import python_calamine

from ledger.errors import FieldError, InvalidInput
from ledger.registration.sheets.messages import Lang, detail, message
from ledger.registration.sheets.values import Cell

Format = Literal["xlsx", "xls", "ods", "csv"]
Source = bytes | pathlib.Path

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SAMPLE_BYTES = 1 << 20  # what the encoding and the separator of a text file are told from
INSTRUCTIONS_SHEET = "填写说明"


def unreadable(code: str, lang: Lang, **params: object) -> InvalidInput:
    return InvalidInput(detail("unreadable", lang), errors=[FieldError("file", code, message(code, lang, **params))])


def detect_format(head: bytes, filename: str | None = None, content_type: str | None = None) -> Format:
    """The content decides; the name and type only tell an OpenDocument zip from an Office one."""
    hint = f"{filename or ''} {content_type or ''}".lower()
    if head.startswith(ZIP_MAGIC):
        return "ods" if ".ods" in hint or "opendocument" in hint else "xlsx"
    if head.startswith(OLE_MAGIC):
        return "xls"
    return "csv"


@dataclass(frozen=True, slots=True)
class TextLayout:
    encoding: str
    delimiter: str


def _encoding(sample: bytes, complete: bool, lang: Lang) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode text" (tab separated)
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
            return encoding
        except UnicodeDecodeError:
            continue
    raise unreadable("encoding", lang)


def _delimiter(text: str) -> str:
    """Tab, semicolon or comma: whichever the first lines use most (a title row of ",,,," counts too)."""
    head = text[:65536]
    counts = {d: head.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _csv_rows(lines: Iterator[str] | io.TextIOBase, delimiter: str, lang: Lang) -> Iterator[list[Cell]]:
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise unreadable("malformed", lang, detail=f"CSV line {reader.line_num}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise unreadable("encoding", lang) from exc


class RowSource:
    """A fresh iterator over the raw rows of the first sheet with data, from the sheet's first row, each call."""

    def __init__(self, source: Source, fmt: Format, lang: Lang) -> None:
        self.source = source
        self.format = fmt
        self.lang = lang
        self.layout: TextLayout | None = None
        if fmt == "csv":
            sample = source[:SAMPLE_BYTES] if isinstance(source, bytes) else _head(source, SAMPLE_BYTES)
            complete = len(sample) < SAMPLE_BYTES
            encoding = _encoding(sample, complete, lang)
            try:
                text = codecs.getincrementaldecoder(encoding)().decode(sample, final=complete)
            except UnicodeDecodeError as exc:
                raise unreadable("encoding", lang) from exc
            self.layout = TextLayout(encoding, _delimiter(text))
            if isinstance(source, bytes):  # decode it all now: a bad byte anywhere is told before any row
                try:
                    self._text = source.decode(encoding)
                except UnicodeDecodeError as exc:
                    raise unreadable("encoding", lang) from exc
        else:
            self._cells = self._sheet_rows()  # a workbook is read whole (calamine holds it in memory anyway)

    def rows(self) -> Iterator[list[Cell]]:
        if self.layout is None:
            yield from self._cells
        elif isinstance(self.source, bytes):
            yield from _csv_rows(iter(io.StringIO(self._text, newline="")), self.layout.delimiter, self.lang)
        else:
            with open(self.source, encoding=self.layout.encoding, newline="") as handle:
                yield from _csv_rows(handle, self.layout.delimiter, self.lang)

    def _sheet_rows(self) -> list[list[Cell]]:
        try:
            if isinstance(self.source, bytes):
                workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(self.source))
            else:
                workbook = python_calamine.CalamineWorkbook.from_path(str(self.source))
            for name in workbook.sheet_names:
                if name == INSTRUCTIONS_SHEET:
                    continue
                sheet = workbook.get_sheet_by_name(name)
                rows = cast("list[list[Cell]]", sheet.to_python(skip_empty_area=False))
                if any(any(cell not in ("", None) for cell in row) for row in rows):
                    top, left = sheet.start or (0, 0)
                    pad: list[Cell] = [None] * left
                    return [[] for _ in range(top)] + [pad + row for row in rows]
        except (python_calamine.CalamineError, ValueError, OSError) as exc:
            raise unreadable("malformed", self.lang, detail=type(exc).__name__) from exc
        raise unreadable("empty", self.lang)


def _head(path: pathlib.Path, size: int) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(size)


def head_bytes(source: Source, size: int = 8) -> bytes:
    return source[:size] if isinstance(source, bytes) else _head(source, size)
