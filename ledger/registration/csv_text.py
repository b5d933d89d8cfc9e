"""The text of a CSV file as schools and bureaus save it: UTF-8 (with or without BOM), else GB18030."""

from __future__ import annotations

from ledger.errors import FieldError, InvalidInput


def decode_csv(raw: bytes) -> str:
    """UTF-8 (BOM or not), else GB18030 (a superset of GBK and GB2312); anything else is a clear error."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        "the CSV file is neither UTF-8 nor GB18030",
        errors=[FieldError("file", "encoding", "save the file as UTF-8 or GB18030 (GBK)")],
    )
