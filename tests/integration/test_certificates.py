"""Certificates: what a passing completion earns, numbers, frozen content, status changes, awards, PDFs."""

from __future__ import annotations

import asyncio
import base64
import re
import zlib

import asyncpg
import pypdfium2 as pdfium
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from ledger.certificates.numbering import is_valid
from ledger.database.engine import plain_url
from ledger.record_types import all_record_types
from tests.factories import completion, id_number
from tests.integration.conftest import COURSE, World
from tests.unit.test_certificates_token import independent_verify

SKILL_NUMBER = re.compile(r"^[YS]\d{4}\d{2}\d{6}\d{2}[1-5]\d{6}$")


async def register(world: World, rows: list[dict], headers: dict | None = None) -> dict:
    response = await world.client.post("/api/v1/completions", json={"items": rows}, headers=headers or world.evaluator)
    assert response.status_code == 201, response.text
    return response.json()


async def detail(world: World, certificate: dict) -> dict:
    response = await world.client.get(f"/api/v1/certificates/{certificate['number']}", headers=world.evaluator)
    assert response.status_code == 200, response.text
    return response.json()


async def certificates(world: World, **query: str) -> list[dict]:
    response = await world.client.get("/api/v1/certificates", params={"limit": "1000", **query},
                                      headers=world.evaluator)  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_pass_in_a_dual_course_earns_a_skill_and_a_training_certificate(world: World) -> None:
    await register(world, [completion(1), completion(2, passed=False)])
    found = await certificates(world)
    assert sorted(c["kind"] for c in found) == ["skill_level", "training"]
    skill = await detail(world, next(c for c in found if c["kind"] == "skill_level"))
    training = next(c for c in found if c["kind"] == "training")
    assert SKILL_NUMBER.match(skill["number"])
    assert skill["number"].startswith("S0000" + "65" + "650101" + "25" + "4")  # filing, province, site, year, level
    assert skill["number"].endswith("000001")
    assert is_valid(training["number"]) and training["number"].startswith("T652025")
    assert re.fullmatch(r"[A-Z2-7]{16}", skill["verification_code"])
    assert skill["award_id"] is not None
    award = (await world.client.get(f"/api/v1/awards/{skill['award_id']}", headers=world.evaluator)).json()
    assert award["rule"] == "training_skill" and award["complete"] is True
    assert {c["number"] for c in award["certificates"]} == {skill["number"], training["number"]}


async def test_an_unfiled_level_or_a_non_evaluator_is_rejected(world: World) -> None:
    row = completion(1, assessment={"level": 2, "assessed_on": "2025-05-28"})
    response = await world.client.post("/api/v1/completions", json={"items": [row]}, headers=world.evaluator)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "not_filed"
    assert await certificates(world) == []


async def test_a_course_that_could_never_issue_is_refused_when_it_is_created(world: World) -> None:
    """A certificate course at a training school (not a filed evaluator), or at a level the evaluator is not filed
    for, is a 422 naming the field — not a 201 whose every row would later fail."""
    at_school = await world.client.post("/api/v1/courses", json=COURSE, headers=world.school)
    assert at_school.status_code == 422, at_school.text
    ((error,),) = [at_school.json()["errors"]]
    assert (error["field"], error["code"]) == ("outcome", "not_an_evaluator")
    assert error["message"].startswith("本机构不是备案的评价机构")
    special = {**COURSE, "code": "ZX-1", "outcome": "special_ability", "dual_rule": "none"}
    assert (await world.client.post("/api/v1/courses", json=special, headers=world.school)).status_code == 422
    unfiled = await world.client.post("/api/v1/courses", json={**COURSE, "code": "CG-L2", "target_level": 2},
                                      headers=world.evaluator)  # fmt: skip
    assert unfiled.status_code == 422, unfiled.text
    assert [(e["field"], e["code"]) for e in unfiled.json()["errors"]] == [("target_level", "not_filed")]
    training = {**COURSE, "code": "PX-1", "outcome": "training", "target_level": None, "dual_rule": "none"}
    assert (await world.client.post("/api/v1/courses", json=training, headers=world.school)).status_code == 201
    listed = (await world.client.get("/api/v1/courses", headers=world.school)).json()["items"]
    assert [c["code"] for c in listed] == ["PX-1"]


