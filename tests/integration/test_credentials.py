"""Every certificate is also an Open Badges 3.0 OpenBadgeCredential secured as a VC-JWT: valid against 1EdTech's
own JSON Schema, verified with jwcrypto (the app signs with `cryptography` directly) and the key its `kid` names in
/.well-known/jwks.json, its status read from the issuer's Bitstring Status List the way the W3C specification
says, served to the institution and, through a share link, to the holder."""

from __future__ import annotations

import base64
import json

from jwcrypto import jwk, jws
from litestar.testing import AsyncTestClient

from tests.factories import id_number
from tests.integration.conftest import World
from tests.integration.test_holder_check import NAME, skill_of
from tests.integration.test_shares import app_client, path_of, share  # noqa: F401  (app_client is a fixture)
from tests.open_badges import CREDENTIAL_SCHEMA, PROFILE_SCHEMA, errors, status_at


def local(url: str, world: World) -> str:
    """The path of one of the app's own public addresses."""
    base = world.web.public_base_url
    assert url.startswith(base + "/"), url
    return url.removeprefix(base)


async def verified(client: AsyncTestClient, world: World, token: str) -> tuple[dict, dict]:
    """Check a compact JWS with jwcrypto against the key its `kid` names; return (header, payload)."""
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    keys_url, _, kid = header["kid"].partition("#")
    keys = await client.get(local(keys_url, world))
    assert keys.status_code == 200
    (found,) = [k for k in keys.json()["keys"] if k["kid"] == kid]
    signed = jws.JWS()
    signed.deserialize(token)
    signed.verify(jwk.JWK(**found), alg="EdDSA")  # raises on a bad signature
    return header, json.loads(signed.payload)


async def credential_of(world: World, number: str) -> str:
    response = await world.client.get(f"/api/v1/certificates/{number}/credential", headers=world.evaluator)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vc+jwt")
    return response.text


