"""Workbooks the ledger hands a clerk: the template of a course kind, and the uploaded sheet back with its errors
marked (each bad cell filled and commented, a 错误说明 column) so it is fixed in Excel and uploaded again."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell as WorkbookCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from ledger.errors import FieldError
from ledger.registration.sheets.columns import BY_FIELD, NOTE_TITLE, Column
from ledger.registration.sheets.header import column_letter
from ledger.registration.sheets.messages import Lang
from ledger.registration.sheets.reading import Chunk, Sheet
from ledger.registration.sheets.source import INSTRUCTIONS_SHEET
from ledger.registration.sheets.values import FEMALE_WORDS, MALE_WORDS, Cell
from ledger.spreadsheets import as_text, xlsx_cell, xlsx_row

Outcome = Literal["skill_level", "special_ability", "training"]
DualRule = Literal["none", "training_skill", "graduation_skill"]

AUTHOR = "技能双证账本"
BAD_FILL = PatternFill("solid", fgColor="FFFFC7CE")
NOTE_FILL = PatternFill("solid", fgColor="FFFFEB9C")
HEAD_FILL = PatternFill("solid", fgColor="FFDDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FFFCE4D6")
TEXT = "@"
SUMMARY_TITLES = {"zh": ["行号", "列", "字段", "错误代码", "说明"], "en": ["row", "column", "field", "code", "message"]}
TEMPLATE_ROWS = 5000  # rows the drop-downs and text formats cover
PREFILLED_ROWS = 200  # rows a per-course template fills with its course code


def _xlsx(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _safe(value: Cell) -> object:
    """A cell as openpyxl can store it, durations as text (`xlsx_cell` keeps text as text)."""
    if isinstance(value, dt.timedelta | dt.time):
        return str(value)
    return value


# ---- the error workbook ----


def error_workbook(sheet: Sheet, chunk: Chunk, errors: Iterable[FieldError], lang: Lang = "zh") -> bytes:
    """The uploaded sheet as an .xlsx (also for a CSV upload), every row where it was: each bad cell filled and
    commented with its message, and a 错误说明 column with each row's messages. A second sheet lists every error.
    An ID cell Excel damaged is marked too (the file's damage is one error, but each such cell needs re-entering)."""
    header = sheet.header
    errors = list(errors)
    by_row: dict[int, list[FieldError]] = {}
    for error in errors:
        if error.row is not None:
            by_row.setdefault(error.row, []).append(error)
    damage = next((e for e in errors if e.row is None and e.code.startswith("id_excel_")), None)
    id_position = header.position("trainee.id_number")
    note_at = header.note_position if header.note_position is not None else header.width
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet("导入错误" if lang == "zh" else "import errors")
    ws.freeze_panes = f"A{header.row + 1}"
    for sheet_row, raw in enumerate(sheet.raw_rows(), start=1):
        cells: list[object] = [None] * max(len(raw), note_at + 1)
        for position, value in enumerate(raw):
            cell = xlsx_cell(ws, _safe(value))
            if position == id_position and isinstance(value, str):
                cell.number_format = TEXT
            cells[position] = cell
        notes: list[str] = []
        marks: dict[int, list[str]] = {}
        for error in by_row.get(sheet_row, []):
            notes.append(error.message)
            at = header.position("assessment.level" if error.field == "assessment" else error.field)
            if at is not None:
                marks.setdefault(at, []).append(error.message)
        damaged = "trainee.id_number" in chunk.bad_fields.get(sheet_row, ())
        if damage and id_position is not None and damaged and id_position not in marks:
            marks[id_position] = [damage.message]
            notes.append(damage.message)
        for position, texts in marks.items():
            cell = cells[position]
            if not isinstance(cell, WorkbookCell):
                cell = cells[position] = WriteOnlyCell(ws, None)
            cell.fill = BAD_FILL
            cell.comment = Comment("\n".join(texts), AUTHOR, width=320, height=120)
        if sheet_row == header.row:
            note = WriteOnlyCell(ws, NOTE_TITLE)
            note.font, note.fill = Font(bold=True), NOTE_FILL
            cells[note_at] = note
        elif sheet_row > header.row:
            note = xlsx_cell(ws, "；".join(notes) if notes else None)
            if notes:
                note.fill = NOTE_FILL
            cells[note_at] = note
        ws.append(cells)
    summary = workbook.create_sheet("错误汇总" if lang == "zh" else "all errors")
    summary.append(SUMMARY_TITLES[lang])
    for error in errors:
        summary.append(xlsx_row(summary, [error.row, error.column, error.field, error.code, error.message]))
    return _xlsx(workbook)


# ---- templates ----

_COMMON = ("course_code", "trainee.name", "trainee.id_number", "trainee.gender", "trainee.domicile_region",
           "trainee.phone", "completed_on", "hours", "passed")  # fmt: skip
_ASSESSMENT = ("assessment.level", "assessment.assessed_on", "assessment.theory_score", "assessment.practical_score")
_TEXT_FIELDS = {"course_code", "trainee.id_number", "trainee.domicile_region", "trainee.phone", "graduation_number"}
_DATE_FIELDS = {"completed_on", "assessment.assessed_on"}
LEVEL_CHOICES = ("五级（初级工）", "四级（中级工）", "三级（高级工）", "二级（技师）", "一级（高级技师）")
PASSED_CHOICES = ("合格", "不合格")
GENDER_CHOICES = (MALE_WORDS[0], FEMALE_WORDS[0])
_CHOICES = {"assessment.level": LEVEL_CHOICES, "passed": PASSED_CHOICES, "trainee.gender": GENDER_CHOICES}


def template_columns(outcome: Outcome, dual_rule: DualRule = "none") -> list[Column]:
    fields = list(_COMMON)
    if outcome in ("skill_level", "special_ability"):
        fields += _ASSESSMENT
    if dual_rule == "graduation_skill":
        fields.append("graduation_number")
    return [BY_FIELD[f] for f in fields]


_HINTS = {
    "course_code": ("本机构登记的课程编码（必填）", "the course code registered by your institution (required)"),
    "trainee.name": ("与身份证一致的姓名（必填）；少数民族姓名中间用间隔号 ·", "as on the ID card (required)"),
    "trainee.id_number": ("18 位身份证号码（必填）；本列已设为文本格式，"
                          "请勿改成数字或常规格式，否则 Excel 会丢失后三位",
                          "18-character ID number (required); the column is Text: keep it so, or Excel loses digits"),
    "trainee.gender": ("男 / 女（可不填；填写时须与身份证号码一致）", "男 / 女 (optional; must match the ID number)"),
    "trainee.domicile_region": ("户籍所在地 6 位行政区划代码，如 650102（可不填）",
                                "6-digit region code of the domicile, like 650102 (optional)"),
    "trainee.phone": ("手机号码（可不填）", "phone number (optional)"),
    "completed_on": ("如 2025-06-30、2025/6/30 或 2025年6月30日（必填）", "like 2025-06-30 (required)"),
    "hours": ("整数学时，如 120（必填）", "whole hours, like 120 (required)"),
    "passed": ("合格 / 不合格（必填；也可填 是/否、√/×）", "合格 / 不合格 (required; yes/no also read)"),
    "assessment.level": ("合格学员必填：五级（初级工）至一级（高级技师），也可填 4、四级、中级工",
                         "required for passing rows: 5 (初级工) to 1 (高级技师)"),
    "assessment.assessed_on": ("鉴定（考核）日期，不早于课程开始", "the assessment date"),
    "assessment.theory_score": ("0–100", "0-100"),
    "assessment.practical_score": ("0–100", "0-100"),
    "graduation_number": ("一考双证课程合格学员必填：毕业证书编号", "graduation certificate number (一考双证)"),
}  # fmt: skip


def template_workbook(
    outcome: Outcome,
    dual_rule: DualRule = "none",
    course_code: str | None = None,
    lang: Lang = "zh",
) -> bytes:
    """An empty sheet with the columns of the course kind (Chinese headers), drop-downs for 等级 / 是否合格 / 性别,
    text format for the ID, phone and number columns, and a 填写说明 sheet. With `course_code`, the first
    PREFILLED_ROWS rows carry it (a row with nothing but the course code is not read as a trainee)."""
    columns = template_columns(outcome, dual_rule)
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = "学员名单" if lang == "zh" else "trainees"
    ws.append(xlsx_row(ws, [c.title if lang == "zh" else c.title_en for c in columns]))
    ws.freeze_panes = "A2"
    for position, column in enumerate(columns):
        letter = column_letter(position)
        head = ws.cell(row=1, column=position + 1)
        head.font = Font(bold=True)
        head.fill = REQUIRED_FILL if column.required else HEAD_FILL
        head.alignment = Alignment(horizontal="center")
        dimension = ws.column_dimensions[letter]
        dimension.width = 22 if column.field == "trainee.id_number" else 14
        if column.field in _TEXT_FIELDS:
            dimension.number_format = TEXT
        elif column.field in _DATE_FIELDS:
            dimension.number_format = "yyyy-mm-dd"
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        choices = _CHOICES.get(column.field)
        if choices:
            validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
            validation.error = "请从下拉列表中选择" if lang == "zh" else "choose from the list"
            validation.showErrorMessage = False  # other spellings (4级, 是) are read too: a hint, not a wall
            validation.add(cells)
            ws.add_data_validation(validation)
        if column.field in _TEXT_FIELDS:
            for row in range(2, (PREFILLED_ROWS if course_code else 0) + 2):
                ws.cell(row=row, column=position + 1).number_format = TEXT
    if course_code:
        for row in range(2, PREFILLED_ROWS + 2):
            as_text(ws.cell(row=row, column=1, value=course_code)).number_format = TEXT
    _instructions(workbook.create_sheet(INSTRUCTIONS_SHEET), columns, course_code, lang)
    return _xlsx(workbook)


def _instructions(ws: object, columns: list[Column], course_code: str | None, lang: Lang) -> None:
    from openpyxl.worksheet.worksheet import Worksheet

    assert isinstance(ws, Worksheet)
    zh = lang == "zh"
    ws.append(["填写说明" if zh else "How to fill in the sheet"])
    ws["A1"].font = Font(bold=True, size=14)
    general = (
        [
            "1. 每行一名学员，从第 2 行开始填写；不要改动第 1 行的列标题"
            "（可以增加本机构自己的列，如序号、民族、备注，导入时会忽略）。",
            "2. 身份证号码、手机号码等列已设为文本格式。从别的表格粘贴时请用“选择性粘贴 → 数值”，"
            "不要把这些列改成“常规”或“数值”，否则 Excel 会把身份证号码变成 6.53121E+17 并丢失后三位。",
            "3. 带下拉列表的列（等级、是否合格、性别）可以从列表中选择，"
            "也可以按常见写法填写（如 4级、中级工、是、√）。",
            "4. 上传后若有错误，可下载“错误工作簿”：出错的单元格标红并附批注，"
            "最右侧“错误说明”列写明原因；改正后直接重新上传即可。",
        ]
        if zh
        else [
            "1. One trainee per row from row 2; keep the titles in row 1 (extra columns of your own are ignored).",
            "2. The ID and phone columns are Text: paste values only, never switch them to General or Number.",
            "3. Drop-down columns also accept the usual spellings (4级, 中级工, yes, √).",
            "4. If the upload has errors, download the error workbook, fix the marked cells and upload it again.",
        ]
    )
    if course_code:
        general.append(
            f"5. 课程编码已预填为 {course_code}（前 {PREFILLED_ROWS} 行）；只有课程编码的行不会被导入。"
            if zh
            else f"5. The course code {course_code} is filled in on the first {PREFILLED_ROWS} rows; a row with "
            "only the course code is not imported."
        )
    for line in general:
        ws.append(xlsx_row(ws, [line]))
    ws.append([])
    ws.append(["列" if zh else "column", "说明" if zh else "what to write"])
    for column in columns:
        hint = _HINTS[column.field]
        ws.append(xlsx_row(ws, [column.title if zh else column.title_en, hint[0] if zh else hint[1]]))
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 90
