"""Share links the holder controls: made after the holder check, at most 3 active per certificate, at most 90 days,
served at /s/{token} with the full name, revocable at once; expired, revoked and unknown links look the same; each
share and revocation is in the ledger without personal data."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import re

import asyncpg
import pytest
from litestar.testing import AsyncTestClient
from markupsafe import escape

from api.app import create_app
from api.i18n import catalogue
from ledger import clock
from ledger.database.engine import plain_url
from ledger.log.audit import audit
from ledger.record_types import all_record_types
from tests.factories import completion, id_number
from tests.integration.conftest import World
from tests.integration.test_holder_check import NAME, skill_of

SHARES = "/api/v1/verify/shares"
PURPOSE = "应聘乌鲁木齐某机械公司车工岗位"


@pytest.fixture
async def app_client(world: World):
    """The app without a per-address limit worth the name, so that a test can make many calls."""
    settings = dataclasses.replace(world.web, holder_check_rate_per_minute=10_000, verify_rate_per_minute=10_000)
    async with AsyncTestClient(app=create_app(settings), base_url="http://holder.local") as client:
        yield client


@pytest.fixture
def moved_clock(monkeypatch: pytest.MonkeyPatch):
    """Move the service's clock forward: `moved_clock(dt.timedelta(days=2))`."""
    real = clock.now

    def move(by: dt.timedelta) -> None:
        monkeypatch.setattr(clock, "now", lambda: real() + by)

    return move


def holder(skill: dict, n: int = 1) -> dict:
    return {"code": skill["verification_code"], "name": NAME, "id_number": id_number(n)}


async def share(client: AsyncTestClient, skill: dict, purpose: str = PURPOSE, days: int = 30, n: int = 1):
    return await client.post(SHARES, json={**holder(skill, n), "purpose": purpose, "days": days})


def path_of(made: dict) -> str:
    assert made["url"] == f"https://verify.example.test/s/{made['token']}"
    return f"/s/{made['token']}"


async def test_a_share_shows_the_full_name_the_certificate_the_purpose_and_expiry(world: World, app_client) -> None:
    skill = await skill_of(world, 1)
    made = await share(app_client, skill, days=30)
    assert made.status_code == 201, made.text
    body = made.json()
    assert len(body["token"]) >= 22 and body["purpose"] == PURPOSE  # ≥ 128 bits of URL-safe base64
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(days=30) - dt.timedelta(minutes=1) < expires - clock.now() <= dt.timedelta(days=30)
    for lang in ("zh", "en", "ug"):
        page = await app_client.get(path_of(body), params={"lang": lang})
        assert page.status_code == 200
        t = catalogue(lang)
        assert 'data-status="valid"' in page.text and t["status.valid"] in page.text
        assert NAME in page.text and "买*" not in page.text, "the full name, not the masked one"
        assert PURPOSE in page.text and skill["number"] in page.text and escape(t["share.page_heading"]) in page.text
        shown = f"{expires.astimezone(clock.CHINA):%Y-%m-%d %H:%M} UTC+8"
        assert f'<bdi dir="ltr" class="expires">{shown}</bdi>' in page.text
        assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert 'dir="rtl"' in (await app_client.get(path_of(body), params={"lang": "ug"})).text
    listed = await app_client.post(f"{SHARES}/active", json=holder(skill))
    assert listed.json() == {"shares": [{"id": body["id"], "purpose": PURPOSE, "expires_at": body["expires_at"]}]}


async def test_only_the_tokens_hash_is_kept(world: World, app_client) -> None:
    skill = await skill_of(world, 1)
    made = (await share(app_client, skill)).json()
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        stored = await conn.fetchrow("SELECT * FROM certificate_shares")
    finally:
        await conn.close()
    assert bytes(stored["token_hash"]) == hashlib.sha256(made["token"].encode()).digest()
    assert made["token"] not in repr(dict(stored))


async def test_at_most_three_active_shares_per_certificate(world: World, app_client) -> None:
    skill, other = await skill_of(world, 1), await skill_of(world, 2)
    made = [await share(app_client, skill, purpose=f"应聘第{i}家公司") for i in range(3)]
    assert [m.status_code for m in made] == [201] * 3
    fourth = await share(app_client, skill)
    assert fourth.status_code == 409 and fourth.headers["content-type"].startswith("application/problem+json")
    assert "最多 3 个" in fourth.json()["detail"] and "at most 3 active" in fourth.json()["detail"]
    assert (await share(app_client, other, n=2)).status_code == 201, "another certificate has its own three"
    gone = await app_client.request("DELETE", f"{SHARES}/{made[0].json()['id']}", json=holder(skill))
    assert gone.status_code == 204
    assert (await share(app_client, skill)).status_code == 201, "a revoked share no longer counts"


async def test_concurrent_creations_cannot_pass_the_limit(world: World, app_client) -> None:
    skill = await skill_of(world, 1)
    answers = await asyncio.gather(*(share(app_client, skill, purpose=f"用途{i}") for i in range(6)))
    assert sorted(a.status_code for a in answers) == [201] * 3 + [409] * 3


