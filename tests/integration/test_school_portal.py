"""The school portal: sign-in with an institution key, its cookie session and CSRF, courses, certificates and their
status actions, downloads (one PDF, a zip of single PDFs, the export), and the front page."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest
from litestar.testing import AsyncTestClient

from tests.factories import completion
from tests.integration.conftest import World
from tests.integration.test_certificates import register
from tests.integration.test_dashboard import csrf_of, revoke, secret_of
from tests.integration.test_sheet_import import XLSX, quirky_rows, quirky_xlsx

pytestmark = [pytest.mark.asyncio, pytest.mark.https]

NEW_COURSE = {
    "code": "HG-2025-07",
    "name": "焊工（四级）培训",
    "occupation_code": "6-18-01-01",
    "starts_on": "2025-07-01",
    "ends_on": "2025-08-30",
    "hours": "120",
    "outcome": "skill_level",
    "target_level": "4",
    "dual_rule": "none",
    "work_type": "",
}


async def sign_in(client: AsyncTestClient, key: str):
    form = await client.get("/school/login")
    assert form.status_code == 200
    return await client.post("/school/login", data={"key": key, "_csrf_token": csrf_of(form.text)})


async def page(client: AsyncTestClient, path: str, status: int = 200) -> str:
    response = await client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return response.text


async def post_form(client: AsyncTestClient, path: str, form_page: str, data: dict, **extra: object):
    token = csrf_of(await page(client, form_page))
    return await client.post(path, data={**data, "_csrf_token": token}, **extra)  # type: ignore[arg-type]


def why(html: str, field: str) -> str:
    match = re.search(rf'id="why-{field}" role="alert">([^<]*)<', html)
    return match.group(1) if match else ""


async def test_a_school_signs_in_and_out(world: World) -> None:
    client = world.client
    assert (await client.get("/school")).headers["location"] == "/school/login", "strangers are sent to sign in"
    response = await sign_in(client, secret_of(world.evaluator))
    assert response.status_code == 303 and response.headers["location"] == "/school"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("ledger_school="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "Path=/school" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "ldg_" not in cookie, "the key itself is never in the cookie"

    overview = await page(client, "/school")
    assert "乌鲁木齐市职业技能鉴定中心" in overview and "CG-2025-01" in overview and "退出" in overview
    assert "default-src 'none'" in (await client.get("/school")).headers["content-security-policy"]
    assert "<script" not in overview

    out = await client.post("/school/logout", data={"_csrf_token": csrf_of(overview)})
    assert out.status_code == 303 and out.headers["location"] == "/school/login"
    assert (await client.get("/school")).status_code == 303


@pytest.mark.parametrize(("who", "status", "message"), [("bureau", 403, "机构密钥"), ("unknown", 401, "密钥无效")])
async def test_only_institution_keys_sign_in(world: World, who: str, status: int, message: str) -> None:
    key = secret_of(world.bureau) if who == "bureau" else "ldg_inst_" + "a" * 32
    response = await sign_in(world.client, key)
    assert response.status_code == status and message in response.text
    assert (await world.client.get("/school")).status_code == 303


async def test_a_form_without_its_csrf_token_is_refused_with_a_page(world: World) -> None:
    client = world.client
    await client.get("/school/login")
    refused = await client.post("/school/login", data={"key": secret_of(world.school)})
    assert refused.status_code == 403 and "页面已过期" in refused.text
    assert refused.headers["content-type"].startswith("text/html"), "a page, not JSON"
    assert (await client.get("/school")).status_code == 303, "not signed in"

    assert (await sign_in(client, secret_of(world.school))).status_code == 303
    forged = await client.post("/school/courses", data={**NEW_COURSE, "_csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert "HG-2025-07" not in await page(client, "/school/courses"), "the forged form created nothing"
    assert (await client.post("/school/logout", data={})).status_code == 403
    assert (await client.get("/school")).status_code == 200, "still signed in"


# Litestar's CSRF middleware parses a multipart form to look for the token and, refusing it, leaves the spooled
# upload for the garbage collector to close
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_an_upload_without_its_csrf_token_is_refused(world: World) -> None:
    assert (await sign_in(world.client, secret_of(world.evaluator))).status_code == 303
    files = {"file": ("名单.xlsx", quirky_xlsx(quirky_rows(1)), XLSX)}
    refused = await world.client.post("/school/upload", files=files)
    assert refused.status_code == 403 and "页面已过期" in refused.text


async def test_a_revoked_key_ends_its_session(world: World) -> None:
    assert (await sign_in(world.client, secret_of(world.school))).status_code == 303
    assert (await world.client.get("/school")).status_code == 200
    await revoke(world, world.school)
    response = await world.client.get("/school/courses")
    assert response.status_code == 303 and response.headers["location"] == "/school/login"


async def test_a_course_is_created_from_the_form(world: World) -> None:
    client = world.client
    await sign_in(client, secret_of(world.evaluator))
    data = {**NEW_COURSE, "mode_tags": ["order", "project"]}
    response = await post_form(client, "/school/courses", "/school/courses/new", data)
    assert response.status_code == 303 and response.headers["location"] == "/school/courses/HG-2025-07"
    shown = await page(client, "/school/courses/HG-2025-07")
    assert "焊工（四级）培训" in shown and "四级/中级工" in shown and "订单式培训、项目制培训" in shown
    api = await client.get("/api/v1/courses/HG-2025-07", headers=world.evaluator)
    assert api.json()["mode_tags"] == ["order", "project"] and api.json()["hours"] == 120

    again = await post_form(client, "/school/courses", "/school/courses/new", data)
    assert again.status_code == 422 and why(again.text, "code") == "本机构已有该课程代码。"


async def test_a_refused_course_says_why_next_to_the_field(world: World) -> None:
    """A skill-level course at a school that is not a filed evaluator: the 422's reason in Chinese, by the field."""
    client = world.client
    await sign_in(client, secret_of(world.school))
    response = await post_form(client, "/school/courses", "/school/courses/new", NEW_COURSE)
    assert response.status_code == 422 and response.headers["content-type"].startswith("text/html")
    assert why(response.text, "outcome").startswith("本机构不是备案的评价机构，不能开设发证课程")
    assert 'value="焊工（四级）培训"' in response.text, "what was typed is kept"

    shapes = {**NEW_COURSE, "code": "焊工 1", "hours": "一百二十", "ends_on": "", "outcome": "training",
              "target_level": ""}  # fmt: skip
    response = await post_form(client, "/school/courses", "/school/courses/new", shapes)
    assert response.status_code == 422
    assert why(response.text, "code").startswith("课程代码由字母")
    assert why(response.text, "hours") == "学时为整数，如 160"
    assert why(response.text, "ends_on") == "此项必填"
    assert "请修改下面标红的 3 项" in response.text

    backwards = {**NEW_COURSE, "outcome": "training", "target_level": "", "ends_on": "2025-06-01"}
    response = await post_form(client, "/school/courses", "/school/courses/new", backwards)
    assert response.status_code == 422 and why(response.text, "ends_on") == "结束日期早于开课日期"
    assert "HG-2025-07" not in await page(client, "/school/courses")


