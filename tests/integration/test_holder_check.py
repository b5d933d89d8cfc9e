"""The holder check is not an oracle: a budget of failed attempts per certificate, kept in PostgreSQL, holds
whatever the client address or server process; the answer never says which field was wrong."""

from __future__ import annotations

import asyncio
import dataclasses

import asyncpg
import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from ledger.database.engine import plain_url
from tests.factories import completion, id_number
from tests.integration.conftest import World
from tests.integration.test_certificates import certificates, register

CHECK = "/api/v1/verify/holder-check"


@pytest.fixture
async def unlimited(world: World):
    """Another server process on the same database, without a per-address limit worth the name: only the
    certificate's own budget stands between a guesser and the ID number."""
    settings = dataclasses.replace(world.web, holder_check_rate_per_minute=10_000)
    async with AsyncTestClient(app=create_app(settings), base_url="http://other.local") as other:
        yield other


NAME = "买买提·艾力"


async def skill_of(world: World, n: int) -> dict:
    before = {c["number"] for c in await certificates(world)}
    await register(world, [completion(n)])
    return next(c for c in await certificates(world) if c["kind"] == "skill_level" and c["number"] not in before)


async def test_five_failures_close_the_check_of_that_certificate_for_everyone(world: World, unlimited) -> None:
    first, second = await skill_of(world, 1), await skill_of(world, 2)
    right = {"code": first["verification_code"], "name": NAME, "id_number": id_number(1)}
    assert (await unlimited.post(CHECK, json=right)).json() == {"match": True}  # a match spends nothing
    wrong_id = {**right, "id_number": id_number(3)}
    wrong_name = {**right, "name": "张三"}
    answers = [await unlimited.post(CHECK, json=wrong_id if i % 2 else wrong_name) for i in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert {a.text for a in answers} == {'{"match":false}'}, "never which field was wrong"
    refused = await unlimited.post(CHECK, json=right)
    assert refused.status_code == 429 and refused.headers["content-type"].startswith("application/problem+json")
    assert (await world.client.post(CHECK, json=right)).status_code == 429, "from another address or process too"
    page = await world.client.post("/check", data={**right, "lang": "ug"})
    assert page.status_code == 429 and 'data-status="refused"' in page.text
    assert refused.headers["retry-after"] == page.headers["retry-after"] == "60", "every 429 says when to come back"
    other = {"code": second["verification_code"], "name": NAME, "id_number": id_number(2)}
    assert (await unlimited.post(CHECK, json=other)).json() == {"match": True}, "other certificates are untouched"
    # the window slides: once the failures are a day old, the holder may check again
    conn = await asyncpg.connect(plain_url(world.settings.database_url or ""))
    try:
        await conn.execute(
            "UPDATE holder_check_budgets SET failures = "
            "(SELECT coalesce(array_agg(f - interval '25 hours'), '{}') FROM unnest(failures) f)"
        )
    finally:
        await conn.close()
    assert (await unlimited.post(CHECK, json=right)).json() == {"match": True}


async def test_concurrent_guesses_cannot_spend_more_than_the_budget(world: World, unlimited) -> None:
    skill = await skill_of(world, 1)
    guesses = [{"code": skill["verification_code"], "name": NAME, "id_number": id_number(10 + i)}
               for i in range(20)]  # fmt: skip
    answers = await asyncio.gather(*(unlimited.post(CHECK, json=g) for g in guesses))
    assert sorted(a.status_code for a in answers) == [200] * 5 + [429] * 15


async def test_the_page_answers_yes_or_no_in_each_language(world: World) -> None:
    from api.i18n import catalogue

    skill = await skill_of(world, 1)
    form = await world.client.get("/check", params={"lang": "ug", "code": skill["verification_code"]})
    assert form.status_code == 200 and skill["verification_code"] in form.text and 'dir="rtl"' in form.text
    right = {"code": skill["verification_code"], "name": NAME, "id_number": id_number(1)}
    for lang in ("zh", "en", "ug"):
        yes = await world.client.post("/check", data={**right, "lang": lang})
        assert 'data-status="match"' in yes.text and catalogue(lang)["check.match"] in yes.text
    no = await world.client.post("/check", data={**right, "id_number": id_number(2), "lang": "en"})
    assert 'data-status="no_match"' in no.text and id_number(2) not in no.text
