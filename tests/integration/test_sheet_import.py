"""Spreadsheets as schools really have them, through POST /api/v1/completions/import: real .xlsx files written
with openpyxl (title row, blank row, the school's own columns, number and date cells), CSV as Excel saves it, and
multipart uploads; errors in the clerk's words, all in one pass; the error workbook and the templates."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from tests.factories import check_char, id_number
from tests.integration.conftest import COURSE, World
from tests.integration.test_completions import counts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT = "/api/v1/completions/import"
TITLE = "2025年第二期电工培训结业名单"
HEADER = ["序号", "课程编码", "姓名", "身份证号码", "性别", "民族", "结业日期", "学时", "是否合格", "鉴定等级",
          "鉴定日期", "备注"]  # fmt: skip


def male(seq: int) -> bool:
    return int(id_number(seq)[16]) % 2 == 1


def quirky_rows(n: int, start: int = 0) -> list[list[object]]:
    """Rows as a clerk types them: 男性/女性, date cells, 120.0 hours, √, 4级 / 高级 / 中级工."""
    levels = ("4级", "高级", "中级工", "四级（中级工）", 4.0)
    return [
        [i + 1, COURSE["code"], "阿依古丽·吐尔逊", id_number(start + i), "男性" if male(start + i) else "女性",
         "维吾尔", dt.date(2025, 5, 30), 120.0, "√", levels[i % len(levels)], dt.datetime(2025, 5, 28), "", None, None]
        for i in range(n)
    ]  # fmt: skip


def quirky_xlsx(rows: list[list[object]], header: list[str] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    ws = workbook.active
    assert isinstance(ws, Worksheet)
    ws.append([TITLE])
    ws.merge_cells("A1:L1")
    ws.append([])
    ws.append(header or HEADER)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def post_sheet(
    world: World, data: bytes, query: str = "", content_type: str = "application/octet-stream", **headers: str
) -> tuple[int, dict]:
    response = await world.client.post(
        IMPORT + query, content=data, headers={**world.evaluator, "content-type": content_type, **headers}
    )
    return response.status_code, response.json()


async def test_a_real_xlsx_with_a_title_row_and_the_schools_own_columns_imports(world: World) -> None:
    status, body = await post_sheet(world, quirky_xlsx(quirky_rows(10)))
    assert status == 201, body
    assert body["created"] == 10
    assert [r["sheet_row"] for r in body["rows"]] == list(range(4, 14))  # header on row 3: the first data row is 4
    codes = {(w["code"], w.get("column")) for w in body["warnings"]}
    assert ("rows_above_header", None) in codes
    assert {("unknown_column", c) for c in ("序号", "民族", "备注")} <= codes
    assert "第 3 行" in body["warnings"][0]["message"]
    levels = []
    for row in body["rows"][:3]:
        trainee = await world.client.get(f"/api/v1/trainees/{row['trainee_id']}", headers=world.evaluator)
        levels.append(trainee.json()["completions"][0]["assessment_level"])
    assert levels == [4, 3, 4]  # 4级, 高级 (= 三级, 高级工), 中级工


async def test_a_browser_or_postman_multipart_upload_is_read(world: World) -> None:
    response = await world.client.post(
        IMPORT + "?dry_run=true",
        files={"file": ("结业名单.xlsx", quirky_xlsx(quirky_rows(3)), XLSX)},
        headers=world.evaluator,
    )
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["rows"]] == ["valid"] * 3
    # curl -F upload=@x.csv: a part with another name, and a CSV inside
    csv = "课程编码,姓名,身份证号,结业日期,学时,是否合格,等级\n"
    csv += f"{COURSE['code']},张伟,{id_number(3)},2025-05-30,160,是,4\n"
    response = await world.client.post(
        IMPORT, files={"upload": ("list.csv", csv.encode("gb18030"), "text/csv")}, headers=world.evaluator
    )
    assert response.status_code == 201, response.text


async def test_a_multipart_request_without_a_file_is_a_clear_error(world: World) -> None:
    response = await world.client.post(IMPORT, files={"note": (None, "x")}, headers=world.evaluator)
    assert response.status_code == 422
    assert response.json()["errors"][0] == {"field": "file", "code": "required", "message": "请以 file 字段上传文件"}


async def test_a_clean_sheet_with_only_domain_errors_or_a_conflict_names_sheet_rows(world: World) -> None:
    rows = quirky_rows(3)
    rows[2][1] = "NO-SUCH-COURSE"
    status, problem = await post_sheet(world, quirky_xlsx(rows), "?dry_run=true")
    assert status == 422
    assert [(e["row"], e["column"], e["code"]) for e in problem["errors"]] == [(6, "课程编码", "unknown_course")]
    status, _ = await post_sheet(world, quirky_xlsx(quirky_rows(2)))
    assert status == 201
    changed = quirky_rows(2)
    changed[1][7] = 100.0  # other hours for an already registered completion
    status, problem = await post_sheet(world, quirky_xlsx(changed))
    assert status == 409
    assert [(e["row"], e["code"]) for e in problem["errors"]] == [(5, "completion_exists")]


async def test_excel_csv_in_gb18030_with_tabs_crlf_title_and_empty_columns(world: World) -> None:
    lines = [TITLE + "\t\t\t\t\t\t\t\t", "\t\t\t\t\t\t\t\t",
             "序号\t课程编码\t姓名\t身份证号\t性别\t结业日期\t学时\t是否合格\t技能等级\t\t"]  # fmt: skip
    dates = ("2025/5/30", "2025.5.30", "20250530", "2025年5月30日", "45807", "2025-05-30 00:00:00")
    for i, date in enumerate(dates):
        gender = "男" if male(i) else "女"
        lines.append(f"{i + 1}\t{COURSE['code']}\t张伟\t'{id_number(i)}\t{gender}\t{date}\t120.0\t合格\t中级\t\t")
    status, body = await post_sheet(world, "\r\n".join(lines).encode("gb18030"), "?dry_run=true", "text/plain")
    assert status == 200, body
    assert body["total"] == len(dates)
    assert {w["code"] for w in body["warnings"]} >= {"rows_above_header", "unknown_column", "empty_column"}


async def test_utf8_with_bom_english_headers_and_other_spellings(world: World) -> None:
    rows = [f"{COURSE['code']},Li Na,{id_number(i)},{'M' if male(i) else 'F'},2025-05-30,120,{p},level 4"
            for i, p in enumerate(("Y", "true", "1", "✔", "通过"))]  # fmt: skip
    text = "Course,Name,ID Number,Gender,completed_on,Hours,Passed,Level\n" + "\n".join(rows) + "\n"
    status, body = await post_sheet(world, b"\xef\xbb\xbf" + text.encode(), "?dry_run=true", "text/csv")
    assert status == 200, body
    assert body["total"] == 5


def _damaged(rows: list[list[object]], value: object) -> list[list[object]]:
    for row in rows:
        row[3] = value(row[3]) if callable(value) else value
    return rows


async def test_an_id_column_excel_turned_into_numbers_is_reported_once(world: World) -> None:
    before = await counts(world)
    data = quirky_xlsx(_damaged(quirky_rows(40), lambda text: float(text.replace("X", "0"))))
    status, problem = await post_sheet(world, data)
    assert status == 422
    assert problem["total_errors"] == 1, problem["errors"][:3]
    (error,) = problem["errors"]
    assert (error["field"], error["code"], error["column"]) == ("trainee.id_number", "id_excel_numeric", "身份证号码")
    assert "共 40 行" in error["message"] and "第 4 行" in error["message"]
    assert "文本" in error["message"] and "重新导出" in error["message"]
    assert await counts(world) == before
    status, problem = await post_sheet(world, data, "?lang=en")
    assert "Text" in problem["errors"][0]["message"] and "export" in problem["errors"][0]["message"]


async def test_scientific_notation_and_zeroed_tails_are_told_once_each(world: World) -> None:
    rows = _damaged(quirky_rows(5), "6.53121E+17")
    zeroed = [id_number(i)[:15] + "000" for i in range(10, 14)]
    zeroed = [z for z in zeroed if check_char(z[:17]) != "0"]
    rows += [[9, COURSE["code"], "张伟", z, None, None, "2025-05-30", 120, "是", 4] for z in zeroed]
    status, problem = await post_sheet(world, quirky_xlsx(rows))
    assert status == 422
    assert [e["code"] for e in problem["errors"]] == ["id_excel_scientific", "id_excel_zeroed"]
    assert problem["summary"] == {"id_excel_scientific": 1, "id_excel_zeroed": 1}


async def test_messages_are_chinese_name_the_clerks_column_and_the_sheet_row(world: World) -> None:
    rows = quirky_rows(3)
    rows[1][6] = "2025-13-45"
    header = [*HEADER]
    header[6] = "结业时间"  # a synonym: the error names the clerk's own header
    data = quirky_xlsx(rows, header)
    status, problem = await post_sheet(world, data)
    assert status == 422
    (error,) = problem["errors"]
    assert error == {"field": "completed_on", "code": "invalid_date", "row": 5, "column": "结业时间",
                     "message": error["message"]}  # fmt: skip
    assert "「结业时间」不是日期" in error["message"]
    assert "1 行" in problem["detail"]
    assert [w["code"] for w in problem["warnings"]][:1] == ["rows_above_header"]
    for headers, query in (({"accept-language": "en-US,en;q=0.9"}, ""), ({"accept-language": "zh-CN"}, "?lang=en")):
        status, problem = await post_sheet(world, data, query, **headers)
        assert problem["errors"][0]["message"].startswith("结业时间 is not a date")
    status, problem = await post_sheet(world, data, "", **{"accept-language": "zh-CN,en;q=0.8"})
    assert "不是日期" in problem["errors"][0]["message"]


async def test_format_and_domain_errors_come_in_one_pass(world: World) -> None:
    rows = quirky_rows(7)
    rows[0][6] = "昨天"  # row 4: a bad date (format)
    rows[1][1] = "NO-SUCH-COURSE"  # row 5: an unknown course (domain)
    bad_check = id_number(2)[:17] + ("0" if id_number(2)[17] != "0" else "1")
    rows[2][3] = bad_check  # row 6: a mistyped ID (domain)
    rows[3][4] = "女性" if male(3) else "男性"  # row 7: gender does not match the ID (domain)
    rows[4][7] = "120.5"  # row 8: hours with a fraction (format) ...
    rows[4][1] = "NO-SUCH-COURSE"  # ... and an unknown course in the same row (domain)
    rows[5][3], rows[5][4] = id_number(0), rows[0][4]  # row 9: the same trainee as row 4 (whose date was bad)
    status, problem = await post_sheet(world, quirky_xlsx(rows))
    assert status == 422
    found = [(e["row"], e["code"], e["column"]) for e in problem["errors"]]
    assert found == [
        (4, "invalid_date", "结业日期"),
        (5, "unknown_course", "课程编码"),
        (6, "id_checksum", "身份证号码"),
        (7, "gender_mismatch", "性别"),
        (8, "unknown_course", "课程编码"),
        (8, "hours_fraction", "学时"),
        (9, "duplicate_in_batch", "身份证号码"),
    ]
    messages = {e["row"]: e["message"] for e in problem["errors"]}
    assert "NO-SUCH-COURSE" in messages[5] and "第 4 行" in messages[9]


async def test_the_answer_is_capped_with_a_total_and_a_count_per_code(world: World) -> None:
    rows = quirky_rows(260)
    for row in rows:
        row[7] = "一百二十"
    rows[0][8] = "也许"
    status, problem = await post_sheet(world, quirky_xlsx(rows))
    assert status == 422
    assert len(problem["errors"]) == 200
    assert problem["total_errors"] == 261
    assert problem["summary"] == {"invalid_hours": 260, "invalid_passed": 1}


def _workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


async def test_the_error_workbook_marks_bad_cells_and_its_corrected_copy_imports(world: World) -> None:
    rows = quirky_rows(6)
    rows[1][6] = "2025-02-30"
    rows[3][1] = "NO-SUCH-COURSE"
    response = await world.client.post(
        IMPORT + "/errors", files={"file": ("名单.xlsx", quirky_xlsx(rows), XLSX)}, headers=world.evaluator
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(XLSX)
    assert response.headers["x-total-errors"] == "2"
    ws = _workbook(response.content).worksheets[0]
    assert ws["A1"].value == TITLE  # the clerk's sheet as it was, row for row
    note = len(HEADER) + 1
    assert ws.cell(row=3, column=note).value == "错误说明"
    bad_date, bad_course = ws["G5"], ws["B7"]
    assert bad_date.fill.fgColor.rgb == "FFFFC7CE" and "不是日期" in bad_date.comment.text
    assert bad_course.fill.fgColor.rgb == "FFFFC7CE" and "NO-SUCH-COURSE" in bad_course.comment.text
    assert "不是日期" in ws.cell(row=5, column=note).value
    assert ws.cell(row=4, column=note).value is None
    assert ws["G4"].comment is None
    # the clerk fixes the two cells in Excel and uploads the same workbook again
    bad_date.value = dt.date(2025, 5, 29)
    bad_course.value = COURSE["code"]
    fixed = io.BytesIO()
    ws.parent.save(fixed)
    status, body = await post_sheet(world, fixed.getvalue())
    assert status == 201, body
    assert body["created"] == 6
    assert "note_column" in {w["code"] for w in body["warnings"]}


async def test_a_csv_upload_gets_its_error_workbook_as_xlsx_with_damage_marked(world: World) -> None:
    text = "姓名,身份证号,课程编码,结业日期,学时,是否合格,等级\n" + "".join(
        f"张伟,6.53121E+17,{COURSE['code']},2025-05-30,120,是,4\n" for _ in range(3)
    )
    response = await world.client.post(
        IMPORT + "/errors?lang=en", content=text.encode(), headers={**world.evaluator, "content-type": "text/csv"}
    )
    assert response.status_code == 200
    assert response.headers["x-total-errors"] == "1"
    book = _workbook(response.content)
    ws = book.worksheets[0]
    assert [ws.cell(row=r, column=2).comment is not None for r in (2, 3, 4)] == [True] * 3
    assert "scientific" in ws["B2"].comment.text
    assert book.worksheets[1].cell(row=2, column=4).value == "id_excel_scientific"


async def test_templates_for_each_course_kind(world: World) -> None:
    def sheet(response) -> tuple[Worksheet, list[str]]:  # type: ignore[no-untyped-def]
        assert response.status_code == 200, response.text
        book = _workbook(response.content)
        assert "填写说明" in book.sheetnames
        ws = book.worksheets[0]
        return ws, [c.value for c in ws[1]]

    ws, titles = sheet(await world.client.get("/api/v1/completions/template.xlsx", headers=world.evaluator))
    assert titles[:3] == ["课程编码", "姓名", "身份证号码"] and "鉴定等级" in titles
    assert ws.column_dimensions["C"].number_format == "@"
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    letters = {t: chr(65 + i) for i, t in enumerate(titles)}
    assert "四级（中级工）" in lists[letters["鉴定等级"]]
    assert lists[letters["是否合格"]] == '"合格,不合格"'
    assert lists[letters["性别"]] == '"男,女"'
    _, training = sheet(
        await world.client.get("/api/v1/completions/template.xlsx?outcome=training", headers=world.evaluator)
    )
    assert "鉴定等级" not in training and "毕业证书编号" not in training
    _, dual = sheet(
        await world.client.get("/api/v1/completions/template.xlsx?dual_rule=graduation_skill", headers=world.evaluator)
    )
    assert dual[-1] == "毕业证书编号"


async def test_a_filled_template_imports_cleanly(world: World) -> None:
    response = await world.client.get(f"/api/v1/courses/{COURSE['code']}/template.xlsx", headers=world.evaluator)
    assert response.status_code == 200
    book = _workbook(response.content)
    ws = book.worksheets[0]
    assert ws["A2"].value == COURSE["code"] and ws["A150"].value == COURSE["code"]
    for i in range(3):
        values = ["买买提·艾力", id_number(i), "男" if male(i) else "女", "650102", "13800138000",
                  dt.date(2025, 5, 30), 160, "合格", "四级（中级工）", dt.date(2025, 5, 28), 80, 90.5]  # fmt: skip
        for column, value in enumerate(values, start=2):
            ws.cell(row=i + 2, column=column, value=value)
    out = io.BytesIO()
    book.save(out)
    status, body = await post_sheet(world, out.getvalue())
    assert status == 201, body
    assert body["created"] == 3 and body["warnings"] == []
    assert [r["sheet_row"] for r in body["rows"]] == [2, 3, 4]


async def test_a_dry_run_then_the_real_import_with_the_same_idempotency_key(world: World) -> None:
    data = quirky_xlsx(quirky_rows(2))
    key = {"idempotency-key": "sheet-2025-05-30"}
    status, body = await post_sheet(world, data, "?dry_run=true", **key)
    assert status == 200 and body["dry_run"], body
    status, body = await post_sheet(world, data, "", **key)
    assert status == 201 and body["created"] == 2, body
    # retries of the same file as form uploads (httpx, like curl, draws a new multipart boundary each time)
    for _ in range(2):
        response = await world.client.post(
            IMPORT, files={"file": ("名单.xlsx", data, XLSX)}, headers={**world.evaluator, **key}
        )
        assert response.status_code == 201, response.text
        assert response.headers["idempotent-replayed"] == "true"


async def test_files_that_are_not_sheets_are_refused_clearly(world: World) -> None:
    for data, code in ((b"", "empty"), (b"PK\x03\x04garbage", "malformed"),
                       (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "malformed"),
                       ("只有一行字".encode(), "no_header"), (b"\x81\x30\xff\xff\xfe", "encoding")):  # fmt: skip
        status, problem = await post_sheet(world, data)
        assert status == 422, (data, problem)
        assert problem["errors"][0]["code"] == code, (data, problem)
    header = "姓名,身份证号,课程编码,结业日期,学时,是否合格\n"
    status, problem = await post_sheet(world, header.encode())
    assert problem["errors"][0]["code"] == "no_rows"
    status, problem = await post_sheet(world, ("姓名,姓名," + header).encode())
    assert problem["errors"][0]["code"] == "duplicate_column"