async def _certificates(world: World, rows: int = 3) -> list[dict]:
    await register(world, [completion(i) for i in range(1, rows + 1)])
    response = await world.client.get("/api/v1/certificates", params={"limit": "100"}, headers=world.evaluator)
    return response.json()["items"]


async def test_the_course_page_lists_its_certificates_and_downloads(world: World) -> None:
    made = await _certificates(world)
    client = world.client
    await sign_in(client, secret_of(world.evaluator))
    shown = await page(client, "/school/courses/CG-2025-01")
    for certificate in made:
        assert f'data-number="{certificate["number"]}"' in shown
        assert f'href="/school/certificates/{certificate["number"]}/pdf"' in shown
    assert "职业技能等级证书" in shown and "培训合格证书" in shown and "有效" in shown
    assert "证书（6 张）" in shown

    pdf = await client.get("/school/courses/CG-2025-01/certificates.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    exported = await client.get("/school/certificates/export?format=csv&course_code=CG-2025-01")
    assert exported.status_code == 200 and exported.content.decode("utf-8-sig").count("\n") == 7
    one = await client.get(f"/school/certificates/{made[0]['number']}/pdf")
    assert one.status_code == 200 and one.content.startswith(b"%PDF")
    missing = await client.get("/school/courses/NO-SUCH/certificates.zip")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]


