"""Constraint violations are problems naming the field: two requests racing for one unique value give one success and
one 409, never a 500, and a violation the map does not know is never called "already exists".

The racing requests go through an app served in the test's own event loop (httpx's ASGI transport): Litestar's
AsyncTestClient hands each request to a portal thread and waits for it, so requests gathered on it run one after
another. Each race is forced rather than hoped for: the test holds the ledger head (every write appends to the log
last, under the head's row lock), so the first request waits there with its rows written but not committed, and the
second gets past every check the service makes before the database refuses it. Only then is the head let go.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
import sqlalchemy
import sqlalchemy.exc
from litestar import Litestar, get
from litestar.testing import TestClient

from api.app import create_app
from api.problems import EXCEPTION_HANDLERS
from ledger.database.constraints import CONFLICT_DETAIL, CONSTRAINTS, INVALID_DETAIL
from ledger.database.engine import make_engine, make_sessionmaker, plain_url
from tests.factories import completion
from tests.integration.conftest import COURSE, EVALUATOR, World

ROUNDS = 3


@contextlib.asynccontextmanager
async def served(world: World) -> AsyncIterator[httpx.AsyncClient]:
    """A second app on the world's database whose requests really run at the same time (entered in the test's own
    task: the app's lifespan keeps a task group, which must be left from the task that entered it)."""
    app = create_app(world.web)
    transport = httpx.ASGITransport(app=app)
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@contextlib.asynccontextmanager
async def ledger_head_held(world: World) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        async with conn.transaction():
            await conn.execute("SELECT 1 FROM ledger_head WHERE id = 1 FOR UPDATE")
            yield conn
    finally:
        await conn.close()


async def _waiting(conn: asyncpg.Connection) -> int:
    """Backends of this database waiting on a lock (the ledger head, or a row another writer has not committed).
    The activity view is read afresh: inside a transaction PostgreSQL keeps showing its first snapshot."""
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    return await conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )


Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


async def race(world: World, *requests: Send) -> list[httpx.Response]:
    """Send `requests` together and let them go only once every one of them is blocked inside its transaction."""
    async with served(world) as http:
        async with ledger_head_held(world) as conn:
            tasks = [asyncio.ensure_future(send(http)) for send in requests]
            for _ in range(500):
                if await _waiting(conn) >= len(tasks):
                    break
                await asyncio.sleep(0.01)
            else:  # pragma: no cover - a request finished or failed without reaching the head
                pytest.fail(f"the requests did not all reach the ledger head: {[t.done() for t in tasks]}")
        return list(await asyncio.wait_for(asyncio.gather(*tasks), timeout=60))


def one_created_one_conflict(responses: list[httpx.Response], field: str, created: int = 201) -> dict[str, Any]:
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [created, 409], [r.text for r in responses]
    problem = next(r for r in responses if r.status_code == 409)
    assert problem.headers["content-type"].startswith("application/problem+json")
    body = problem.json()
    assert body["type"] == "/problems/conflict"
    assert [e["field"] for e in body["errors"]] == [field], body
    assert "violates" not in problem.text and "Key (" not in problem.text and "uq_" not in problem.text
    return body


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_two_schools_racing_for_one_graduation_number(world: World, round_: int) -> None:
    course = {**COURSE, "code": "GRAD-RACE", "dual_rule": "graduation_skill"}
    assert (await world.client.post("/api/v1/courses", json=course, headers=world.evaluator)).status_code == 201
    number = f"BY-2025-{round_:04d}"

    def batch(seq: int) -> Send:
        body = {"items": [completion(seq, course="GRAD-RACE", graduation_number=number)]}
        return lambda http: http.post("/api/v1/completions", json=body, headers=world.evaluator)

    body = one_created_one_conflict(await race(world, batch(1), batch(2)), "graduation_number")
    assert body["errors"][0]["code"] == "taken"
    assert body["errors"][0]["message"].startswith("该毕业证书编号")
    listed = await world.client.get("/api/v1/certificates?course_code=GRAD-RACE", headers=world.evaluator)
    assert [c["number"] for c in listed.json()["items"] if c["kind"] == "graduation"] == [number]


@pytest.mark.parametrize("round_", range(ROUNDS))
@pytest.mark.parametrize(
    ("path", "base", "caller"), [("courses", COURSE, "evaluator"), ("institutions", EVALUATOR, "admin")]
)
async def test_two_registrations_racing_for_one_code(
    world: World, path: str, base: dict[str, Any], caller: str, round_: int
) -> None:
    """Two courses of one institution, or two institutions, with the same code."""
    first = {**base, "code": f"RACE-{round_}"}
    second = {**first, "name": "另一个名称"}
    headers = getattr(world, caller)
    responses = await race(
        world,
        lambda http: http.post(f"/api/v1/{path}", json=first, headers=headers),
        lambda http: http.post(f"/api/v1/{path}", json=second, headers=headers),
    )
    body = one_created_one_conflict(responses, "code")
    assert body["errors"][0]["code"] == "taken"


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_two_baseline_loads_racing_for_one_region(world: World, round_: int) -> None:
    def load(persons: int) -> Send:
        body = {"as_of": "2020-12-31", "source": f"round {round_}",
                "rows": [{"region_code": "650100", "level": 3, "persons": persons}]}  # fmt: skip
        return lambda http: http.put("/api/v1/baseline", json=body, headers=world.admin)

    body = one_created_one_conflict(await race(world, load(100), load(200)), "region_code", created=200)
    assert body["errors"][0]["code"] == "loaded_concurrently"


