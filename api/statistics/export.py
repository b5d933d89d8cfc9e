"""A statistics report as a file a bureau can file: CSV (UTF-8 with BOM, so Excel opens Chinese right) or XLSX.

Both carry headers in 中文 (English with lang=en) with each column's unit, shares as percentages, a total row, a
note under any total that is not the sum of its rows, and the facts that make the table explainable: figure,
region, jurisdiction, date or period, counting rules, whether the baseline is included, publication. The XLSX puts
those facts in a title block above the frozen header and formats counts `#,##0` and shares `0.0%`; the CSV keeps
its header on the first line (so a program reads it as a table) and the facts after the table, as `#` lines.
Every value goes through ledger/spreadsheets.py: no text ever becomes a formula.

The file is named after what it holds: 技能人才按地州_新疆维吾尔自治区_2025-12-31.xlsx, with an ASCII name
(talent_by-prefecture_650000_2025-12-31.xlsx) for clients that cannot read RFC 6266 `filename*`.
"""

from __future__ import annotations

import io
import re
import unicodedata
from urllib.parse import quote

import msgspec
from litestar import Response

from api.statistics import columns as words
from api.statistics.columns import Lang
from api.statistics.schemas import StatsOut
from ledger.spreadsheets import csv_bytes, xlsx_row
from ledger.statistics.report import Report, unsummed

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"  # Litestar adds "; charset=utf-8" (the response encoding) itself
COUNT_FORMAT = "#,##0"
SHARE_FORMAT = "0.0%"
_WHY = {  # why a total is not the sum of its rows
    "persons": ("合计按人去重：同一人出现在多行时只计一次", "the total counts each person once, even when they appear "
                "in several rows"),
    "mode": ("带多个培训模式标签的课程在每个标签下各计一次，合计只计一次", "a course with several mode tags counts "
             "under each tag, and once in the total"),
    "year": ("各行为各年12月31日的存量，合计为统计日的存量", "each row is the stock on 31 December of its year; the "
             "total is the stock on the as-of date"),
    "published": ("发布模式下各数分别舍入或隐去", "in publication mode each number is rounded or suppressed on its "
                  "own"),
}  # fmt: skip
_DISTINCT = {"persons", "talent", "high_skill", "first_reached", "obtained"}


def _date_text(report: Report, lang: Lang) -> str:
    if report.period_from is not None:
        joiner = " 至 " if lang == "zh" else " to "
        return f"{report.period_from.isoformat()}{joiner}{report.period_to or report.as_of}"
    return report.as_of.isoformat() if report.as_of else ""


def _jurisdiction(report: Report, lang: Lang) -> str:
    code = report.jurisdiction.split(" ")[0]
    return str(words.value("jurisdiction", code, lang))


def title(report: Report, lang: Lang) -> str:
    """技能人才按地州 · 新疆维吾尔自治区 · 截至 2025-12-31"""
    name = words.figure_name(report.figure, lang)
    if report.group_by:
        grouping = words.grouping_name(report.group_by, lang)
        name += grouping if lang == "zh" else " " + grouping.replace("-", " ").replace("by ", "by ", 1)
    if lang == "zh":
        when = f"截至 {_date_text(report, lang)}" if report.period_from is None else _date_text(report, lang)
        return f"{name} · {report.region_name} · {when}"
    when = f"as of {_date_text(report, lang)}" if report.period_from is None else _date_text(report, lang)
    return f"{name} · {report.region_code} {report.region_name} · {when}"


_BASES = {
    "institution": ("发证/培训机构所在地", "the institution's region"),
    "domicile": ("学员户籍地", "the trainee's domicile"),
}


def about(report: Report, lang: Lang) -> list[tuple[str, str]]:
    """The title block's lines (label, text), in `lang`."""
    pick = 0 if lang == "zh" else 1

    def say(zh: str, en: str) -> str:
        return (zh, en)[pick]

    when = say("期间", "Period") if report.period_from else say("统计日", "As of")
    baseline = say("含基线", "included") if report.baseline_included else say("不含基线", "not included")
    publication = say(f"是，k={report.k}", f"yes, k={report.k}") if report.published else say("否（精确数）", "no")
    lines = [
        (say("地区", "Region"), f"{report.region_code} {report.region_name}"),
        (say("管辖", "Jurisdiction"), _jurisdiction(report, lang)),
        (say("归属", "Attributed to"), _BASES.get(report.basis, (report.basis, report.basis))[pick]),
        (when, _date_text(report, lang)),
        (say("基线", "Baseline"), baseline),
        (say("发布模式", "Publication"), publication),
    ]
    lines += [(say(f"口径 {i + 1}", f"Rule {i + 1}"), words.bilingual(r, lang)) for i, r in enumerate(report.rules)]
    lines.append((say("生成时间", "Generated at"), report.generated_at.isoformat(timespec="seconds")))
    return lines


def notes(report: Report, lang: Lang) -> list[str]:
    """A note for each column whose total is not the sum of its rows, saying why."""
    pick = 0 if lang == "zh" else 1
    found = []
    for column in unsummed(report):
        reasons = []
        if column in _DISTINCT and not (column in ("talent", "high_skill") and "year" in report.group_by):
            reasons.append(_WHY["persons"][pick])
        for cause in ("mode", "year"):
            if cause in report.group_by and (cause == "mode" or report.period_from is None):
                reasons.append(_WHY[cause][pick])
        if report.published:
            reasons.append(_WHY["published"][pick])
        head = words.header(report.figure, column, lang)
        if lang == "zh":
            found.append(f"注：「{head}」合计不等于各行之和（{'；'.join(reasons)}）。")
        else:
            found.append(f"Note: the total of “{head}” is not the sum of the rows ({'; '.join(reasons)}).")
    return found


