"""Every record type the ledger logs is audited: a direct edit of any business row makes `ledger audit` exit 1 and
name the record; no logged subject type lacks a loader; content versions keep old entries valid."""

from __future__ import annotations

import os
import subprocess
import sys

import asyncpg
import pytest

from ledger.database.engine import plain_url
from ledger.log.audit import audit
from ledger.log.records import RecordType, Registry
from ledger.record_types import all_record_types
from tests.conftest import ROOT
from tests.factories import completion, id_number
from tests.integration.conftest import World, bearer

ORIGIN = "skills-ledger.example/xinjiang"

# subject type -> (table, the row's subject id column, a column to edit, an edit that keeps every constraint)
TAMPERS: dict[str, tuple[str, str, str, str]] = {
    "institution": ("institutions", "id", "name", "name || '（改）'"),
    "api_key": ("api_keys", "id", "revoked_at", "now()"),
    "course": ("courses", "id", "hours", "hours + 1"),
    "completion": ("completions", "id", "hours", "hours + 1"),
    "certificate": ("certificates", "id", "status_reason", "'edited'"),
    "award": ("dual_awards", "id", "rule", "'graduation_skill'"),
    "signing_key": ("signing_keys", "kid", "public_key", "sha256(public_key)"),
    "plan": ("plan_targets", "code", "target", "target * 2"),
    "baseline_stock": ("baseline_stock", "region_code || '/' || jurisdiction", "persons", "persons + 1"),
    "certificate_share": ("certificate_shares", "id", "purpose", "purpose || '（改）'"),
    "published_figure": ("published_figures", "id", "value", "value + 1"),
}


async def _every_kind_of_record(world: World) -> None:
    """One of each record type: institutions, keys, a course, completions with dual awards and certificates (one
    revoked, one shared by its holder), a signing key, a plan, an aggregate baseline, a published survey figure and a
    legacy certificate; a key rotated and then revoked."""
    items = [completion(1), completion(2)]
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 201, response.text
    listed = (await world.client.get("/api/v1/certificates", headers=world.evaluator)).json()
    number = next(c["number"] for c in listed["items"] if c["kind"] == "skill_level")
    revoked = await world.client.post(
        f"/api/v1/certificates/{number}/revoke", json={"reason": "考核作弊"}, headers=world.evaluator
    )
    assert revoked.status_code == 200, revoked.text
    training = next(c for c in listed["items"] if c["kind"] != "skill_level" and c["status"] == "valid")
    holder = {"code": training["verification_code"], "name": "买买提·艾力", "purpose": "应聘某公司"}
    for n in (1, 2):  # whose of the two completions it is
        shared = await world.client.post("/api/v1/verify/shares", json={**holder, "id_number": id_number(n)})
        if shared.status_code == 201:
            break
    assert shared.status_code == 201, shared.text
    plan = {"name": "十四五职业技能培训", "metric": "training_person_times", "region_code": "650000",
            "starts_on": "2021-01-01", "ends_on": "2025-12-31", "target": 20}  # fmt: skip
    assert (await world.client.put("/api/v1/plans/xj-1405", json=plan, headers=world.bureau)).status_code == 200
    baseline = {"as_of": "2020-12-31", "source": "2020年统计年报",
                "rows": [{"region_code": "650100", "level": 3, "persons": 100}]}  # fmt: skip
    assert (await world.client.put("/api/v1/baseline", json=baseline, headers=world.admin)).status_code == 200
    published = {"region_code": "650000", "as_of": "2025-12-31", "figures": {"talent": 3_200_000},
                 "source": "新疆日报 2026-01-31"}  # fmt: skip
    assert (
        await world.client.put("/api/v1/published-figures", json=published, headers=world.bureau)
    ).status_code == 200
    legacy = {"id_number": id_number(9), "name": "阿依古丽", "number": "1665000000000009", "level": 3,
              "occupation_code": "6-18-01-01", "issued_on": "2016-06-30", "issuer_region": "653100"}  # fmt: skip
    imported = await world.client.post(
        "/api/v1/baseline/certificates", json={"rows": [legacy], "source": "2019 年鉴定档案"}, headers=world.admin
    )
    assert imported.status_code == 201, imported.text
    spare = await world.client.post("/api/v1/bureau-keys", json={"region_code": "653100"}, headers=world.admin)
    rotated = await world.client.post("/api/v1/keys/current/rotate", headers=bearer(spare.json()["key"]))
    assert rotated.status_code == 201, rotated.text
    revoked = await world.client.delete(f"/api/v1/keys/{rotated.json()['key_id']}", headers=world.admin)
    assert revoked.status_code == 200, revoked.text