async def test_validity_is_one_to_ninety_days_and_the_purpose_one_to_a_hundred_characters(
    world: World, app_client
) -> None:
    skill = await skill_of(world, 1)
    for days in (0, 91, 365):
        assert (await share(app_client, skill, days=days)).status_code == 422
    for purpose in ("", "   ", "x" * 101, "应聘\x00公司"):
        bad = await share(app_client, skill, purpose=purpose)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "purpose", bad.text
    assert (await share(app_client, skill, days=90)).status_code == 201


async def test_revoked_expired_and_unknown_links_get_the_same_not_found_page(
    world: World, app_client, moved_clock
) -> None:
    skill = await skill_of(world, 1)
    revoked, expiring = (await share(app_client, skill)).json(), (await share(app_client, skill, days=1)).json()
    deleted = await app_client.request("DELETE", f"{SHARES}/{revoked['id']}", json=holder(skill))
    assert deleted.status_code == 204
    assert (await app_client.get(path_of(expiring))).status_code == 200
    moved_clock(dt.timedelta(days=1, seconds=1))
    unknown = "A" * len(expiring["token"])
    answers = [await app_client.get(p) for p in (path_of(revoked), path_of(expiring), f"/s/{unknown}", "/s/x")]
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1, "the same page, byte for byte"
    assert 'data-status="not_found"' in answers[0].text and NAME not in answers[0].text
    assert (await app_client.post(f"{SHARES}/active", json=holder(skill))).json() == {"shares": []}
    again = await app_client.request("DELETE", f"{SHARES}/{expiring['id']}", json=holder(skill))
    assert again.status_code == 404, "an expired share cannot be revoked: it is over already"


async def test_the_holder_check_and_its_budget_stand_before_every_action(world: World, app_client) -> None:
    skill = await skill_of(world, 1)
    made = (await share(app_client, skill)).json()
    wrong = [await share(app_client, skill, n=2)]
    wrong.append(await app_client.post(f"{SHARES}/active", json=holder(skill, 3)))
    wrong.append(await app_client.request("DELETE", f"{SHARES}/{made['id']}", json=holder(skill, 4)))
    assert [w.status_code for w in wrong] == [403] * 3
    assert all(id_number(n) not in w.text for n, w in zip((2, 3, 4), wrong, strict=True))
    for n in (5, 6):
        assert (await share(app_client, skill, n=n)).status_code == 403
    assert (await share(app_client, skill)).status_code == 429, "five failures close this certificate's actions"
    assert (await app_client.get(path_of(made))).status_code == 200, "the link itself still works"


async def test_a_share_cannot_be_revoked_through_another_certificate(world: World, app_client) -> None:
    skill, other = await skill_of(world, 1), await skill_of(world, 2)
    made = (await share(app_client, skill)).json()
    wrong = await app_client.request("DELETE", f"{SHARES}/{made['id']}", json=holder(other, 2))
    assert wrong.status_code == 404
    for unknown in (made["id"] + 1, 0, 2**70):
        assert (await app_client.request("DELETE", f"{SHARES}/{unknown}", json=holder(skill))).status_code == 404
    proof = form_value((await app_client.post("/check", data={**holder(skill), "lang": "zh"})).text, "proof")
    page = await app_client.post("/check/revoke", data={"proof": proof, "share_id": "9" * 20})
    assert page.status_code == 404 and 'data-notice="gone"' in page.text
    assert (await app_client.get(path_of(made))).status_code == 200


async def test_only_a_valid_certificate_is_shared_and_a_share_shows_the_live_status(world: World, app_client) -> None:
    skill = await skill_of(world, 1)
    made = (await share(app_client, skill)).json()
    revoked = await world.client.post(
        f"/api/v1/certificates/{skill['number']}/revoke",
        json={"reason_code": "exam_misconduct", "reason": ""},
        headers=world.evaluator,
    )
    assert revoked.status_code == 200, revoked.text
    page = await app_client.get(path_of(made), params={"lang": "en"})
    assert 'data-status="revoked"' in page.text and catalogue("en")["status.revoked"] in page.text
    refused = await share(app_client, skill)
    assert refused.status_code == 409 and "Only a valid certificate" in refused.json()["detail"]


async def _entries(world: World) -> list[dict]:
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        rows = await conn.fetch(
            "SELECT kind, subject_id, leaf FROM ledger_entries WHERE subject_type = 'certificate_share' ORDER BY idx"
        )
    finally:
        await conn.close()
    return [{"kind": r["kind"], "subject": r["subject_id"], "leaf": bytes(r["leaf"]).decode()} for r in rows]


