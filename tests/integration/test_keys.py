"""API keys listed, revoked and rotated: a revoked key's next request is 401 and its portal sessions end, a rotated
key gives way to its new secret at once, and each change is in the ledger."""

from __future__ import annotations

import pytest

from ledger.database.engine import plain_url
from ledger.log.audit import audit
from ledger.record_types import all_record_types
from tests.integration.conftest import World, bearer
from tests.integration.test_audit_records import ORIGIN
from tests.integration.test_dashboard import secret_of
from tests.integration.test_dashboard import sign_in as dashboard_sign_in
from tests.integration.test_school_portal import sign_in as school_sign_in

pytestmark = [pytest.mark.asyncio, pytest.mark.https]


async def key_id_of(world: World, headers: dict[str, str]) -> int:
    listed = await world.client.get("/api/v1/keys", headers=world.admin)
    assert listed.status_code == 200, listed.text
    prefix = secret_of(headers)[:16]
    return next(k["key_id"] for k in listed.json() if k["prefix"] == prefix)


async def entries_of(world: World, key_id: int) -> list[dict]:
    import asyncpg

    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        rows = await conn.fetch(
            "SELECT kind, leaf FROM ledger_entries WHERE subject_type = 'api_key' AND subject_id = $1 ORDER BY idx",
            str(key_id),
        )
    finally:
        await conn.close()
    return [{"kind": r["kind"], "leaf": bytes(r["leaf"])} for r in rows]


async def test_the_admin_lists_keys_without_their_secrets(world: World) -> None:
    listed = await world.client.get("/api/v1/keys", headers=world.admin)
    assert listed.status_code == 200
    keys = listed.json()
    assert {k["kind"] for k in keys} == {"admin", "institution", "bureau"}
    assert {k["institution_code"] for k in keys if k["kind"] == "institution"} == {"EVAL-A", "SCHOOL-B"}
    assert next(k for k in keys if k["kind"] == "bureau")["region_code"] == "650000"
    secrets = [secret_of(h) for h in (world.admin, world.evaluator, world.school, world.bureau)]
    assert not any(s in listed.text for s in secrets), "no secret is listed"
    assert all(k["revoked_at"] is None and len(k["prefix"]) == 16 for k in keys)
    for who in (world.school, world.bureau):
        assert (await world.client.get("/api/v1/keys", headers=who)).status_code == 403


async def test_a_revoked_key_is_refused_and_its_portal_session_ends(world: World) -> None:
    client = world.client
    assert (await school_sign_in(client, secret_of(world.evaluator))).status_code == 303
    assert (await client.get("/school")).status_code == 200
    assert (await client.get("/api/v1/certificates", headers=world.evaluator)).status_code == 200
    key_id = await key_id_of(world, world.evaluator)

    revoked = await client.delete(f"/api/v1/keys/{key_id}", headers=world.admin)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None

    refused = await client.get("/api/v1/certificates", headers=world.evaluator)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    session_ended = await client.get("/school")
    assert session_ended.status_code == 303 and session_ended.headers["location"] == "/school/login"
    assert (await school_sign_in(client, secret_of(world.evaluator))).status_code == 401, "nor can it sign in again"
    assert (await client.get("/api/v1/certificates", headers=world.school)).status_code == 200, "others still work"

    again = await client.delete(f"/api/v1/keys/{key_id}", headers=world.admin)
    assert again.status_code == 409
    assert (await client.delete("/api/v1/keys/999999", headers=world.admin)).status_code == 404
    assert (await client.delete(f"/api/v1/keys/{key_id}", headers=world.school)).status_code == 403
    listed = (await client.get("/api/v1/keys?include_revoked=false", headers=world.admin)).json()
    assert key_id not in {k["key_id"] for k in listed}
    assert [e["kind"] for e in await entries_of(world, key_id)] == ["key.issued", "key.revoked"]


async def test_rotating_gives_a_new_secret_and_the_old_one_stops(world: World) -> None:
    client = world.client
    assert (await dashboard_sign_in(client, secret_of(world.bureau))).status_code == 303
    assert (await client.get("/dashboard")).status_code == 200
    old_id = await key_id_of(world, world.bureau)

    rotated = await client.post("/api/v1/keys/current/rotate", headers=world.bureau)
    assert rotated.status_code == 201, rotated.text
    assert rotated.headers["cache-control"] == "no-store"
    body = rotated.json()
    new = bearer(body["key"])
    assert body["kind"] == "bureau" and body["key"].startswith("ldg_bur_") and body["key"] != secret_of(world.bureau)

    assert (await client.get("/api/v1/stats/talent?as_of=2025-06-30", headers=world.bureau)).status_code == 401
    assert (await client.post("/api/v1/keys/current/rotate", headers=world.bureau)).status_code == 401
    assert (await client.get("/api/v1/stats/talent?as_of=2025-06-30", headers=new)).status_code == 200
    assert (await client.get("/dashboard")).status_code == 303, "the session signed in with the old key ended"

    keys = {k["key_id"]: k for k in (await client.get("/api/v1/keys", headers=world.admin)).json()}
    assert keys[old_id]["revoked_at"] is not None
    assert keys[body["key_id"]]["region_code"] == "650000" and keys[body["key_id"]]["revoked_at"] is None
    assert [e["kind"] for e in await entries_of(world, old_id)] == ["key.issued", "key.revoked"]
    assert [e["kind"] for e in await entries_of(world, body["key_id"])] == ["key.issued"]
    assert f'"replaces":"{old_id}"'.encode() in (await entries_of(world, body["key_id"]))[0]["leaf"]

    institution = await client.post("/api/v1/keys/current/rotate", headers=world.school)
    assert institution.status_code == 201 and institution.json()["key"].startswith("ldg_inst_")
    assert (await client.get("/api/v1/certificates", headers=bearer(institution.json()["key"]))).status_code == 200
    assert (await client.get("/api/v1/certificates", headers=world.school)).status_code == 401
    assert (await client.post("/api/v1/keys/current/rotate")).status_code == 401
    assert (await audit(plain_url(world.settings.database_url or ""), ORIGIN, all_record_types())).ok