async def test_the_course_zip_holds_one_pdf_per_valid_certificate(world: World) -> None:
    """The zip (API and portal) holds each valid certificate's own stored PDF, named by number and holder."""
    made = await _certificates(world)
    client = world.client
    revoked = made[0]["number"]
    response = await client.post(f"/api/v1/certificates/{revoked}/revoke", json={"reason": "冒名"},
                                 headers=world.evaluator)  # fmt: skip
    assert response.status_code == 200
    single = await client.get(f"/api/v1/certificates/{made[1]['number']}/pdf", headers=world.evaluator)

    api = await client.get("/api/v1/courses/CG-2025-01/certificates.zip", headers=world.evaluator)
    assert api.status_code == 200 and api.headers["content-type"] == "application/zip"
    assert api.headers["content-disposition"] == 'attachment; filename="CG-2025-01.zip"'
    archive = zipfile.ZipFile(io.BytesIO(api.content))
    assert archive.testzip() is None
    valid = {c["number"]: c["holder_name"] for c in made if c["number"] != revoked}
    assert sorted(archive.namelist()) == sorted(f"{n}_{name}.pdf" for n, name in valid.items())
    assert archive.read(f"{made[1]['number']}_{made[1]['holder_name']}.pdf") == single.content, "the stored PDF"
    assert all(archive.read(name).startswith(b"%PDF") for name in archive.namelist())

    await sign_in(client, secret_of(world.evaluator))
    portal = await client.get("/school/courses/CG-2025-01/certificates.zip")
    assert portal.status_code == 200 and portal.content == api.content, "the same archive, the same bytes"
    other = await client.get("/api/v1/courses/CG-2025-01/certificates.zip", headers=world.school)
    assert other.status_code == 404, "another institution's course is not found"


async def test_status_actions_from_the_certificate_page(world: World) -> None:
    made = await _certificates(world)
    number = next(c["number"] for c in made if c["kind"] == "skill_level")
    client = world.client
    await sign_in(client, secret_of(world.evaluator))
    here = f"/school/certificates/{number}"

    def status_of(html: str) -> str:
        match = re.search(r'id="status" data-status="(\w+)"', html)
        assert match
        return match.group(1)

    blank = {"action": "suspend", "reason_code": "other", "reason": " "}
    empty = await post_form(client, f"{here}/status", here, blank)
    assert empty.status_code == 422 and "原因选「其他原因」时，请写明原因" in empty.text
    unknown = await post_form(client, f"{here}/status", here, {"action": "suspend", "reason_code": "exam_misconduct"})
    assert unknown.status_code == 422 and "请从列表中选择原因" in unknown.text, "not a reason this action offers"
    later = {"action": "suspend", "reason_code": "under_review", "effective_on": "2999-01-01"}
    future = await post_form(client, f"{here}/status", here, later)
    assert future.status_code == 422 and "生效日期不能晚于今天" in future.text
    assert status_of(await page(client, here)) == "valid"

    for action, code, status, said in (("suspend", "under_review", "suspended", "证书已暂停"),
                                       ("reinstate", "review_cleared", "valid", "恢复有效"),
                                       ("revoke", "false_material", "revoked", "证书已撤销")):  # fmt: skip
        form = {"action": action, "reason_code": code, "reason": f"{action} 说明"}
        response = await post_form(client, f"{here}/status", here, form)
        assert response.status_code == 303 and response.headers["location"] == f"{here}?done={action}"
        shown = await page(client, response.headers["location"])
        assert status_of(shown) == status and said in shown
    assert "申报材料不实：revoke 说明" in shown and 'id="pdf"' not in shown, "the reason shown; no PDF of it"
    api = (await client.get(f"/api/v1/certificates/{number}", headers=world.evaluator)).json()
    assert (api["status"], api["status_reason_code"]) == ("revoked", "false_material")
    assert api["status_reason"] == "revoke 说明"
    refused = await client.get(f"{here}/pdf")
    assert refused.status_code == 409 and "不提供 PDF" in refused.text, "a revoked certificate is not printed"

    again = await post_form(client, f"{here}/status", here, {"action": "suspend", "reason_code": "under_review"})
    assert again.status_code == 422 and "已撤销的证书不能暂停" in again.text


