"""POST /api/v1/completions/import: CSV in UTF-8, UTF-8 with BOM or GB18030, Chinese or English headers (the
spreadsheet import as a whole is tested in test_sheet_import.py)."""

from __future__ import annotations

from tests.factories import id_number
from tests.integration.conftest import World
from tests.integration.test_completions import counts

CHINESE_HEADER = "课程编码,姓名,身份证号,性别,结业日期,学时,是否合格,鉴定等级,理论成绩,实操成绩,鉴定日期\n"
ENGLISH_HEADER = "course_code,name,id_number,completed_on,hours,passed,assessment_level\n"


def chinese_rows(n: int) -> str:
    return "".join(
        f"CG-2025-01,阿依古丽·吐尔逊,{id_number(i)},女,2025/05/30,160,是,四级,80,90.5,2025-05-28\n"
        if int(id_number(i)[16]) % 2 == 0
        else f"CG-2025-01,买买提•艾力,{id_number(i)},男,2025-05-30,160,合格,4,80,90,2025-05-28\n"
        for i in range(n)
    )


async def post_csv(world: World, data: bytes, dry_run: bool = False) -> tuple[int, dict]:
    response = await world.client.post(
        "/api/v1/completions/import" + ("?dry_run=true" if dry_run else ""),
        content=data,
        headers={**world.evaluator, "content-type": "text/csv"},
    )
    return response.status_code, response.json()


async def test_a_gb18030_file_with_chinese_headers_is_imported(world: World) -> None:
    status, body = await post_csv(world, (CHINESE_HEADER + chinese_rows(30)).encode("gb18030"))
    assert status == 201, body
    assert body["created"] == 30
    trainee = await world.client.get(f"/api/v1/trainees/{body['rows'][0]['trainee_id']}", headers=world.evaluator)
    assert trainee.json()["name"] == "买买提·艾力"  # look-alike dot normalised
    assert trainee.json()["completions"][0]["assessment_level"] == 4


async def test_utf8_with_bom_and_english_headers(world: World) -> None:
    data = ENGLISH_HEADER + f"CG-2025-01,张伟,{id_number(5).lower()},2025-05-30,160,true,4\n"
    status, body = await post_csv(world, b"\xef\xbb\xbf" + data.encode())
    assert status == 201, body
    assert body["created"] == 1


async def test_a_missing_column_is_named(world: World) -> None:
    data = "course_code,name,id_number,completed_on,passed\nCG-2025-01,张伟,650102199001011239,2025-05-30,true\n"
    status, problem = await post_csv(world, data.encode())
    assert status == 422
    assert problem["errors"] == [
        {"field": "hours", "code": "missing_column", "message": problem["errors"][0]["message"], "row": 1}
    ]
    assert "学时" in problem["errors"][0]["message"]


async def test_a_broken_encoding_is_a_clear_error(world: World) -> None:
    status, problem = await post_csv(world, CHINESE_HEADER.encode("gb18030") + b"\xff\xfe\x80\x80,\xff\n")
    assert status == 422
    assert problem["errors"][0]["code"] == "encoding"


async def test_a_bad_cell_names_its_row_and_nothing_is_written(world: World) -> None:
    rows = chinese_rows(5).splitlines()
    rows[3] = rows[3].replace("2025-05-30", "2025-13-40").replace("2025/05/30", "2025-13-40")
    before = await counts(world)
    status, problem = await post_csv(world, (CHINESE_HEADER + "\n".join(rows) + "\n").encode("gb18030"))
    assert status == 422
    assert problem["errors"][0]["row"] == 5  # the sheet row: the header is row 1, the fourth data row is row 5
    assert problem["errors"][0]["field"] == "completed_on"
    assert problem["errors"][0]["column"] == "结业日期"
    assert await counts(world) == before


async def test_full_width_digits_in_cells_are_read(world: World) -> None:
    full = id_number(9).translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    data = ENGLISH_HEADER + f"CG-2025-01,李娜,{full},２０２５-０５-３０,１６０,是,４\n"
    status, body = await post_csv(world, data.encode())
    assert status == 201, body
