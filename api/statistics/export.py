"""A statistics report as CSV (UTF-8 with BOM, so Excel opens Chinese right) or XLSX (openpyxl)."""

from __future__ import annotations

import io

from ledger.spreadsheets import csv_bytes, xlsx_row
from ledger.statistics.report import Report


def _about(report: Report) -> list[tuple[str, str]]:
    about = [
        ("指标 figure", f"{report.title} ({report.figure})"),
        ("地区 region", f"{report.region_code} {report.region_name}"),
        ("管辖 jurisdiction", report.jurisdiction),
        ("归属 basis", report.basis),
        ("统计日 as_of", report.as_of.isoformat() if report.as_of else ""),
        ("期间 period", f"{report.period_from or ''} ~ {report.period_to or ''}"),
        ("含基线 baseline_included", "是 yes" if report.baseline_included else "否 no"),
        ("发布模式 published", f"k={report.k}" if report.published else "否 no"),
        ("生成时间 generated_at", report.generated_at.isoformat()),
    ]
    about += [(f"口径 rule {i + 1}", rule) for i, rule in enumerate(report.rules)]
    return about


def _cells(report: Report) -> list[list[object]]:
    rows = [[row.get(c) for c in report.columns] for row in report.rows]
    if report.total:
        first: list[object] = ["合计 total"] + [None] * (len(report.columns) - 1)
        for i, column in enumerate(report.columns):
            if column in report.total:
                first[i] = report.total[column]
        rows.append(first)
    return rows


def to_csv(report: Report) -> bytes:
    """The table, then a blank line and the rules as `# key,value` lines (the same facts the JSON gives)."""
    about = [[f"# {key}", value] for key, value in _about(report)]
    return csv_bytes([report.columns, *_cells(report), [], *about])


def to_xlsx(report: Report) -> bytes:
    """Sheet 数据 with the table, sheet 说明 with the rules, dates and scope."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    data = book.active
    assert data is not None
    data.title = "数据"
    data.append(xlsx_row(data, report.columns))
    for cell in data[1]:
        cell.font = Font(bold=True)
    for row in _cells(report):
        data.append(xlsx_row(data, row))
    notes = book.create_sheet("说明")
    for key, value in _about(report):
        notes.append(xlsx_row(notes, [key, value]))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
