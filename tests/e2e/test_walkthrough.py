"""The README walk-through, over HTTP against a real server process started with `ledger serve --demo`."""

from __future__ import annotations

import json
import re

import asyncpg
import httpx

from ledger.database.engine import plain_url
from tests.conftest import run_async
from tests.e2e.conftest import Server
from tests.factories import check_char, id_number

ID_PATTERN = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
HEX = re.compile(r"[0-9a-f]{32,}")  # hashes and commitments may hold long digit runs by chance


def test_the_demo_server_prints_its_keys_and_is_ready(server: Server) -> None:
    assert {"admin", "institution XJ-EVAL-01", "institution KS-TRAIN-01", "bureau 650000"} <= set(server.keys)
    assert httpx.get(f"{server.base}/health").json()["status"] == "ok"
    ready = httpx.get(f"{server.base}/ready")
    assert ready.status_code == 200, ready.text
    assert httpx.get(f"{server.base}/schema/openapi.json").json()["info"]["title"] == "Skills Ledger API"


def test_readme_walkthrough(server: Server) -> None:
    school = {"Authorization": f"Bearer {server.keys['institution XJ-EVAL-01']}"}
    course = {
        "code": "WELD-2025-07",
        "name": "数控车工（四级）",
        "occupation_code": "6-18-01-01",
        "starts_on": "2025-07-01",
        "ends_on": "2025-08-30",
        "hours": 120,
        "outcome": "skill_level",
        "target_level": 4,
        "dual_rule": "training_skill",
        "mode_tags": ["order"],
    }
    created = httpx.post(f"{server.base}/api/v1/courses", json=course, headers=school)
    assert created.status_code == 201, created.text
    assert httpx.get(f"{server.base}/api/v1/courses/WELD-2025-07", headers=school).json()["hours"] == 120
    batch = {
        "items": [
            {
                "course_code": "WELD-2025-07",
                "trainee": {"name": "买买提·艾力", "id_number": id_number(i, region="653101")},
                "completed_on": "2025-08-30",
                "hours": 120,
                "passed": True,
                "assessment": {"level": 4, "assessed_on": "2025-08-28", "theory_score": 78, "practical_score": 85},
            }
            for i in range(3)
        ]
    }
    headers = {**school, "Idempotency-Key": "walkthrough-1"}
    dry = httpx.post(f"{server.base}/api/v1/completions?dry_run=true", json=batch, headers=headers | {
        "Idempotency-Key": "walkthrough-dry"})  # fmt: skip
    assert dry.status_code == 200 and dry.json()["dry_run"] is True
    posted = httpx.post(f"{server.base}/api/v1/completions", json=batch, headers=headers)
    assert posted.status_code == 201, posted.text
    again = httpx.post(f"{server.base}/api/v1/completions", json=batch, headers=headers)
    assert again.content == posted.content and again.headers["idempotent-replayed"] == "true"
    trainee_id = posted.json()["rows"][0]["trainee_id"]
    trainee = httpx.get(f"{server.base}/api/v1/trainees/{trainee_id}", headers=school).json()
    assert trainee["id_number_masked"] == id_number(0, region="653101")[:6] + "********" + id_number(0, "653101")[-4:]
    other = {"Authorization": f"Bearer {server.keys['institution KS-TRAIN-01']}"}
    assert httpx.get(f"{server.base}/api/v1/trainees/{trainee_id}", headers=other).status_code == 404
    checkpoint = httpx.get(f"{server.base}/api/v1/ledger/checkpoint")
    assert checkpoint.status_code == 200 and checkpoint.text.count("\n") >= 4


def test_no_id_number_in_plaintext_in_the_database_or_the_logs(server: Server) -> None:
    school = {"Authorization": f"Bearer {server.keys['institution XJ-EVAL-01']}"}
    ids = [id_number(500 + i, region="650104") for i in range(5)]
    header = "course_code,姓名,身份证号,结业日期,学时,是否合格,鉴定等级\n"
    rows = "".join(f"CHEGONG-2025-01,艾尔肯·热合曼,{n.lower()},2025-05-30,160,是,4\n" for n in ids[:3])
    imported = httpx.post(f"{server.base}/api/v1/completions/import", content=(header + rows).encode("gb18030"),
                          headers={**school, "content-type": "text/csv"})  # fmt: skip
    assert imported.status_code == 201, imported.text
    bad = [{"course_code": "CHEGONG-2025-01", "trainee": {"name": "李娜", "id_number": n[:-1] + "0"},
            "completed_on": "2025-05-30", "hours": 1, "passed": False} for n in ids[3:]]  # fmt: skip
    refused = httpx.post(f"{server.base}/api/v1/completions", json={"items": bad}, headers=school)
    assert refused.status_code == 422
    assert not ID_PATTERN.search(refused.text), "an error echoed the ID number"
    found = run_async(_scan_database(server.database_url))
    assert found == [], f"ID-like values stored in plaintext: {found[:5]}"
    log = server.log.read_text()
    assert not looks_like_an_id_number(log), "an ID number appears in the server log"
    assert not any(n in log or n[:-1] in log for n in ids)


def test_the_server_log_is_structured_and_names_routes_not_paths(server: Server) -> None:
    typed = id_number(777, region="650104")
    for path in (f"/v/{typed}", f"/api/v1/verify/{typed}", f"/nothing/{typed}"):
        response = httpx.get(f"{server.base}{path}")
        assert response.status_code == 404 and len(response.headers["x-request-id"]) == 32
    deep = httpx.post(f"{server.base}/api/v1/completions", content=b"[" * 1000 + b"]" * 1000)
    assert deep.status_code == 400, "refused before authentication, without a traceback"
    records = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    access = [r for r in records if r["logger"] == "api.access"]
    assert {"route": "/v/{code}", "status": 404} in [{"route": r["route"], "status": r["status"]} for r in access]
    assert all({"request_id", "method", "route", "status", "duration_ms", "ts"} <= set(r) for r in access)
    assert not [r for r in records if r["level"] == "error" or "Traceback" in json.dumps(r)]
    log = server.log.read_text()
    assert typed not in log and not looks_like_an_id_number(log)
    assert 'HTTP/1.1" 404' not in log and "uvicorn.access" not in log, "uvicorn's access log (raw paths) is off"


def looks_like_an_id_number(value: object) -> bool:
    """An 18-character run with a valid GB 11643 check character, outside hex digests (which hold long digit
    runs by chance), in text or in raw bytes."""
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    for match in ID_PATTERN.finditer(HEX.sub("", text)):
        candidate = match.group().upper()
        if check_char(candidate[:17]) == candidate[17]:
            return True
    return False


async def _scan_database(url: str) -> list[str]:
    """Read every row of every table (a dump) and look for 18-digit ID numbers, in text and in raw bytes."""
    conn = await asyncpg.connect(plain_url(url))
    hits: list[str] = []
    try:
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert len(tables) > 10
        for table in tables:
            name = table["tablename"]
            for row in await conn.fetch(f'SELECT * FROM "{name}"'):
                for column, value in row.items():
                    if value is not None and looks_like_an_id_number(value):
                        hits.append(f"{name}.{column}")
    finally:
        await conn.close()
    return hits