def _ledger_audit(world: World) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEDGER_DATABASE_URL": world.settings.database_url or "", "LEDGER_ORIGIN": ORIGIN,
           "LEDGER_DATA_DIR": str(world.settings.data_dir)}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "audit"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


async def test_every_logged_subject_type_is_registered_with_a_loader(world: World) -> None:
    await _every_kind_of_record(world)
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        logged = {r["subject_type"] for r in await conn.fetch("SELECT DISTINCT subject_type FROM ledger_entries")}
    finally:
        await conn.close()
    registry = all_record_types()
    current = {t.subject_type for t in registry if not t.retired}
    assert logged <= current, f"logged without a current record type: {logged - current}"
    assert all(registry[t].load is not None for t in logged)
    # the world above makes every current record type, and the tamper table below covers each of them
    assert logged == current == set(TAMPERS)


@pytest.mark.slow
async def test_editing_any_business_row_fails_the_audit_and_names_it(world: World) -> None:
    await _every_kind_of_record(world)
    url = plain_url(world.settings.database_url or "")
    honest = _ledger_audit(world)
    assert honest.returncode == 0, honest.stdout + honest.stderr
    conn = await asyncpg.connect(url)
    try:
        for subject_type, (table, key, column, edit) in TAMPERS.items():
            subject_id, before = await conn.fetchrow(f"SELECT ({key})::text, {column} FROM {table} ORDER BY 1 LIMIT 1")
            await conn.execute(f"UPDATE {table} SET {column} = {edit} WHERE ({key})::text = $1", subject_id)
            caught = _ledger_audit(world)
            assert caught.returncode == 1, f"{subject_type}: {caught.stdout}"
            assert f"{subject_type}:{subject_id} differs from what ledger entry" in caught.stdout, caught.stdout
            await conn.execute(f"UPDATE {table} SET {column} = $2 WHERE ({key})::text = $1", subject_id, before)
        assert (await audit(url, ORIGIN, all_record_types())).ok
    finally:
        await conn.close()


async def test_a_new_content_version_keeps_old_entries_valid(world: World) -> None:
    """Entries written with version 1 of a content function still verify after version 2 is added, and entries
    written with version 2 are checked with version 2."""
    await _every_kind_of_record(world)
    url = plain_url(world.settings.database_url or "")
    registry = all_record_types()
    course = registry["course"]

    def course_v2(row):  # a new format: adds the course name's length
        return {**course.content(row, 1), "name_chars": len(row["name"])}

    with_v2 = Registry(
        [t for t in registry if t.subject_type != "course"]
        + [RecordType("course", {1: course.contents[1], 2: course_v2}, course.load)]
    )
    assert (await audit(url, ORIGIN, with_v2)).ok  # every course entry says cv 1 (no `cv` in the leaf)

    conn = await asyncpg.connect(url)
    try:
        leaves = [
            bytes(r["leaf"]) for r in await conn.fetch("SELECT leaf FROM ledger_entries WHERE subject_type = 'course'")
        ]
    finally:
        await conn.close()
    assert leaves and all(b'"cv"' not in leaf for leaf in leaves)
    # an entry naming a content version nobody registered is reported, not silently accepted
    only_v2 = Registry(
        [t for t in registry if t.subject_type != "course"] + [RecordType("course", {2: course_v2}, course.load)]
    )
    report = await audit(url, ORIGIN, only_v2)
    assert any("unknown content version 1" in p for p in report.problems)


async def test_an_entry_of_an_unregistered_type_fails_the_audit(world: World) -> None:
    url = plain_url(world.settings.database_url or "")
    registry = all_record_types()
    without_courses = Registry([t for t in registry if t.subject_type != "course"])
    report = await audit(url, ORIGIN, without_courses)
    assert any("a record type nobody registered" in p and "course:" in p for p in report.problems)
