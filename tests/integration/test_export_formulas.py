"""Every CSV and XLSX the ledger hands out is safe to open in Excel (#12 point 6): text that starts like a formula
(= + - @, tab, CR) is quoted in CSV and stored as quote-prefixed text in XLSX; no cell of any export is a formula."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from tests.factories import completion, id_number
from tests.integration.conftest import COURSE, World
from tests.integration.test_certificates import certificates, register
from tests.integration.test_dashboard import PLAN, secret_of, sign_in

pytestmark = pytest.mark.https  # the dashboard's cookies are Secure

EVIL = '=HYPERLINK("http://evil.example/","点此")'
STARTS = ("=", "+", "-", "@", "\t", "\r")


def assert_no_formula_in_xlsx(content: bytes) -> int:
    """No cell is a formula, and every text that starts like one carries the quote prefix; the count of those."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    guarded = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(STARTS):
                    assert cell.data_type == "s" and cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
                    guarded += 1
    return guarded


def assert_no_formula_in_csv(content: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    for row in rows:
        for field in row:
            if field.startswith(STARTS):
                number = field.lstrip("-").replace(".", "", 1)
                assert number.isdigit(), f"unquoted formula-like field {field!r}"  # a negative number stays one
    return rows


async def test_the_exports_hold_no_formula(world: World) -> None:
    plan = {**PLAN, "name": EVIL}
    assert (await world.client.put("/api/v1/plans/xj-evil", json=plan, headers=world.bureau)).status_code == 200
    await register(world, [completion(1), completion(2)])
    skill, other = [c for c in await certificates(world) if c["kind"] == "skill_level"]
    for certificate, action, reason in ((skill, "revoke", "@SUM(1+1)"), (other, "suspend", "-2+3")):
        response = await world.client.post(
            f"/api/v1/certificates/{certificate['number']}/{action}", json={"reason": reason}, headers=world.evaluator
        )
        assert response.status_code == 200, response.text

    plans = "/api/v1/stats/plan-progress"
    stats_csv = await world.client.get(plans, params={"format": "csv"}, headers=world.bureau)
    assert any(f"'{EVIL}" in row for row in assert_no_formula_in_csv(stats_csv.content))
    stats_xlsx = await world.client.get(plans, params={"format": "xlsx"}, headers=world.bureau)
    assert assert_no_formula_in_xlsx(stats_xlsx.content) >= 1

    listed = "/api/v1/certificates/export"
    list_csv = await world.client.get(listed, params={"format": "csv"}, headers=world.evaluator)
    fields = {field for row in assert_no_formula_in_csv(list_csv.content) for field in row}
    assert {"'@SUM(1+1)", "'-2+3"} <= fields
    list_xlsx = await world.client.get(listed, params={"format": "xlsx"}, headers=world.evaluator)
    assert assert_no_formula_in_xlsx(list_xlsx.content) == 2

    await sign_in(world.client, secret_of(world.bureau))
    dash_xlsx = await world.client.get("/dashboard/export/plan_progress", params={"format": "xlsx", "plans": "all"})
    assert dash_xlsx.status_code == 200 and assert_no_formula_in_xlsx(dash_xlsx.content) >= 1
    dash_csv = await world.client.get("/dashboard/export/plan_progress", params={"format": "csv", "plans": "all"})
    assert any(f"'{EVIL}" in row for row in assert_no_formula_in_csv(dash_csv.content))


async def test_the_error_workbook_and_templates_hold_no_formula(world: World) -> None:
    course = {**COURSE, "code": "-EVIL", "name": "+车工"}
    assert (await world.client.post("/api/v1/courses", json=course, headers=world.evaluator)).status_code == 201
    out = io.StringIO()
    csv.writer(out).writerows([
        ["课程编码", "姓名", "身份证号码", "结业日期", "学时", "是否合格", "鉴定等级", "备注"],
        ["-EVIL", "张伟", id_number(3), "2025-05-30", EVIL, "是", "4", "@cmd"],
        ["-EVIL", "李娜", id_number(5), "2025-05-30", "-160", "是", "4", "+1"],
    ])  # fmt: skip
    data = out.getvalue().encode()
    book = await world.client.post(
        "/api/v1/completions/import/errors", content=data, headers={**world.evaluator, "content-type": "text/csv"}
    )
    assert book.status_code == 200 and int(book.headers["X-Total-Errors"]) >= 2
    assert assert_no_formula_in_xlsx(book.content) >= 5  # the two codes, the formula, @cmd, +1
    first = openpyxl.load_workbook(io.BytesIO(book.content)).worksheets[0]
    assert [c.value for c in first[2]][4] == EVIL, "the cell comes back as typed, to fix and upload again"
    template = await world.client.get("/api/v1/courses/-EVIL/template.xlsx", headers=world.evaluator)
    assert template.status_code == 200 and assert_no_formula_in_xlsx(template.content) == 200
    kind = await world.client.get("/api/v1/completions/template.xlsx?outcome=skill_level", headers=world.evaluator)
    assert_no_formula_in_xlsx(kind.content)
