"""An institution's certificate list as a file to keep: CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX, with
Chinese headers, the holder's name as printed (no ID digits) and the address where each certificate is checked."""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Sequence
from typing import Annotated, Literal, Protocol

from litestar import Response
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from certificates.wording import TITLES
from ledger import clock
from ledger.certificates import reads
from ledger.certificates.tables import Certificate
from ledger.errors import FieldError, InvalidInput
from ledger.reference.levels import SkillLevel
from ledger.spreadsheets import csv_bytes, xlsx_row

Format = Annotated[Literal["csv", "xlsx"], QueryParameter(name="format", description="xlsx (default) or csv")]
MAX_EXPORT = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

STATUSES = {"valid": "有效", "suspended": "已暂停", "revoked": "已撤销", "superseded": "已被补发替代"}
HEADERS = ("证书编号", "证书类型", "姓名", "职业编码", "职业名称", "职业技能等级", "发证日期", "状态", "状态原因",
           "状态生效日期", "验证码", "查验网址")  # fmt: skip
WIDTHS = (26, 18, 14, 12, 18, 14, 12, 12, 20, 14, 20, 48)


def certificate_rows(certificates: Sequence[Certificate], public_base: str) -> list[list[object]]:
    rows: list[list[object]] = []
    for c in certificates:
        snapshot = c.snapshot
        level = SkillLevel.from_code(c.level).printed if c.level is not None else ""
        rows.append([
            c.number, TITLES.get(c.kind, (c.kind,))[0], snapshot.get("holder_name", ""), c.occupation_code,
            snapshot.get("occupation_name", ""), level, c.issued_on, STATUSES.get(c.status, c.status),
            c.status_reason, c.status_effective_on, c.verification_code, f"{public_base}/v/{c.verification_code}",
        ])  # fmt: skip
    return rows


def to_csv(rows: list[list[object]]) -> bytes:
    return csv_bytes([HEADERS, *rows])


def to_xlsx(rows: list[list[object]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "证书"
    sheet.append(xlsx_row(sheet, [title]))
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(xlsx_row(sheet, HEADERS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
        for cell in sheet[sheet.max_row]:
            if cell.column in (1, 11):  # numbers and codes stay text, never 6.5E+17
                cell.number_format = "@"
            elif cell.column in (7, 10) and cell.value is not None:
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A3"
    for i, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class Filter(Protocol):
    """Which certificates: the list's filters (api/certificates/controllers.py `CertificateFilter`)."""

    @property
    def course_code(self) -> str | None: ...
    @property
    def status(self) -> str | None: ...
    @property
    def trainee_id(self) -> uuid.UUID | None: ...


async def export_response(
    session: AsyncSession, institution_id: int, public_base: str, which: Filter, output: str
) -> Response:
    """Every certificate of the institution matching `which` (up to 100,000) as an XLSX or CSV download."""
    found, total = await reads.list_certificates(
        session, institution_id, which.course_code, which.status, MAX_EXPORT, 0, which.trainee_id
    )
    course_code = which.course_code
    if total > MAX_EXPORT:
        raise InvalidInput(
            "too many certificates for one file",
            errors=[FieldError("course_code", "too_many", f"超过 {MAX_EXPORT:,} 张证书，请按课程或状态分别导出")],
        )
    rows = certificate_rows(found, public_base)
    stem = "certificates_" + re.sub(r"[^A-Za-z0-9_-]", "_", course_code or "all") + f"_{clock.today():%Y-%m-%d}"
    if output == "csv":
        body, media = to_csv(rows), "text/csv"
    else:
        title = f"证书清单 {course_code or '全部课程'} · {total} 张 · 导出于 {clock.today():%Y-%m-%d}"
        body, media = to_xlsx(rows, title), XLSX
    return Response(
        content=body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{stem}.{output}"'}
    )
