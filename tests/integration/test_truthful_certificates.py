"""Certificates that tell the truth: no PDF of a certificate that is not valid, a name correction that corrects
both certificates of the award, and one masked name on the page, in the JSON and inside the QR."""

from __future__ import annotations

import re

import pytest

from tests.factories import completion
from tests.integration.conftest import World
from tests.integration.test_certificates import certificates, detail, register
from tests.unit.test_certificates_token import independent_verify


@pytest.mark.parametrize(("action", "word"), [("revoke", "已撤销"), ("suspend", "已暂停")])
async def test_a_certificate_that_is_not_valid_gets_no_pdf(world: World, action: str, word: str) -> None:
    await register(world, [completion(1)])
    (skill,) = [c for c in await certificates(world) if c["kind"] == "skill_level"]
    path = f"/api/v1/certificates/{skill['number']}"
    assert (await world.client.get(f"{path}/pdf", headers=world.evaluator)).status_code == 200  # kept once made
    body = {"reason_code": "under_review" if action == "suspend" else "exam_misconduct"}
    assert (await world.client.post(f"{path}/{action}", json=body, headers=world.evaluator)).status_code == 200
    refused = await world.client.get(f"{path}/pdf", headers=world.evaluator)
    assert refused.status_code == 409 and refused.headers["content-type"].startswith("application/problem+json")
    assert re.search(rf"{word}（\d{{4}}-\d{{2}}-\d{{2}}起）", refused.json()["detail"]), refused.json()["detail"]


async def test_a_name_correction_corrects_the_paired_certificate_too(world: World) -> None:
    await register(world, [completion(1)])
    found = await certificates(world)
    skill = await detail(world, next(c for c in found if c["kind"] == "skill_level"))
    training = next(c for c in found if c["kind"] == "training")
    response = await world.client.post(
        f"/api/v1/certificates/{skill['number']}/reissue",
        json={"reason_code": "name_correction", "corrected_name": "买买提·艾力江"},
        headers=world.evaluator,
    )
    assert response.status_code == 201, response.text
    award = (await world.client.get(f"/api/v1/awards/{skill['award_id']}", headers=world.evaluator)).json()
    assert award["complete"] is True
    assert {c["kind"]: (await detail(world, c))["holder_name"] for c in award["certificates"]} == {
        "skill_level": "买买提·艾力江",
        "training": "买买提·艾力江",
    }
    old_training = (await world.client.get(f"/api/v1/verify/{training['verification_code']}")).json()
    assert old_training["status"] == "superseded" and old_training["status_reason_code"] == "name_correction"
    standing = [c for c in await certificates(world, status="valid")]
    assert sorted(c["kind"] for c in standing) == ["skill_level", "training"]


async def test_the_masked_name_is_the_same_on_the_page_in_the_json_and_in_the_qr(world: World) -> None:
    row = completion(1)
    row["trainee"]["name"] = "阿布都热依木江·阿布都克力木江"
    await register(world, [row])
    jwks = (await world.client.get("/.well-known/jwks.json")).json()["keys"]
    for certificate in await certificates(world):
        claims = independent_verify(certificate["qr_text"].rsplit("/", 1)[1], jwks)
        answer = (await world.client.get(f"/api/v1/verify/{certificate['verification_code']}")).json()
        page = (await world.client.get(f"/v/{certificate['verification_code']}")).text
        assert claims[6] == answer["holder"], (claims[6], answer["holder"])
        assert f"<dd>{claims[6]}</dd>" in page