def _headers(report: Report, lang: Lang) -> list[str]:
    return [words.header(report.figure, c, lang) for c in report.columns]


def _share(value: object, percent: bool) -> object:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return value
    return round(value * 100, 2) if percent else value


def _cells(report: Report, lang: Lang, *, percent: bool) -> list[list[object]]:
    """The rows, then the total row: shares as percentages (CSV) or fractions to format (XLSX)."""
    table = list(report.rows)
    labelled = bool(report.total) and bool(report.group_by)  # without a grouping the one row is the total
    if labelled or (report.total and not table):
        table.append(report.total)
    out = []
    for row in table:
        cells: list[object] = []
        for column in report.columns:
            raw = row.get(column)
            if words.kind(report.figure, column) == "share":
                cells.append(_share(raw, percent))
            else:
                cells.append(words.value(column, raw, lang))
        out.append(cells)
    if labelled:
        out[-1][0] = "合计" if lang == "zh" else "Total"
    return out


def to_csv(report: Report, lang: Lang = "zh") -> bytes:
    """Header, rows, total, notes; then a blank line and the title block as `# label,text` lines."""
    facts = [[f"# {title(report, lang)}"], *([f"# {label}", text] for label, text in about(report, lang))]
    return csv_bytes([_headers(report, lang), *_cells(report, lang, percent=True),
                      *([n] for n in notes(report, lang)), [], *facts])  # fmt: skip


def _width(value: object) -> int:
    text = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value or "")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def to_xlsx(report: Report, lang: Lang = "zh") -> bytes:
    """One sheet: the title block, a blank row, the header (frozen), the rows, the total (bold) and the notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "数据" if lang == "zh" else "data"
    sheet.append(xlsx_row(sheet, [title(report, lang)]))
    sheet["A1"].font = Font(bold=True, size=14)
    for label, text in about(report, lang):
        sheet.append(xlsx_row(sheet, [f"{label}：{text}" if lang == "zh" else f"{label}: {text}"]))
    sheet.append([])
    sheet.append(xlsx_row(sheet, _headers(report, lang)))
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    kinds = [words.kind(report.figure, c) for c in report.columns]
    formats = {"count": COUNT_FORMAT, "share": SHARE_FORMAT, "number": "0"}
    for row in _cells(report, lang, percent=False):
        sheet.append(xlsx_row(sheet, row))
        for cell, kind in zip(sheet[sheet.max_row], kinds, strict=True):
            if kind in formats and isinstance(cell.value, int | float):
                cell.number_format = formats[kind]
    if report.total and report.group_by:
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for note in notes(report, lang):
        sheet.append(xlsx_row(sheet, [note]))
    sheet.freeze_panes = f"A{header_row + 1}"
    for i, column in enumerate(report.columns, start=1):
        values = [sheet.cell(row=r, column=i).value for r in range(header_row + 1, header_row + 2 + len(report.rows))]
        wide = max([_width(words.header(report.figure, column, lang)), *map(_width, values)])
        sheet.column_dimensions[get_column_letter(i)].width = min(max(wide + 2, 8), 40)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _ascii(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")


def filename(report: Report, lang: Lang, extension: str) -> tuple[str, str]:
    """The file's name (figure, grouping, region, jurisdiction, date; Chinese unless lang=en) and its ASCII form."""
    when = _date_text(report, "en").replace(" to ", "_")
    code = report.jurisdiction.split(" ")[0]
    published = report.published
    fallback_parts = [
        words.figure_name(report.figure, "en")
        + ("_" + words.grouping_name(report.group_by, "en") if report.group_by else ""),
        report.region_code,
    ]
    if code != "all":
        fallback_parts.append(code)
    fallback_parts += [when, *(["published"] if published else [])]
    fallback = "_".join(_ascii(p) for p in fallback_parts) + f".{extension}"
    if lang == "en":
        return fallback, fallback
    parts = [words.figure_name(report.figure, "zh") + words.grouping_name(report.group_by, "zh"),
             report.region_name + ("" if code == "all" else str(words.value("jurisdiction", code, "zh")))]  # fmt: skip
    parts += [when, *(["发布版"] if published else [])]
    name = "_".join(re.sub(r'[\\/:*?"<>|\s]+', "-", p) for p in parts) + f".{extension}"
    return name, fallback


def attachment(name: str, fallback: str) -> str:
    """Content-Disposition for a download named `name` (RFC 6266 `filename*`, UTF-8) with an ASCII `filename`."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def render(report: Report, output: str, lang: Lang = "zh") -> Response:
    """The report as the caller asked: JSON (the wire contract), or a CSV / XLSX file named after what it holds."""
    if output in ("csv", "xlsx"):
        name, fallback = filename(report, lang, output)
        body = to_csv(report, lang) if output == "csv" else to_xlsx(report, lang)
        return Response(
            content=body,
            media_type=CSV if output == "csv" else XLSX,
            headers={"Content-Disposition": attachment(name, fallback)},
        )
    return Response(content=msgspec.json.encode(StatsOut.of(report)), media_type="application/json")