async def test_an_assessment_over_a_year_after_completion_is_422_naming_the_field(world: World) -> None:
    """No service check covers this one: the database's check constraint is what refuses it."""
    row = completion(7, completed_on="2025-03-01", assessment={"level": 4, "assessed_on": "2026-03-05"})
    response = await world.client.post("/api/v1/completions", json={"items": [row]}, headers=world.evaluator)
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {
            "field": "assessment.assessed_on",
            "code": "too_late",
            "message": CONSTRAINTS["ck_completions_assessed_on"].message,
        }
    ]
    assert "ck_" not in response.text and "violates" not in response.text


async def test_a_constraint_the_map_does_not_know_is_not_already_exists(world: World) -> None:
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        await conn.execute("ALTER TABLE courses ADD CONSTRAINT ck_courses_not_mapped CHECK (name <> '禁用')")
        await conn.execute("CREATE UNIQUE INDEX uq_courses_not_mapped ON courses (name)")
    finally:
        await conn.close()
    refused = await world.client.post(
        "/api/v1/courses", json={**COURSE, "code": "X-1", "name": "禁用"}, headers=world.evaluator
    )
    assert refused.status_code == 422, refused.text
    assert refused.json() == {"type": "/problems/validation", "title": "The input is invalid", "status": 422,
                              "detail": INVALID_DETAIL}  # fmt: skip
    clash = await world.client.post("/api/v1/courses", json={**COURSE, "code": "X-2"}, headers=world.evaluator)
    assert clash.status_code == 409, clash.text
    assert clash.json() == {"type": "/problems/conflict", "title": "Conflict with the current state", "status": 409,
                            "detail": CONFLICT_DETAIL}  # fmt: skip


async def test_every_constraint_of_the_schema_is_mapped(world: World) -> None:
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        rows = await conn.fetch(
            """
            SELECT c.conrelid::regclass::text AS tab, c.conname AS name FROM pg_constraint c
            WHERE c.connamespace = 'public'::regnamespace AND c.contype IN ('u', 'f', 'c', 'x')
            UNION
            SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text FROM pg_index i
            JOIN pg_class t ON t.oid = i.indrelid AND t.relnamespace = 'public'::regnamespace
            WHERE i.indisunique AND NOT i.indisprimary
            """
        )
    finally:
        await conn.close()
    internal = (
        "ledger_",
        "talent_",
        "signing_keys",
        "number_counters",
        "jobs",
        "job_rows",
        "stored_file",
        "holder_check",
    )
    reachable = {r["name"] for r in rows if not r["tab"].startswith(internal)}
    assert reachable - CONSTRAINTS.keys() == set()
    chosen_keys = {"pk_plan_targets", "pk_baseline_stock", "pk_evaluator_filings", "pk_regions", "pk_occupations"}
    assert CONSTRAINTS.keys() - reachable == chosen_keys


async def test_a_violation_reaching_the_api_is_mapped_by_the_same_map(world: World) -> None:
    """The API's safety net, for a write outside the services: both shapes of the error, no driver text."""
    url = world.settings.database_url or ""
    conn = await asyncpg.connect(plain_url(url))
    try:
        with pytest.raises(asyncpg.UniqueViolationError) as raw:
            await conn.execute(
                "INSERT INTO institutions (code, name, kind, region_code, jurisdiction) "
                "SELECT code, name, kind, region_code, jurisdiction FROM institutions LIMIT 1"
            )
    finally:
        await conn.close()
    engine = make_engine(url, pool_size=1)
    try:
        async with make_sessionmaker(engine)() as session:
            with pytest.raises(sqlalchemy.exc.IntegrityError) as wrapped:
                await session.execute(sqlalchemy.text("INSERT INTO courses (institution_id, code) VALUES (0, 'x')"))
    finally:
        await engine.dispose()

    def fail_with(exc: BaseException) -> Any:
        @get("/")
        async def handler() -> None:
            raise exc

        return handler

    for exc, field in ((raw.value, "code"), (wrapped.value, None)):
        with TestClient(Litestar([fail_with(exc)], exception_handlers=EXCEPTION_HANDLERS)) as client:
            response = client.get("/")
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "institutions" not in response.text and "courses" not in response.text, response.text
        if field is None:  # a NOT NULL column (name): bad input, named by its column
            assert response.status_code == 422, response.text
            assert response.json()["errors"][0]["code"] == "required"
        else:
            assert response.status_code == 409, response.text
            assert response.json()["errors"][0]["field"] == field


async def test_two_posts_racing_with_one_idempotency_key_take_effect_once(world: World) -> None:
    """The key's unique index holds the second request until the first commits; it then replays the first answer.
    (tests/integration/test_idempotency.py gathers on the AsyncTestClient, whose requests run one after another.)"""
    headers = {**world.evaluator, "Idempotency-Key": "raced"}
    body = {"items": [completion(i) for i in range(3)]}
    first, second = await race(
        world,
        lambda http: http.post("/api/v1/completions", json=body, headers=headers),
        lambda http: http.post("/api/v1/completions", json=body, headers=headers),
    )
    assert first.status_code == second.status_code == 201, [first.text, second.text]
    assert first.content == second.content
    assert sorted(r.headers.get("idempotent-replayed", "") for r in (first, second)) == ["", "true"]


async def test_two_puts_racing_for_one_plan_code_both_apply(world: World) -> None:
    """A plan is created or replaced (INSERT … ON CONFLICT DO UPDATE): racing puts are applied one after the other."""
    plan = {"name": "十四五技能培训", "metric": "training_person_times", "region_code": "650000",
            "starts_on": "2021-01-01", "ends_on": "2025-12-31", "target": 7_500_000}  # fmt: skip
    responses = await race(
        world,
        lambda http: http.put("/api/v1/plans/raced", json=plan, headers=world.bureau),
        lambda http: http.put("/api/v1/plans/raced", json={**plan, "target": 8_000_000}, headers=world.bureau),
    )
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
