"""The public verification pages as a worker or an employer meets them: the home at `/`, codes typed as printed,
and a status block (`data-status`) no one can misread, in 中文, English and Uyghur."""

from __future__ import annotations

import re

import asyncpg
import pytest

from ledger.database.engine import plain_url
from tests.factories import completion
from tests.integration.conftest import World
from tests.integration.test_certificates import certificates, register

LANGS = ("zh", "en", "ug")
WORDS = {
    "valid": {"zh": "有效", "en": "Valid", "ug": "ئىناۋەتلىك"},
    "revoked": {"zh": "已撤销", "en": "Revoked", "ug": "بىكار قىلىنغان"},
    "suspended": {"zh": "已暂停", "en": "Suspended", "ug": "ۋاقىتلىق توختىتىلغان"},
    "invalid_qr": {"zh": "二维码无效", "en": "QR code invalid", "ug": "QR كودى ئىناۋەتسىز"},
    "not_found": {"zh": "未找到该证书", "en": "Certificate not found", "ug": "بۇ گۇۋاھنامە تېپىلمىدى"},
}
STATUS_BLOCK = re.compile(r'<section class="status [a-z_]+" data-status="([a-z_]+)"[^>]*>(.*?)</section>', re.S)


def status_of(html: str) -> tuple[str, str]:
    """The page's one status block: its data-status and its headline."""
    (block,) = STATUS_BLOCK.findall(html)
    (headline,) = re.findall(r"<h1>(.*?)</h1>", block[1])
    return block[0], headline


def language_links(html: str) -> set[str]:
    return set(re.findall(r'href="[^"]*\?lang=(zh|en|ug)" lang=', html))


async def skill(world: World) -> dict:
    await register(world, [completion(1)])
    (found,) = [c for c in await certificates(world) if c["kind"] == "skill_level"]
    return found


@pytest.mark.parametrize("lang", LANGS)
async def test_each_state_has_its_data_status_and_words_in_each_language(world: World, lang: str) -> None:
    certificate = await skill(world)
    code, number = certificate["verification_code"], certificate["number"]
    scanned = certificate["qr_text"].split("TEST", 1)[1]
    page = await world.client.get(f"{scanned}?lang={lang}")
    assert status_of(page.text) == ("valid", WORDS["valid"][lang])
    forged = scanned[:-3] + ("AAA" if not scanned.endswith("AAA") else "BBB")
    page = await world.client.get(f"{forged}?lang={lang}")
    assert status_of(page.text) == ("invalid_qr", WORDS["invalid_qr"][lang])
    assert language_links(page.text) == set(LANGS)
    assert f"{forged}?lang=en" in page.text, "switching language keeps the token, so the page stays invalid_qr"
    missing = await world.client.get(f"/v/AAAAAAAAAAAAAAAA?lang={lang}")
    assert missing.status_code == 404 and status_of(missing.text) == ("not_found", WORDS["not_found"][lang])
    assert language_links(missing.text) == set(LANGS)
    path = f"/api/v1/certificates/{number}"
    await world.client.post(f"{path}/suspend", json={"reason": "核查中"}, headers=world.evaluator)
    assert status_of((await world.client.get(f"/v/{code}?lang={lang}")).text) == ("suspended", WORDS["suspended"][lang])
    await world.client.post(f"{path}/revoke", json={"reason": "考评舞弊"}, headers=world.evaluator)
    page = await world.client.get(f"/v/{code}?lang={lang}")
    assert status_of(page.text) == ("revoked", WORDS["revoked"][lang])
    page = await world.client.get(f"{forged}?lang={lang}")
    assert status_of(page.text)[0] == "invalid_qr"


async def test_a_forged_qr_never_leads_with_valid(world: World) -> None:
    certificate = await skill(world)
    code = certificate["verification_code"]
    # a well-formed token signed by nobody we know, and a genuine token of another certificate
    await register(world, [completion(2)])
    other = next(c for c in await certificates(world) if c["kind"] == "training" and c["verification_code"] != code)
    foreign = other["qr_text"].rsplit("/", 1)[1]
    for token in ("AAAA", foreign):
        page = (await world.client.get(f"/V/{code}/{token}")).text
        state, headline = status_of(page)
        assert (state, headline) == ("invalid_qr", "二维码无效")
        assert "本系统登记记录" in page, "the registry's record follows, under its own heading"
        assert page.index('data-status="invalid_qr"') < page.index("本系统登记记录")


async def test_the_home_has_a_code_box_the_holder_check_and_three_languages(world: World) -> None:
    for lang in LANGS:
        home = await world.client.get(f"/?lang={lang}")
        assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
        assert '<form method="get" action="/v"' in home.text and 'name="code"' in home.text
        assert f'href="/check?lang={lang}"' in home.text
        assert language_links(home.text) == set(LANGS)
        assert 'href="/school"' in home.text and 'href="/dashboard"' in home.text
    assert 'dir="rtl"' in (await world.client.get("/?lang=ug")).text