async def test_a_one_exam_two_certificates_course_records_the_graduation_number(world: World) -> None:
    course = {**COURSE, "code": "GRAD-1", "dual_rule": "graduation_skill"}
    await world.client.post("/api/v1/courses", json=course, headers=world.evaluator)
    missing = await world.client.post(
        "/api/v1/completions", json={"items": [completion(1, course="GRAD-1")]}, headers=world.evaluator
    )
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "graduation_number"
    await register(world, [completion(1, course="GRAD-1", graduation_number="JXBY-2025-0042")])
    kinds = {c["kind"]: c for c in await certificates(world, course_code="GRAD-1")}
    assert kinds["graduation"]["number"] == "JXBY-2025-0042"
    award_id = (await detail(world, kinds["skill_level"]))["award_id"]
    award = await world.client.get(f"/api/v1/awards/{award_id}", headers=world.evaluator)
    assert award.json()["rule"] == "graduation_skill" and award.json()["complete"]


async def test_registering_again_never_issues_twice(world: World) -> None:
    await register(world, [completion(i) for i in range(3)])
    await register(world, [completion(i) for i in range(3)])
    assert len(await certificates(world)) == 6


async def test_concurrent_batches_get_gapless_unique_serials(world: World) -> None:
    batches = [[completion(100 * b + i) for i in range(25)] for b in range(8)]
    bad = [completion(900), completion(901, hours=-1)]  # rejected: its serials must not leave a gap
    results = await asyncio.gather(
        *[world.client.post("/api/v1/completions", json={"items": b}, headers=world.evaluator) for b in [*batches, bad]]
    )
    assert [r.status_code for r in results] == [201] * 8 + [422]
    serials = sorted(int(c["number"][-6:]) for c in await certificates(world) if c["kind"] == "skill_level")
    assert serials == list(range(1, 201))
    training = sorted(int(c["number"][7:14]) for c in await certificates(world) if c["kind"] == "training")
    assert training == list(range(1, 201))


async def test_content_is_frozen_and_pdf_downloads_are_identical(world: World) -> None:
    await register(world, [completion(1)])
    (skill,) = [c for c in await certificates(world) if c["kind"] == "skill_level"]
    first = await world.client.get(f"/api/v1/certificates/{skill['number']}/pdf", headers=world.evaluator)
    # the trainee's name changes later (registered again for another course): the certificate does not
    await world.client.post("/api/v1/courses", json={**COURSE, "code": "CG-2"}, headers=world.evaluator)
    renamed = completion(1, course="CG-2")
    renamed["trainee"]["name"] = "买买提·艾力江"
    await register(world, [renamed])
    again = await world.client.get(f"/api/v1/certificates/{skill['number']}/pdf", headers=world.evaluator)
    assert first.status_code == 200 and first.headers["content-type"] == "application/pdf"
    assert again.content == first.content
    assert (await world.client.get(f"/api/v1/certificates/{skill['number']}", headers=world.evaluator)).json()[
        "holder_name"
    ] == "买买提·艾力"