async def test_each_share_and_revocation_is_logged_without_personal_data(world: World, app_client) -> None:
    skill = await skill_of(world, 1)
    made = (await share(app_client, skill)).json()
    assert (await app_client.request("DELETE", f"{SHARES}/{made['id']}", json=holder(skill))).status_code == 204
    entries = await _entries(world)
    assert [(e["kind"], e["subject"]) for e in entries] == [
        ("share.created", str(made["id"])),
        ("share.revoked", str(made["id"])),
    ]
    for entry in entries:
        leaf = entry["leaf"]
        assert NAME not in leaf and id_number(1) not in leaf and made["token"] not in leaf
        assert PURPOSE not in leaf and "应聘" not in leaf, "the purpose is committed to by its hash only"
        assert re.search(r'"certificate":"\d+"', leaf)
    url = plain_url(world.settings.database_url or "")
    assert (await audit(url, "skills-ledger.example/xinjiang", all_record_types())).ok
    conn = await asyncpg.connect(url)
    try:  # the purpose is covered by the commitment: editing it is caught
        await conn.execute("UPDATE certificate_shares SET purpose = '应聘另一家公司'")
    finally:
        await conn.close()
    report = await audit(url, "skills-ledger.example/xinjiang", all_record_types())
    assert any(f"certificate_share:{made['id']} differs" in p for p in report.problems), report.problems


# --- the page way: /check, then the share panel under the signed proof -------------------------------------------


def form_value(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, name
    return found.group(1)


async def test_the_check_page_makes_lists_and_revokes_shares_in_each_language(world: World, app_client) -> None:
    skill = await skill_of(world, 1)
    for lang in ("zh", "en", "ug"):
        t = catalogue(lang)
        checked = await app_client.post("/check", data={**holder(skill), "lang": lang})
        assert 'data-status="match"' in checked.text and escape(t["share.create"]) in checked.text
        assert id_number(1) not in checked.text, "the forms carry the signed proof, never the ID number"
        proof = form_value(checked.text, "proof")
        made = await app_client.post("/check/share", data={"proof": proof, "purpose": f"{lang} 应聘", "days": "7",
                                                           "lang": lang})  # fmt: skip
        assert (
            made.status_code == 200 and 'data-notice="created"' in made.text and escape(t["share.created"]) in made.text
        )
        link = re.search(r'id="new-link" class="link" dir="ltr" readonly value="([^"]+)"', made.text)
        assert link and link.group(1).startswith("https://verify.example.test/s/")
        path = link.group(1).removeprefix("https://verify.example.test")
        assert (await app_client.get(path)).status_code == 200
        share_id = re.search(r'data-share-id="(\d+)"', made.text)
        assert share_id and f"{lang} 应聘" in made.text
        revoked = await app_client.post(
            "/check/revoke", data={"proof": proof, "share_id": share_id.group(1), "lang": lang}
        )
        assert 'data-notice="revoked"' in revoked.text and escape(t["share.none"]) in revoked.text
        assert (await app_client.get(path)).status_code == 404


async def test_the_page_refuses_the_fourth_share_with_a_clear_message(world: World, app_client) -> None:
    skill = await skill_of(world, 1)
    for i in range(3):
        assert (await share(app_client, skill, purpose=f"用途{i}")).status_code == 201
    proof = form_value((await app_client.post("/check", data={**holder(skill), "lang": "en"})).text, "proof")
    fourth = await app_client.post("/check/share", data={"proof": proof, "purpose": "用途3", "days": "30",
                                                         "lang": "en"})  # fmt: skip
    assert fourth.status_code == 409 and 'data-notice="limit"' in fourth.text
    assert "at most 3 active share links" in fourth.text and fourth.text.count("data-share-id=") == 3
    bad = await app_client.post("/check/share", data={"proof": proof, "purpose": "x", "days": "91", "lang": "en"})
    assert bad.status_code == 422 and 'data-notice="invalid"' in bad.text


async def test_a_forged_or_old_proof_is_refused(world: World, app_client, moved_clock) -> None:
    skill = await skill_of(world, 1)
    proof = form_value((await app_client.post("/check", data={**holder(skill), "lang": "zh"})).text, "proof")
    forged = proof[:-2] + ("AA" if not proof.endswith("AA") else "BB")
    other_id = proof.replace(proof.split(".")[0], "Mg", 1)  # the payload of another certificate, same signature
    for bad in (forged, other_id, "", "not-a-proof"):
        answer = await app_client.post("/check/share", data={"proof": bad, "purpose": "应聘", "days": "30"})
        assert answer.status_code == 403 and 'data-status="proof_expired"' in answer.text
    moved_clock(dt.timedelta(minutes=16))
    late = await app_client.post("/check/share", data={"proof": proof, "purpose": "应聘", "days": "30"})
    assert late.status_code == 403 and 'data-status="proof_expired"' in late.text
    assert (await app_client.post(f"{SHARES}/active", json=holder(skill))).json() == {"shares": []}


async def test_every_page_keeps_its_language_links(world: World, app_client) -> None:
    await world.client.post("/api/v1/completions", json={"items": [completion(1)]}, headers=world.evaluator)
    page = await app_client.get("/s/unknown-token-of-some-length", params={"lang": "ug"})
    assert page.status_code == 404 and 'dir="rtl"' in page.text and "?lang=zh" in page.text