async def test_a_reissue_from_the_certificate_page_corrects_the_name(world: World) -> None:
    made = await _certificates(world, rows=1)
    original = next(c for c in made if c["kind"] == "skill_level")
    client = world.client
    await sign_in(client, secret_of(world.evaluator))
    here = f"/school/certificates/{original['number']}"
    form = {"reason_code": "name_correction", "reason": "姓名有误", "corrected_name": "张3"}
    bad = await post_form(client, f"{here}/reissue", here, form)
    assert bad.status_code == 422 and "姓名中不能有数字" in bad.text
    response = await post_form(client, f"{here}/reissue", here, {**form, "corrected_name": "张三丰"})
    assert response.status_code == 303
    successor = await page(client, response.headers["location"])
    assert "张三丰" in successor and "已补发新证书" in successor
    old = await page(client, here)
    assert "已被补发替代" in old and 'id="successor"' in old


async def test_the_front_page_leads_to_the_portal(client: AsyncTestClient) -> None:
    home = await client.get("/")
    assert home.status_code == 200 and 'href="/school"' in home.text


def upload_id(location: str) -> str:
    match = re.fullmatch(r"/school/uploads/([0-9a-f-]{36})", location)
    assert match, location
    return match.group(1)


async def upload(client: AsyncTestClient, data: bytes, filename: str = "名单.xlsx"):
    token = csrf_of(await page(client, "/school/upload"))
    files = {"file": (filename, data, XLSX)}
    return await client.post("/school/upload", data={"_csrf_token": token}, files=files)


async def test_an_upload_is_previewed_then_confirmed_and_lists_every_certificate(world: World) -> None:
    """A real .xlsx (title row, 序号/民族/备注 columns, a blank row): kept server-side, previewed with its warnings,
    confirmed once, and the result lists each certificate issued with its PDF."""
    client = world.client
    await sign_in(client, secret_of(world.evaluator))
    rows = quirky_rows(3)
    rows.insert(1, [None] * len(rows[0]))  # a blank row between trainees
    sent = await upload(client, quirky_xlsx(rows))
    assert sent.status_code == 303
    preview_at = sent.headers["location"]
    file_id = upload_id(preview_at)
    assert file_id not in (sent.headers.get("set-cookie") or ""), "the file is kept on the server, not in the cookie"
    preview = await page(client, preview_at)
    assert 'id="rows">3<' in preview and 'id="clean"' in preview and 'id="confirm"' in preview
    assert "「序号」" in preview and "「备注」" in preview, "the school's own columns are warned about, not refused"
    assert (await client.get("/api/v1/certificates", headers=world.evaluator)).json()["total"] == 0, "a dry run"

    confirmed = await client.post(f"{preview_at}/confirm", data={"_csrf_token": csrf_of(preview)})
    assert confirmed.status_code == 303 and confirmed.headers["location"].startswith("/school/imports/")
    result = await page(client, confirmed.headers["location"])
    issued = (await client.get("/api/v1/certificates", headers=world.evaluator)).json()["items"]
    assert len(issued) == 6, "a skill and a training certificate for each of 3 passes (training_skill course)"
    for certificate in issued:
        assert f'data-number="{certificate["number"]}"' in result
        assert f'href="/school/certificates/{certificate["number"]}/pdf"' in result
    assert "阿依古丽·吐尔逊" in result and "职业技能等级证书" in result and "新登记 3 行" in result
    assert sorted(set(re.findall(r"第 (\d+) 行", result))) == ["4", "6", "7"], "the rows as the sheet numbers them"

    again = await client.post(f"{preview_at}/confirm", data={"_csrf_token": csrf_of(result)})
    assert again.status_code == 404 and "text/html" in again.headers["content-type"], "the upload was used up"
    assert (await client.get("/api/v1/certificates", headers=world.evaluator)).json()["total"] == 6


