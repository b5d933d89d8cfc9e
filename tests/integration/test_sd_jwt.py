"""The certificate as an SD-JWT VC (RFC 9901): verified with jwcrypto and a disclosure check written here from the
RFC, the holder showing the name alone, or the level alone, while the rest stays hidden; a forged disclosure fails."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from jwcrypto import jws

from tests.factories import id_number
from tests.integration.conftest import World
from tests.integration.test_credentials import verified
from tests.integration.test_holder_check import NAME, skill_of
from tests.integration.test_shares import app_client, path_of, share  # noqa: F401  (app_client is a fixture)


def b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def presented(world: World, presentation: str) -> dict:
    """RFC 9901 §7.1 and §7.3 for a presentation without key binding: verify the issuer-signed JWT, then each
    disclosure's SHA-256 must be one of the digests it signed (once); return the claims with those disclosed."""
    issuer_jwt, *disclosures, key_binding = presentation.split("~")
    assert key_binding == "", "no key binding JWT"
    header, payload = await verified(world.client, world, issuer_jwt)
    assert header["typ"] == "dc+sd-jwt" and payload.pop("_sd_alg") == "sha-256"
    digests = payload.pop("_sd")
    claims = dict(payload)
    for disclosure in disclosures:
        digest = base64.urlsafe_b64encode(hashlib.sha256(disclosure.encode()).digest()).rstrip(b"=").decode()
        if digest not in digests:
            raise ValueError("a disclosure the issuer did not sign")
        digests.remove(digest)
        _salt, name, value = json.loads(b64(disclosure))
        assert name not in claims
        claims[name] = value
    return claims


def only(presentation: str, *names: str) -> str:
    """What a holder's wallet sends: the issuer-signed JWT and the disclosures of `names` alone."""
    issuer_jwt, *disclosures, _ = presentation.split("~")
    kept = [d for d in disclosures if json.loads(b64(d))[1] in names]
    return "~".join([issuer_jwt, *kept, ""])


async def sd_jwt_of(world: World, number: str) -> str:
    response = await world.client.get(
        f"/api/v1/certificates/{number}/credential", params={"output": "sd-jwt"}, headers=world.evaluator
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/dc+sd-jwt")
    return response.text


async def test_the_holder_discloses_the_name_level_and_number_one_by_one(world: World) -> None:
    skill = await skill_of(world, 1)
    issued = await sd_jwt_of(world, skill["number"])
    everything = await presented(world, issued)
    assert everything["holder_name"] == NAME and everything["level"] == 4 and everything["number"] == skill["number"]
    assert everything["occupation_code"] == "6-18-01-01" and everything["vct"].endswith("/vct/skill_level")
    assert everything["status"]["status_list"]["idx"] >= 0
    signed_part = b64(issued.split(".")[1]).decode()
    assert NAME not in signed_part and skill["number"] not in signed_part, "hidden until disclosed"
    assert id_number(1) not in issued
    name_only = await presented(world, only(issued, "holder_name"))
    assert name_only["holder_name"] == NAME and "level" not in name_only and "number" not in name_only
    level_only = await presented(world, only(issued, "level"))
    assert level_only["level"] == 4 and "holder_name" not in level_only and "number" not in level_only
    nothing = await presented(world, only(issued))
    assert not {"holder_name", "level", "number"} & set(nothing)
    assert issued != await sd_jwt_of(world, skill["number"]), "fresh salts on every download"


async def test_a_forged_disclosure_or_signature_is_refused(world: World) -> None:
    skill = await skill_of(world, 1)
    issued = await sd_jwt_of(world, skill["number"])
    issuer_jwt, *disclosures, _ = issued.split("~")
    salt, _, _ = json.loads(b64(disclosures[0]))
    forged = base64.urlsafe_b64encode(json.dumps([salt, "holder_name", "张三"]).encode()).rstrip(b"=").decode()
    with pytest.raises(ValueError, match="did not sign"):
        await presented(world, "~".join([issuer_jwt, forged, ""]))
    head, body, signature = issuer_jwt.split(".")
    claims = json.loads(b64(body))
    claims["level"] = 1
    altered = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(jws.InvalidJWSSignature):
        await presented(world, "~".join([f"{head}.{altered}.{signature}", ""]))


async def test_the_holder_gets_the_sd_jwt_through_a_share_link(world: World, app_client) -> None:  # noqa: F811
    skill = await skill_of(world, 1)
    made = await share(app_client, skill)
    download = await app_client.get(f"{path_of(made.json())}/credential", params={"output": "sd-jwt"})
    assert download.status_code == 200 and download.headers["content-type"].startswith("application/dc+sd-jwt")
    assert (await presented(world, only(download.text, "number")))["number"] == skill["number"]
    bad = await app_client.get(f"{path_of(made.json())}/credential", params={"output": "jsonld"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