def decode_pdf_qr(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        texts = []
        for page in document:
            image = page.render(scale=150 / 72, grayscale=True).to_pil()
            texts += [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]
        return texts
    finally:
        document.close()


async def test_the_pdf_qr_decodes_to_the_signed_url_and_the_pades_signature_validates(world: World) -> None:
    await register(world, [completion(1)])
    (skill,) = [c for c in await certificates(world) if c["kind"] == "skill_level"]
    pdf = (await world.client.get(f"/api/v1/certificates/{skill['number']}/pdf", headers=world.evaluator)).content
    # template 2026.2: the address code (what a phone photo reads) and the signed code (docs/verification.md)
    address = f"HTTPS://VERIFY.EXAMPLE.TEST/V/{skill['verification_code']}"
    assert sorted(decode_pdf_qr(pdf)) == sorted([address, skill["qr_text"]])
    assert (
        skill["qr_text"]
        == f"HTTPS://VERIFY.EXAMPLE.TEST/V/{skill['verification_code']}/" + skill["qr_text"].rsplit("/", 1)[1]
    )
    jwks = (await world.client.get("/.well-known/jwks.json")).json()["keys"]
    claims = independent_verify(skill["qr_text"].rsplit("/", 1)[1], jwks)
    assert skill["verification_code"] in claims.values()
    signer_pem = (world.settings.data_dir / "pdf-signing" / "demo-cert.pem").read_bytes()
    from asn1crypto import pem, x509

    _, _, der = pem.unarmor(signer_pem)
    reader = PdfFileReader(__import__("io").BytesIO(pdf))
    status = await asyncio.to_thread(  # pyHanko runs its own event loop
        validate_pdf_signature,
        reader.embedded_signatures[0],
        ValidationContext(trust_roots=[x509.Certificate.load(der)]),
    )
    assert status.intact and status.valid and status.trusted


async def test_a_course_pdf_holds_every_certificate_each_with_its_qr(world: World) -> None:
    await register(world, [completion(i) for i in range(4)])
    pdf = await world.client.get(f"/api/v1/courses/{COURSE['code']}/certificates.pdf", headers=world.evaluator)
    assert pdf.status_code == 200
    issued = await certificates(world)
    signed_and_address = [c["qr_text"] for c in issued] + [c["qr_text"].rsplit("/", 1)[0] for c in issued]
    assert sorted(decode_pdf_qr(pdf.content)) == sorted(signed_and_address)


def status_bit(token: str, jwks: list[dict], index: int) -> int:
    header_b64, payload_b64, signature_b64 = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    key = next(
        k for k in jwks if k["kid"] == __import__("json").loads(base64.urlsafe_b64decode(pad(header_b64)))["kid"]
    )
    Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(pad(key["x"]))).verify(
        base64.urlsafe_b64decode(pad(signature_b64)), f"{header_b64}.{payload_b64}".encode()
    )
    payload = __import__("json").loads(base64.urlsafe_b64decode(pad(payload_b64)))
    bits = zlib.decompress(base64.urlsafe_b64decode(pad(payload["status_list"]["lst"])))
    assert len(bits) * 8 >= 131_072
    return (bits[index // 8] >> (index % 8)) & 1


async def test_revocation_shows_at_once_on_the_page_the_json_and_the_status_list(world: World) -> None:
    await register(world, [completion(1)])
    (skill,) = [await detail(world, c) for c in await certificates(world) if c["kind"] == "skill_level"]
    code = skill["verification_code"]
    before = (await world.client.get(f"/api/v1/verify/{code}")).json()
    assert before["status"] == "valid" and before["holder"] == "买买提·艾*"
    jwks = (await world.client.get("/.well-known/jwks.json")).json()["keys"]
    assert status_bit((await world.client.get("/api/v1/status-list")).text, jwks, before["status_list_index"]) == 0
    revoked = await world.client.post(
        f"/api/v1/certificates/{skill['number']}/revoke",
        json={"reason": "考评舞弊", "effective_on": "2025-06-01"},
        headers=world.evaluator,
    )
    assert revoked.status_code == 200, revoked.text
    after = (await world.client.get(f"/api/v1/verify/{code}")).json()
    assert (after["status"], after["status_reason"], after["status_effective_on"]) == (
        "revoked",
        "考评舞弊",
        "2025-06-01",
    )
    page = await world.client.get(f"/v/{code}")
    assert page.status_code == 200 and "已撤销" in page.text and "考评舞弊" in page.text
    assert status_bit((await world.client.get("/api/v1/status-list")).text, jwks, after["status_list_index"]) == 1
    award = (await world.client.get(f"/api/v1/awards/{skill['award_id']}", headers=world.evaluator)).json()
    assert award["complete"] is False
    again = await world.client.post(f"/api/v1/certificates/{skill['number']}/reinstate", json={"reason": "x"},
                                    headers=world.evaluator)  # fmt: skip
    assert again.status_code == 409


async def test_suspend_then_reinstate(world: World) -> None:
    await register(world, [completion(1)])
    (skill,) = [c for c in await certificates(world) if c["kind"] == "skill_level"]
    path = f"/api/v1/certificates/{skill['number']}"
    assert (await world.client.post(f"{path}/suspend", json={"reason": "核查中"}, headers=world.evaluator)).json()[
        "status"
    ] == "suspended"
    assert "已暂停" in (await world.client.get(f"/v/{skill['verification_code']}")).text
    assert (await world.client.post(f"{path}/reinstate", json={"reason": "核查无误"}, headers=world.evaluator)).json()[
        "status"
    ] == "valid"


async def test_reissue_supersedes_keeping_the_award_date(world: World) -> None:
    await register(world, [completion(1)])
    (skill,) = [await detail(world, c) for c in await certificates(world) if c["kind"] == "skill_level"]
    response = await world.client.post(
        f"/api/v1/certificates/{skill['number']}/reissue",
        json={"reason": "姓名更正", "corrected_name": "买买提·艾力江"},
        headers=world.evaluator,
    )
    assert response.status_code == 201, response.text
    successor = response.json()
    assert successor["holder_name"] == "买买提·艾力江" and successor["issued_on"] == skill["issued_on"]
    assert successor["number"] != skill["number"] and successor["verification_code"] != skill["verification_code"]
    old = (await world.client.get(f"/api/v1/verify/{skill['verification_code']}")).json()
    assert old["status"] == "superseded" and old["superseded_by"] == successor["verification_code"]
    assert "已被补发替代" in (await world.client.get(f"/v/{skill['verification_code']}")).text
    award = (await world.client.get(f"/api/v1/awards/{skill['award_id']}", headers=world.evaluator)).json()
    assert award["complete"] is True and successor["number"] in {c["number"] for c in award["certificates"]}


async def test_unknown_codes_get_the_same_404_page(world: World) -> None:
    first = await world.client.get("/v/AAAAAAAAAAAAAAAA")
    second = await world.client.get("/v/ZZZZZZZZZZZZZZZZ?lang=zh")
    malformed = await world.client.get("/v/not-a-code")
    assert first.status_code == second.status_code == malformed.status_code == 404
    assert first.text == second.text == malformed.text
    assert (await world.client.get("/api/v1/verify/AAAAAAAAAAAAAAAA")).status_code == 404


@pytest.mark.parametrize(("lang", "word", "direction"), [("zh", "有效", "ltr"), ("en", "Valid", "ltr"),
                                                         ("ug", "ئىناۋەتلىك", "rtl")])  # fmt: skip
async def test_the_page_speaks_three_languages(world: World, lang: str, word: str, direction: str) -> None:
    await register(world, [completion(1)])
    (skill,) = [c for c in await certificates(world) if c["kind"] == "skill_level"]
    page = await world.client.get(f"/v/{skill['verification_code']}?lang={lang}")
    assert word in page.text and f'dir="{direction}"' in page.text
    assert "买买提·艾*" in page.text and "买买提·艾力" not in page.text
    assert id_number(1) not in page.text and id_number(1)[-4:] + "<" not in page.text
    assert not re.search(r"\d{6}\*{8}\d{4}", page.text)


async def test_the_scanned_qr_route_checks_the_token(world: World) -> None:
    await register(world, [completion(1)])
    (skill,) = [c for c in await certificates(world) if c["kind"] == "skill_level"]
    path = skill["qr_text"].split("TEST", 1)[1]
    good = await world.client.get(path)
    assert good.status_code == 200 and "二维码签名已验证" in good.text
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    bad = (await world.client.get(forged)).text
    assert 'data-status="invalid_qr"' in bad and "<h1>二维码无效</h1>" in bad and "<h1>有效</h1>" not in bad


async def test_holder_check_answers_yes_or_no_and_is_rate_limited(world: World) -> None:
    await register(world, [completion(1)])
    (skill,) = [c for c in await certificates(world) if c["kind"] == "skill_level"]
    ask = {"code": skill["verification_code"], "name": "买买提•艾力", "id_number": id_number(1).lower()}
    yes = await world.client.post("/api/v1/verify/holder-check", json=ask)
    no = await world.client.post("/api/v1/verify/holder-check", json={**ask, "id_number": id_number(2)})
    assert (yes.json(), no.json()) == ({"match": True}, {"match": False})
    statuses = [(await world.client.post("/api/v1/verify/holder-check", json=ask)).status_code for _ in range(25)]
    assert 429 in statuses


async def test_certificate_events_are_logged_and_audited(world: World) -> None:
    from ledger.log.audit import audit

    await register(world, [completion(1)])
    (skill,) = [c for c in await certificates(world) if c["kind"] == "skill_level"]
    await world.client.post(f"/api/v1/certificates/{skill['number']}/revoke", json={"reason": "x"},
                            headers=world.evaluator)  # fmt: skip
    entries = (await world.client.get(f"/api/v1/ledger/certificates/{skill['verification_code']}")).json()
    assert [e["kind"] for e in entries] == ["certificate.issued", "certificate.revoked"]
    report = await audit(
        plain_url(world.settings.database_url or ""), "skills-ledger.example/xinjiang", all_record_types()
    )
    assert report.ok, report.problems
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        await conn.execute("UPDATE certificates SET level = 3 WHERE kind = 'skill_level'")
    except asyncpg.CheckViolationError:
        await conn.execute("UPDATE certificates SET status_reason = 'edited' WHERE kind = 'skill_level'")
    finally:
        await conn.close()
    tampered = await audit(
        plain_url(world.settings.database_url or ""), "skills-ledger.example/xinjiang", all_record_types()
    )
    assert any("certificate:" in p for p in tampered.problems)


async def test_a_long_uyghur_name_still_fits_the_qr_code(world: World) -> None:
    row = completion(1)
    row["trainee"]["name"] = "阿布都热依木江·阿布都克力木江"
    await register(world, [row])
    for certificate in await certificates(world):
        assert len(certificate["qr_text"]) <= 296
        jwks = (await world.client.get("/.well-known/jwks.json")).json()["keys"]
        assert (
            certificate["verification_code"]
            in independent_verify(certificate["qr_text"].rsplit("/", 1)[1], jwks).values()
        )


async def test_each_row_of_a_batch_answer_lists_the_certificates_it_earned(world: World) -> None:
    first = await register(world, [completion(1), completion(2, passed=False)])
    earned, failed = first["rows"]
    assert sorted(c["kind"] for c in earned["certificates"]) == ["skill_level", "training"]
    assert "certificates" not in failed or failed["certificates"] == []
    listed = {c["number"]: c for c in await certificates(world)}
    for c in earned["certificates"]:
        assert listed[c["number"]]["verification_code"] == c["verification_code"]
        assert listed[c["number"]]["kind"] == c["kind"]
    again = await register(world, [completion(1)])  # unchanged: the same certificates come back
    assert again["rows"][0]["status"] == "unchanged"
    assert again["rows"][0]["certificates"] == earned["certificates"]


async def test_the_certificate_list_filters_by_trainee_and_gives_a_total(world: World) -> None:
    answer = await register(world, [completion(1), completion(2), completion(3)])
    trainee = answer["rows"][1]["trainee_id"]
    page = await world.client.get("/api/v1/certificates", params={"limit": "2"}, headers=world.evaluator)
    assert page.status_code == 200, page.text
    assert (len(page.json()["items"]), page.json()["total"]) == (2, 6)
    rest = await world.client.get("/api/v1/certificates", params={"limit": "2", "offset": "4"}, headers=world.evaluator)
    assert (len(rest.json()["items"]), rest.json()["total"]) == (2, 6)
    own = await world.client.get("/api/v1/certificates", params={"trainee_id": trainee}, headers=world.evaluator)
    assert own.json()["total"] == 2
    assert {c["number"] for c in own.json()["items"]} == {c["number"] for c in answer["rows"][1]["certificates"]}
    other = await world.client.get("/api/v1/certificates", params={"trainee_id": trainee}, headers=world.school)
    assert (other.json()["items"], other.json()["total"]) == ([], 0)  # another institution sees none of them


async def test_the_certificate_list_pages_by_key_through_every_certificate(world: World) -> None:
    answer = await register(world, [completion(i) for i in range(1, 8)])
    issued = {c["number"] for row in answer["rows"] for c in row["certificates"]}
    seen: list[str] = []
    address: str | None = "/api/v1/certificates?limit=3&status=valid"
    while address is not None:
        page = await world.client.get(address, headers=world.evaluator)
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["total"] == len(issued) and len(body["items"]) <= 3
        seen += [c["number"] for c in body["items"]]
        address = body["next"]
        if address is not None:
            assert page.headers["link"] == f'<{address}>; rel="next"'
            assert "status=valid" in address and "limit=3" in address  # the filters carry over
        else:
            assert "link" not in page.headers
    assert len(seen) == len(set(seen)) == len(issued) and set(seen) == issued


async def test_the_certificate_list_exports_as_a_spreadsheet_to_keep(world: World) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    answer = await register(world, [completion(1), completion(2)])
    response = await world.client.get(
        "/api/v1/certificates/export", params={"course_code": "CG-2025-01"}, headers=world.evaluator
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="certificates_CG-2025-01_' in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["A1"].value.startswith("证书清单 CG-2025-01 · 4 张")
    assert [c.value for c in sheet[2]][:3] == ["证书编号", "证书类型", "姓名"]
    assert sheet.freeze_panes == "A3"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    earned = {c["number"]: c for row in answer["rows"] for c in row["certificates"]}
    assert {r[0] for r in rows} == set(earned)
    for r in rows:
        assert isinstance(r[0], str) and r[7] == "有效"
        assert r[11].endswith("/v/" + earned[r[0]]["verification_code"])
    assert {r[1] for r in rows} == {"职业技能等级证书", "培训合格证书"}
    assert "四级/中级工" in {r[5] for r in rows}
    as_csv = await world.client.get("/api/v1/certificates/export", params={"format": "csv"}, headers=world.evaluator)
    assert as_csv.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert table[0][0] == "证书编号" and len(table) == 5
    other = await world.client.get("/api/v1/certificates/export", headers=world.school)
    assert len(list(load_workbook(io.BytesIO(other.content)).active.iter_rows(min_row=3))) == 0
    odd = await world.client.get(  # a course code no course has, with a control character: an empty file, not a 500
        "/api/v1/certificates/export", params={"course_code": "=A1\x01\x1f"}, headers=world.evaluator
    )
    assert odd.status_code == 200, odd.text
    assert load_workbook(io.BytesIO(odd.content)).active["A1"].value.startswith("证书清单 =A1 · 0 张")