def typings(code: str) -> list[str]:
    grouped = " ".join(code[i : i + 4] for i in range(0, 16, 4))
    confused = code.replace("O", "0").replace("B", "8").replace("I", "1").replace("L", "1")
    return [
        grouped,
        grouped.replace(" ", "-"),
        code.lower(),
        f"  {grouped.lower()} ",
        confused,
        "".join(chr(ord(c) + 0xFEE0) for c in code),  # typed with a full-width input method
    ]


async def test_a_code_typed_as_printed_finds_the_certificate(world: World) -> None:
    certificate = await skill(world)
    code = certificate["verification_code"]
    for typed in typings(code):
        page = await world.client.get(f"/v/{typed}")
        assert page.status_code == 200 and status_of(page.text)[0] == "valid", typed
        answer = await world.client.get(f"/api/v1/verify/{typed}")
        assert answer.status_code == 200 and answer.json()["code"] == code, typed
        form = await world.client.get("/v", params={"code": typed, "lang": "en"}, follow_redirects=False)
        assert form.status_code == 303 and form.headers["location"] == f"/v/{code}?lang=en", typed
    unknown = await world.client.get("/v", params={"code": "QGZG-S3Q3-1LGE-KLD4"})
    assert unknown.status_code == 404 and status_of(unknown.text)[0] == "not_found"


async def test_a_typed_one_that_could_be_either_of_two_codes_finds_neither(world: World) -> None:
    certificate = await skill(world)
    code = certificate["verification_code"]
    await register(world, [completion(2)])
    other = next(c for c in await certificates(world) if c["verification_code"] != code)
    twin_i, twin_l = "I" + code[1:], "L" + code[1:]
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        rename = "UPDATE certificates SET verification_code = $1 WHERE verification_code = $2"
        await conn.execute(rename, twin_i, code)
        await conn.execute(rename, twin_l, other["verification_code"])
    finally:
        await conn.close()
    assert (await world.client.get(f"/v/1{code[1:]}")).status_code == 404
    assert (await world.client.get(f"/v/{twin_i}")).status_code == 200


@pytest.mark.parametrize("lang", LANGS)
async def test_a_reason_from_the_fixed_list_reads_in_each_language_and_dates_stay_left_to_right(
    world: World, lang: str
) -> None:
    from api.i18n import catalogue

    certificate = await skill(world)
    path = f"/api/v1/certificates/{certificate['number']}/revoke"
    body = {"reason_code": "exam_misconduct", "reason": "2025年考评点抽查", "effective_on": "2025-06-01"}
    revoked = await world.client.post(path, json=body, headers=world.evaluator)
    assert revoked.status_code == 200 and revoked.json()["status_reason_code"] == "exam_misconduct"
    page = (await world.client.get(f"/v/{certificate['verification_code']}?lang={lang}")).text
    assert catalogue(lang)["reason.exam_misconduct"] in page
    assert '<bdi dir="ltr">2025-06-01</bdi>' in page
    assert f'<bdi dir="ltr">{certificate["number"]}</bdi>' in page
    assert catalogue(lang)["level.4"] in page
    answer = (await world.client.get(f"/api/v1/verify/{certificate['verification_code']}")).json()
    assert (answer["status_reason_code"], answer["status_reason"]) == ("exam_misconduct", "2025年考评点抽查")


async def test_a_reason_is_a_code_from_the_list_or_other_with_words(world: World) -> None:
    certificate = await skill(world)
    path = f"/api/v1/certificates/{certificate['number']}/suspend"
    unknown = await world.client.post(path, json={"reason_code": "because"}, headers=world.evaluator)
    bare_other = await world.client.post(path, json={"reason_code": "other"}, headers=world.evaluator)
    assert unknown.status_code == bare_other.status_code == 422
    text_only = await world.client.post(path, json={"reason": "核查中"}, headers=world.evaluator)
    assert text_only.status_code == 200 and text_only.json()["status_reason_code"] == "other"


@pytest.mark.parametrize("lang", LANGS)
async def test_the_ledger_proof_is_a_page(world: World, lang: str) -> None:
    from api.i18n import catalogue

    certificate = await skill(world)
    assert (await world.client.post("/api/v1/ledger/checkpoints", headers=world.admin)).status_code == 201
    page = await world.client.get(f"/v/{certificate['verification_code']}/ledger?lang={lang}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'data-status="ledger_ok"' in page.text and catalogue(lang)["ledger.ok"] in page.text
    assert 'data-included="True"' in page.text and 'data-included="False"' not in page.text
    assert f"/api/v1/ledger/certificates/{certificate['verification_code']}" in page.text
    assert language_links(page.text) == set(LANGS)
    assert (await world.client.get(f"/v/AAAAAAAAAAAAAAAA/ledger?lang={lang}")).status_code == 404
