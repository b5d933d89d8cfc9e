"""Exports a bureau can file (#13 point 1): every statistics export, opened as Excel opens it — headers in 中文 with
units (English with lang=en), shares as percentages, number formats, a title block, a frozen header, widths, a
file name that says figure, region and date, and a note wherever a total is not the sum of its rows."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import unquote

import openpyxl
import pytest

from tests.integration.conftest import World
from tests.integration.test_stats_api import seed

TALENT = "/api/v1/stats/talent?as_of=2024-12-31&group_by=prefecture"
EVERY_EXPORT = [
    ("talent?as_of=2024-12-31", "技能人才_新疆维吾尔自治区_2024-12-31", "talent_650000_2024-12-31"),
    ("talent?as_of=2024-12-31&group_by=prefecture,level", "技能人才按地州和等级_新疆维吾尔自治区_2024-12-31",
     "talent_by-prefecture-level_650000_2024-12-31"),
    ("training?from=2023-01-01&to=2025-12-31&group_by=year",
     "职业技能培训按年份_新疆维吾尔自治区_2023-01-01_2025-12-31", "training_by-year_650000_2023-01-01_2025-12-31"),
    ("certificates?from=2023-01-01&to=2023-12-31&jurisdiction=zizhiqu",
     "取证_新疆维吾尔自治区全区不含兵团_2023-01-01_2023-12-31", "certificates_650000_zizhiqu_2023-01-01_2023-12-31"),
    ("dual?from=2024-01-01&to=2024-12-31", "双证书_新疆维吾尔自治区_2024-01-01_2024-12-31",
     "dual_650000_2024-01-01_2024-12-31"),
    ("new-high-skill?from=2024-01-01&to=2024-12-31", "新增高技能人才_新疆维吾尔自治区_2024-01-01_2024-12-31",
     "new-high-skill_650000_2024-01-01_2024-12-31"),
    ("plan-progress?as_of=2025-12-31", "规划目标进度_新疆维吾尔自治区_2025-12-31", "plan-progress_650000_2025-12-31"),
    ("talent?as_of=2024-12-31&publish=true&region=653100", "技能人才_喀什地区_2024-12-31_发布版",
     "talent_653100_2024-12-31_published"),
]  # fmt: skip


def names(disposition: str) -> tuple[str, str]:
    """The ASCII `filename` and the UTF-8 `filename*` of a Content-Disposition."""
    fallback = re.search(r'filename="([^"]+)"', disposition)
    utf8 = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    assert fallback and utf8, disposition
    return fallback.group(1), unquote(utf8.group(1))


def header_row(sheet) -> int:
    """The header is the row the pane is frozen below."""
    frozen = sheet.freeze_panes
    assert frozen and frozen.startswith("A"), frozen
    return int(frozen[1:]) - 1


@pytest.mark.parametrize(("query", "stem", "ascii_stem"), EVERY_EXPORT)
async def test_every_export_is_named_and_laid_out_for_filing(
    world: World, query: str, stem: str, ascii_stem: str
) -> None:
    await seed(world.settings.database_url or "")
    for output in ("csv", "xlsx"):
        response = await world.client.get(f"/api/v1/stats/{query}&format={output}", headers=world.bureau)
        assert response.status_code == 200, response.text
        assert names(response.headers["content-disposition"]) == (f"{ascii_stem}.{output}", f"{stem}.{output}")
        if output == "csv":
            assert response.headers["content-type"] == "text/csv; charset=utf-8"  # one charset, not two
            assert response.content.startswith("\ufeff".encode()), "a BOM, so Excel reads the Chinese right"
            header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(response.content))["数据"]
            at = header_row(sheet)
            header = [c.value for c in sheet[at]]
            assert sheet["A1"].font.bold and str(sheet["A1"].value).startswith(stem.split("_")[0] + " · ")
            block = [str(sheet.cell(row=r, column=1).value) for r in range(2, at)]
            assert any(line.startswith("口径 1：") for line in block), block
            assert any(line.startswith("基线：") for line in block) and any(line.startswith("地区：") for line in block)
            for cell in sheet[at]:
                assert cell.font.bold
                assert sheet.column_dimensions[cell.column_letter].width >= 8
        assert all(re.search(r"[\u4e00-\u9fff]", h) for h in header), header  # Chinese, every one


async def test_headers_carry_units_and_shares_are_percentages(world: World) -> None:
    await seed(world.settings.database_url or "")
    csv_body = (await world.client.get(TALENT + "&format=csv", headers=world.bureau)).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_body)))
    assert rows[0] == ["地州代码", "地州", "技能人才（人）", "高技能人才（人）", "高技能人才占比（%）"]
    assert rows[1] == ["650100", "乌鲁木齐市", "6", "1", "16.67"]  # a share of 0.1667 is 16.67 %
    assert rows[3] == ["合计", "", "8", "3", "37.5"]
    assert ["# 基线", "含基线"] in rows and ["# 统计日", "2024-12-31"] in rows

    book = openpyxl.load_workbook(io.BytesIO((await world.client.get(TALENT + "&format=xlsx",
                                                                     headers=world.bureau)).content))  # fmt: skip
    sheet = book["数据"]
    assert sheet["A1"].value == "技能人才按地州 · 新疆维吾尔自治区 · 截至 2024-12-31"
    at = header_row(sheet)
    first = {c.column_letter: c for c in sheet[at + 1]}
    assert first["A"].value == "650100" and first["A"].data_type == "s", "codes stay text"
    assert (first["C"].value, first["C"].number_format) == (6, "#,##0")
    assert (first["E"].value, first["E"].number_format) == (0.1667, "0.0%")  # Excel shows 16.7%
    total = sheet[at + 3]
    assert total[0].value == "合计" and total[2].value == 8 and total[2].font.bold

    english = await world.client.get(TALENT + "&format=xlsx&lang=en", headers=world.bureau)
    sheet = openpyxl.load_workbook(io.BytesIO(english.content))["data"]
    at = header_row(sheet)
    assert [c.value for c in sheet[at]] == ["Prefecture code", "Prefecture", "Skilled talent (persons)",
                                            "High-skill talent (persons)", "High-skill share (%)"]  # fmt: skip
    assert str(sheet["A1"].value).startswith("talent by prefecture · 650000")
    assert names(english.headers["content-disposition"])[1] == "talent_by-prefecture_650000_2024-12-31.xlsx"
    by_header = await world.client.get(TALENT + "&format=csv", headers={**world.bureau, "Accept-Language": "en-GB"})
    assert by_header.content.decode("utf-8-sig").startswith("Prefecture code,Prefecture,Skilled talent (persons)")


async def test_a_total_that_is_not_the_sum_of_its_rows_says_why(world: World) -> None:
    await seed(world.settings.database_url or "")  # person 0 trained in 2023 and 2024: 2 rows, 1 person
    query = "/api/v1/stats/training?from=2023-01-01&to=2025-12-31&group_by=year"
    body = (await world.client.get(query, headers=world.bureau)).json()
    assert body["total_not_sum_of_rows"] == ["persons"]
    assert sum(r["persons"] for r in body["rows"]) > body["total"]["persons"]
    csv_rows = list(csv.reader(io.StringIO((await world.client.get(query + "&format=csv", headers=world.bureau))
                                           .content.decode("utf-8-sig"))))  # fmt: skip
    total_at = next(i for i, r in enumerate(csv_rows) if r and r[0] == "合计")
    assert csv_rows[total_at + 1][0].startswith("注：「培训人数（按人去重）（人）」合计不等于各行之和（合计按人去重")
    assert not any("职业技能培训（人次）」合计" in r[0] for r in csv_rows if r), "person-times do add up"
    xlsx = await world.client.get(query + "&format=xlsx", headers=world.bureau)
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["数据"]
    column_a = [c.value for c in sheet["A"]]
    note = column_a[column_a.index("合计") + 1]
    assert str(note).startswith("注：「培训人数（按人去重）（人）」")

    by_year = (await world.client.get("/api/v1/stats/talent?as_of=2025-06-30&group_by=year&first_year=2023",
                                      headers=world.bureau)).json()  # fmt: skip
    assert set(by_year["total_not_sum_of_rows"]) == {"talent", "high_skill"}  # stocks of three dates
    plain = (await world.client.get(TALENT, headers=world.bureau)).json()
    assert plain["total_not_sum_of_rows"] == []  # each person in one prefecture: the rows add up


@pytest.mark.https  # the dashboard's cookies are Secure
async def test_the_dashboard_exports_are_the_same_files(world: World) -> None:
    from tests.integration.test_dashboard import secret_of, sign_in

    await seed(world.settings.database_url or "")
    await sign_in(world.client, secret_of(world.bureau))
    page = await world.client.get("/dashboard", params={"as_of": "2024-12-31"})
    link = re.search(r'href="(/dashboard/export/talent\?[^"]*group_by=level[^"]*format=xlsx)"', page.text)
    assert link, "the page links its exports"
    export = await world.client.get(link.group(1).replace("&amp;", "&"))
    assert export.status_code == 200
    assert names(export.headers["content-disposition"])[1] == "技能人才按等级_新疆维吾尔自治区_2024-12-31.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(export.content))["数据"]
    at = header_row(sheet)
    assert [c.value for c in sheet[at]] == ["等级代码", "职业技能等级", "技能人才（人）", "高技能人才（人）",
                                            "高技能人才占比（%）"]  # fmt: skip
