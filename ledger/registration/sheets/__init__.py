"""Completions from the spreadsheets schools really have: .xlsx / .xls / .ods (python-calamine) and CSV in UTF-8,
UTF-8 with BOM, GB18030 or UTF-16, comma, semicolon or tab separated; the header found by itself; values read as
clerks write them; Excel's damage to ID numbers told once; every message in Chinese or English naming the clerk's
own column and the row number Excel shows. docs/import.md lists every header and value the reader accepts.

    sheet = open_sheet(path_or_bytes, filename, content_type, lang="zh")   # reads only the first rows
    for chunk in sheet.chunks(5000):        # lazy: a CSV file on disk streams with bounded memory
        chunk.items, chunk.sheet_rows, chunk.problems, chunk.ok
        chunk.locate(service_errors)        # the service's errors (row = index in chunk.items) as sheet errors
    sheet.file_problems()                   # once per file (Excel's damage), complete after the last chunk
    whole = sheet.whole(max_rows)           # everything in one chunk, file problems first (the HTTP path)
    rejection(whole, service_errors, lang)  # SheetRejected with every error in sheet order, or None
    error_workbook(sheet, whole, errors, lang) -> bytes;  template_workbook(outcome, dual_rule, code, lang) -> bytes
"""

from ledger.registration.sheets.header import Header, HeaderColumn, SheetWarning
from ledger.registration.sheets.messages import Lang, message
from ledger.registration.sheets.reading import Chunk, Sheet, SheetRejected, open_sheet, read_whole, rejection
from ledger.registration.sheets.source import Format, detect_format
from ledger.registration.sheets.workbooks import error_workbook, template_columns, template_workbook

__all__ = [
    "Chunk",
    "Format",
    "Header",
    "HeaderColumn",
    "Lang",
    "Sheet",
    "SheetRejected",
    "SheetWarning",
    "detect_format",
    "error_workbook",
    "message",
    "open_sheet",
    "read_whole",
    "rejection",
    "template_columns",
    "template_workbook",
]