async def test_a_bad_upload_names_each_row_and_header_and_offers_the_error_workbook(world: World) -> None:
    client = world.client
    await sign_in(client, secret_of(world.evaluator))
    rows = quirky_rows(4)
    rows[1][3] = "65010219900101123X"  # a wrong check character
    rows[2][7] = "很多"  # hours
    sent = await upload(client, quirky_xlsx(rows))
    preview = await page(client, sent.headers["location"])
    assert 'id="rejected"' in preview and 'id="confirm"' not in preview
    cells = re.findall(r'<tr data-row="(\d+)"><td class="mono">第 \d+ 行</td><td>([^<]*)</td>', preview)
    assert ("5", "身份证号码") in cells and ("6", "学时") in cells, "the sheet row and the clerk's own header"
    book = await client.get(f"{sent.headers['location']}/errors.xlsx")
    assert book.status_code == 200 and book.headers["content-type"].startswith(XLSX)
    sheet = openpyxl.load_workbook(io.BytesIO(book.content)).worksheets[0]
    header = [c.value for c in sheet[3]]
    notes = header.index("错误说明") + 1
    assert sheet.cell(5, notes).value and sheet.cell(6, notes).value and not sheet.cell(4, notes).value
    refused = await client.post(f"{sent.headers['location']}/confirm", data={"_csrf_token": csrf_of(preview)})
    assert refused.status_code == 422 and 'id="rejected"' in refused.text
    assert (await client.get("/api/v1/certificates", headers=world.evaluator)).json()["total"] == 0


async def test_an_upload_is_its_institutions_own_and_the_templates_download(world: World) -> None:
    client = world.client
    await sign_in(client, secret_of(world.evaluator))
    sent = await upload(client, quirky_xlsx(quirky_rows(1)))
    preview_at = sent.headers["location"]
    out = await client.post("/school/logout", data={"_csrf_token": csrf_of(await page(client, preview_at))})
    assert out.status_code == 303
    await sign_in(client, secret_of(world.school))
    assert (await client.get(preview_at)).status_code == 404, "another institution's upload is not found"
    empty = await upload(client, b"", filename="")
    assert empty.status_code == 422 and "请选择要上传的文件" in empty.text

    upload_page = await page(client, "/school/upload")
    assert 'href="/school/templates/training.xlsx"' in upload_page
    template = await client.get("/school/templates/skill_level.xlsx")
    assert template.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    assert "填写说明" in book.sheetnames
    assert (await client.get("/school/templates/nonsense.xlsx")).status_code == 422


async def test_a_long_result_pages_through_its_rows(world: World) -> None:
    client = world.client
    await sign_in(client, secret_of(world.evaluator))
    sent = await upload(client, quirky_xlsx(quirky_rows(55)))
    preview = await page(client, sent.headers["location"])
    confirmed = await client.post(f"{sent.headers['location']}/confirm", data={"_csrf_token": csrf_of(preview)})
    first = await page(client, confirmed.headers["location"])
    assert "共 110 张证书" in first and first.count("data-number=") == 100, "50 rows of 55 on the first page"
    second = await page(client, f"{confirmed.headers['location']}?page=2")
    assert second.count("data-number=") == 10 and "第 58 行" in second and "第 4 行" not in second