async def live_status(world: World, credential: dict) -> tuple[str, int]:
    """The message the credential's status list gives it now."""
    entry = credential["credentialStatus"]
    response = await world.client.get(local(entry["statusListCredential"], world))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/vc+jwt")
    header, status_list = await verified(world.client, world, response.text)
    assert header["typ"] == "vc+jwt" and status_list["id"] == entry["statusListCredential"]
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert status_list["issuer"] == credential["issuer"]["id"], "the list's issuer is the credential's"
    subject = status_list["credentialSubject"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == entry["statusPurpose"]
    value = status_at(subject["encodedList"], int(entry["statusListIndex"]), entry["statusSize"])
    (message,) = [m["message"] for m in entry["statusMessage"] if int(m["status"], 16) == value]
    return message, value


async def test_a_certificate_is_an_open_badge_credential_signed_as_a_vc_jwt(world: World) -> None:
    skill = await skill_of(world, 1)
    token = await credential_of(world, skill["number"])
    header, credential = await verified(world.client, world, token)
    assert header == {"alg": "EdDSA", "kid": header["kid"], "typ": "vc+jwt"}
    assert header["kid"].startswith(f"{world.web.public_base_url}/.well-known/jwks.json#")
    assert errors(CREDENTIAL_SCHEMA, credential) == [], "valid against 1EdTech's OB 3.0 AchievementCredential schema"
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert "OpenBadgeCredential" in credential["type"]
    # the JWT claims Open Badges 3.0 asks for mirror the credential
    assert credential["iss"] == credential["issuer"]["id"] and credential["jti"] == credential["id"]
    assert credential["sub"] == credential["credentialSubject"]["id"]
    assert credential["validFrom"].startswith("2025-05-30T00:00:00+08:00")
    assert credential["nbf"] == 1748534400  # 2025-05-30 00:00 in China
    subject = credential["credentialSubject"]
    assert subject["identifier"] == [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": NAME}
    ]
    assert subject["id"].startswith("urn:uuid:") and subject["licenseNumber"] == skill["number"]
    achievement = subject["achievement"]
    assert achievement["humanCode"] == "6-18-01-01" and "四级/中级工" in achievement["name"]
    assert achievement["otherIdentifier"][0]["identifier"] == "6-18-01-01"
    assert credential["issuer"]["name"] == "乌鲁木齐市职业技能鉴定中心"
    # never the ID number, nor its masked form
    whole = json.dumps(credential, ensure_ascii=False)
    assert id_number(1) not in whole and id_number(1)[-4:] not in whole and "********" not in whole
    assert id_number(1) not in base64.urlsafe_b64decode(token.split(".")[1] + "==").decode()
    again = await credential_of(world, skill["number"])
    assert again == token, "the same bytes on every download"
    other = await skill_of(world, 2)
    other_credential = json.loads(
        base64.urlsafe_b64decode((await credential_of(world, other["number"])).split(".")[1] + "==")
    )
    assert other_credential["credentialSubject"]["id"] != subject["id"], "a holder id per person"


async def test_the_issuer_profile_is_served_where_its_id_points(world: World) -> None:
    skill = await skill_of(world, 1)
    _, credential = await verified(world.client, world, await credential_of(world, skill["number"]))
    response = await world.client.get(local(credential["issuer"]["id"], world))
    assert response.status_code == 200
    profile = response.json()
    assert errors(PROFILE_SCHEMA, profile) == []
    assert profile["id"] == credential["issuer"]["id"] and profile["name"] == credential["issuer"]["name"]
    unknown = await world.client.get("/api/v1/issuers/NO-SUCH")
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("application/problem+json")
    assert (await world.client.get("/api/v1/issuers/NO-SUCH/status-list")).status_code == 404


async def test_only_the_certificates_institution_gets_its_credential(world: World) -> None:
    skill = await skill_of(world, 1)
    path = f"/api/v1/certificates/{skill['number']}/credential"
    assert (await world.client.get(path, headers=world.school)).status_code == 404
    assert (await world.client.get(path)).status_code == 401
    assert (await world.client.get(path, headers=world.bureau)).status_code == 403


async def test_the_status_list_flips_on_revoke_suspend_and_reinstate(world: World) -> None:
    first, second = await skill_of(world, 1), await skill_of(world, 2)
    _, revoked = await verified(world.client, world, await credential_of(world, first["number"]))
    _, suspended = await verified(world.client, world, await credential_of(world, second["number"]))
    assert revoked["credentialStatus"]["statusListIndex"] != suspended["credentialStatus"]["statusListIndex"]
    assert await live_status(world, revoked) == ("有效 valid", 0)
    assert await live_status(world, suspended) == ("有效 valid", 0)

    async def change(number: str, action: str) -> None:
        body = {"reason_code": "under_review" if action == "suspend" else "exam_misconduct"}
        if action == "reinstate":
            body = {"reason_code": "review_cleared"}
        response = await world.client.post(
            f"/api/v1/certificates/{number}/{action}", json=body, headers=world.evaluator
        )
        assert response.status_code == 200, response.text

    await change(first["number"], "revoke")
    assert await live_status(world, revoked) == ("已撤销 revoked", 1), "at once, not after the list's ttl"
    assert await live_status(world, suspended) == ("有效 valid", 0)
    await change(second["number"], "suspend")
    assert await live_status(world, suspended) == ("已暂停 suspended", 2)
    await change(second["number"], "reinstate")
    assert await live_status(world, suspended) == ("有效 valid", 0)
    assert await live_status(world, revoked) == ("已撤销 revoked", 1)
    refused = await world.client.get(f"/api/v1/certificates/{first['number']}/credential", headers=world.evaluator)
    assert refused.status_code == 409 and "不提供可验证凭证" in refused.json()["detail"]


async def test_the_holder_downloads_the_credential_through_a_share_link(world: World, app_client) -> None:  # noqa: F811
    skill = await skill_of(world, 1)
    made = await share(app_client, skill)
    assert made.status_code == 201, made.text
    path = path_of(made.json())
    page = await app_client.get(path)
    assert f'href="{path}/credential"' in page.text and 'data-credential="download"' in page.text
    download = await app_client.get(f"{path}/credential")
    assert download.status_code == 200 and download.headers["content-type"].startswith("application/vc+jwt")
    assert "attachment" in download.headers["content-disposition"]
    assert download.text == await credential_of(world, skill["number"]), "the institution's credential, to the byte"
    assert (await app_client.get("/s/" + "A" * 27 + "/credential")).status_code == 404
    gone = await app_client.request(
        "DELETE", f"/api/v1/verify/shares/{made.json()['id']}", json={"code": skill["verification_code"], "name": NAME,
                                                                     "id_number": id_number(1)}
    )  # fmt: skip
    assert gone.status_code == 204
    assert (await app_client.get(f"{path}/credential")).status_code == 404, "a revoked share serves nothing"


async def test_a_share_of_a_certificate_no_longer_valid_offers_no_credential(world: World, app_client) -> None:  # noqa: F811
    skill = await skill_of(world, 1)
    made = await share(app_client, skill)
    path = path_of(made.json())
    body = {"reason_code": "under_review"}
    suspended = await world.client.post(
        f"/api/v1/certificates/{skill['number']}/suspend", json=body, headers=world.evaluator
    )
    assert suspended.status_code == 200
    page = await app_client.get(path)
    assert page.status_code == 200 and 'data-status="suspended"' in page.text
    assert "/credential" not in page.text, "no download link while the certificate is not valid"
    refused = await app_client.get(f"{path}/credential")
    assert refused.status_code == 409 and refused.headers["content-type"].startswith("application/problem+json")
