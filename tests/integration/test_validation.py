"""Nasty input: each gets a clear 4xx naming the field (and row), and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import check_char, completion, id_number
from tests.integration.conftest import COURSE, World
from tests.integration.test_completions import counts


async def post_one(world: World, row: dict) -> tuple[int, dict]:
    response = await world.client.post("/api/v1/completions", json={"items": [row]}, headers=world.evaluator)
    return response.status_code, response.json()


def with_trainee(**trainee: object) -> dict:
    row = completion(7)
    row["trainee"].update(trainee)
    return row


BAD_ROWS = {
    "bad check character": (
        with_trainee(id_number=id_number(7)[:-1] + "0"),
        "trainee.id_number",
        "id_checksum",
    ),
    "impossible birth date": (
        with_trainee(id_number=(b := "650102" + "19900230" + "123") + check_char(b)),
        "trainee.id_number",
        "id_birth_date",
    ),
    "unknown domicile region": (
        with_trainee(domicile_region="659999"),
        "trainee.domicile_region",
        "unknown_region",
    ),
    "non-Xinjiang domicile": (
        with_trainee(domicile_region="110000"),
        "trainee.domicile_region",
        "unknown_region",
    ),
    "level 6": (completion(7, assessment={"level": 6}), "assessment.level", "invalid_level"),
    "level 0": (completion(7, assessment={"level": 0}), "assessment.level", "invalid_level"),
    "future completion": (
        completion(7, completed_on=(dt.date.today() + dt.timedelta(days=3)).isoformat()),
        "completed_on",
        "in_future",
    ),
    "completion before the course": (
        completion(7, completed_on="2025-02-01"),
        "completed_on",
        "before_course",
    ),
    "unknown course": (completion(7, course="NOPE"), "course_code", "unknown_course"),
    "gender contradicting the ID": (with_trainee(gender="男"), "trainee.gender", "gender_mismatch"),  # 7 is female
    "score over 100": (
        completion(7, assessment={"level": 4, "theory_score": 101}),
        "assessment.theory_score",
        "out_of_range",
    ),
    "empty name": (with_trainee(name="  "), "trainee.name", None),
}


@pytest.mark.parametrize("case", BAD_ROWS)
async def test_a_bad_row_is_named_and_nothing_is_written(world: World, case: str) -> None:
    row, field, code = BAD_ROWS[case]
    before = await counts(world)
    status, problem = await post_one(world, row)
    assert status == 422, problem
    assert problem["type"] == "/problems/validation"
    assert problem["errors"][0]["row"] == 0
    assert problem["errors"][0]["field"] == field
    if code:
        assert problem["errors"][0]["code"] == code
    assert await counts(world) == before


async def test_unknown_json_fields_are_refused_with_their_path(world: World) -> None:
    row = completion(1)
    row["trainee"]["nickname"] = "x"
    status, problem = await post_one(world, row)
    assert status == 422
    assert problem["errors"][0] == {
        "row": 0,
        "field": "trainee.nickname",
        "code": "unknown_field",
        "message": problem["errors"][0]["message"],
    }


async def test_a_wrong_type_names_row_and_field(world: World) -> None:
    items = [completion(1), completion(2, hours="many")]
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 422
    assert response.json()["errors"][0]["row"] == 1
    assert response.json()["errors"][0]["field"] == "hours"


@pytest.mark.parametrize(
    ("given", "stored_mask"),
    [
        ("11010519491231002x", "110105********002X"),  # lower-case x
        ("６５０１０２１９９００１０１１２３９", "650102********1239"),  # full-width digits
        (" 650102199001011239 ", "650102********1239"),
        ("650102900101123", None),  # 15-digit legacy number
    ],
)
async def test_id_numbers_are_normalised(world: World, given: str, stored_mask: str | None) -> None:
    status, body = await post_one(world, with_trainee(id_number=given))
    assert status == 201, body
    trainee = await world.client.get(f"/api/v1/trainees/{body['rows'][0]['trainee_id']}", headers=world.evaluator)
    masked = trainee.json()["id_number_masked"]
    if stored_mask:
        assert masked == stored_mask
    else:
        assert masked.startswith("650102") and len(masked) == 18  # converted to 18 digits


async def test_fifteen_and_eighteen_digit_forms_are_one_person(world: World) -> None:
    legacy = "650102900101123"
    body17 = "65010219900101123"
    modern = body17 + check_char(body17)
    await post_one(world, with_trainee(id_number=legacy))
    second = completion(8, course="CG-2025-02")
    await world.client.post("/api/v1/courses", json={**COURSE, "code": "CG-2025-02"}, headers=world.evaluator)
    second["trainee"]["id_number"] = modern
    status, body = await post_one(world, second)
    assert status == 201, body
    assert (await counts(world))[1] == 1


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("买买提•艾力", "买买提·艾力"),
        ("买买提．艾力", "买买提·艾力"),
        ("买买提・艾力", "买买提·艾力"),
        ("买买提.艾力", "买买提·艾力"),
        ("𠈌明", "𠈌明"),  # CJK extension B
        ("欧阳娜娜娜娜", "欧阳娜娜娜娜"),
    ],
)
async def test_names_are_normalised_and_rare_characters_kept(world: World, given: str, stored: str) -> None:
    status, body = await post_one(world, with_trainee(name=given))
    assert status == 201, body
    trainee = await world.client.get(f"/api/v1/trainees/{body['rows'][0]['trainee_id']}", headers=world.evaluator)
    assert trainee.json()["name"] == stored


async def test_duplicate_rows_in_one_batch_are_named(world: World) -> None:
    response = await world.client.post(
        "/api/v1/completions",
        json={"items": [completion(1), completion(2), completion(1)]},
        headers=world.evaluator,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["row"] == 2
    assert response.json()["errors"][0]["code"] == "duplicate_in_batch"


async def test_a_body_over_the_limit_is_413(world: World) -> None:
    huge = b'{"items": [' + b" " * (world.web.max_body_bytes + 10) + b"]}"
    response = await world.client.post(
        "/api/v1/completions", content=huge, headers={**world.evaluator, "content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_an_unknown_occupation_code_is_refused_for_a_course(world: World) -> None:
    response = await world.client.post(
        "/api/v1/courses",
        json={**COURSE, "code": "X1", "occupation_code": "6-99-99-99"},
        headers=world.evaluator,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "occupation_code"


async def test_a_course_with_a_level_outside_1_to_5_is_refused(world: World) -> None:
    response = await world.client.post(
        "/api/v1/courses", json={**COURSE, "code": "X2", "target_level": 7}, headers=world.evaluator
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "target_level"


async def test_a_non_xinjiang_institution_region_is_refused(world: World) -> None:
    body = {
        "code": "BJ-1",
        "name": "北京某校",
        "kind": "training",
        "region_code": "110000",
        "jurisdiction": "zizhiqu",
    }
    response = await world.client.post("/api/v1/institutions", json=body, headers=world.admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "region_code"
