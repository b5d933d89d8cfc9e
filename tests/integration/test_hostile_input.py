"""Inputs found by review: each must be a clear 4xx (never a 500), echo no ID number, and write nothing."""

from __future__ import annotations

import pytest

from tests.factories import completion, id_number
from tests.integration.conftest import COURSE, World
from tests.integration.test_certificates import certificates, register


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/courses", {**COURSE, "code": "NUL-1", "name": "a\u0000b"}),
        ("POST", "/api/v1/completions", {"items": [completion(1, graduation_number="G\u00001")]}),
        ("GET", "/api/v1/certificates/%00", None),
        ("GET", "/api/v1/courses/%00", None),
        ("GET", "/api/v1/certificates?course_code=%00", None),
        ("GET", "/api/v1/ledger/certificates/%00", None),
        ("GET", "/api/v1/ledger/subjects/certificate/%00", None),
        ("GET", "/api/v1/courses?offset=99999999999999999999", None),
        ("GET", "/api/v1/ledger/entries/99999999999999999999", None),
        ("POST", "/api/v1/courses", {**COURSE, "code": "OLD-1", "starts_on": "0001-01-01"}),
    ],
)
async def test_hostile_values_are_4xx(world: World, method: str, path: str, body: dict | None) -> None:
    response = await world.client.request(method, path, json=body, headers=world.evaluator)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_invalid_utf8_in_a_json_body_is_400(world: World) -> None:
    response = await world.client.post(
        "/api/v1/completions",
        content=b'{"items":[{"course_code":"\xff"}]}',
        headers={**world.evaluator, "content-type": "application/json"},
    )
    assert response.status_code == 400


async def test_stats_far_in_the_future_is_4xx(world: World) -> None:
    response = await world.client.get("/api/v1/stats/talent?as_of=9999-12-31", headers=world.bureau)
    assert 400 <= response.status_code < 500


async def test_a_csv_without_a_header_row_echoes_no_id_number(world: World) -> None:
    data = f"CG-2025-01,张伟,{id_number(3)},2025-05-30,160,是,4\n".encode()
    response = await world.client.post(
        "/api/v1/completions/import", content=data, headers={**world.evaluator, "content-type": "text/csv"}
    )
    assert response.status_code == 422
    assert id_number(3) not in response.text


async def test_graduation_numbers_are_unique_per_school_and_named_by_row(world: World) -> None:
    await world.client.post("/api/v1/courses", json={**COURSE, "code": "GRAD", "dual_rule": "graduation_skill"},
                            headers=world.evaluator)  # fmt: skip
    rows = [completion(i, course="GRAD", graduation_number="新技毕字2025第001号") for i in (1, 2)]
    twice = await world.client.post("/api/v1/completions", json={"items": rows}, headers=world.evaluator)
    assert twice.status_code == 422
    assert twice.json()["errors"][0] == {**twice.json()["errors"][0], "row": 1, "code": "duplicate_in_batch"}
    await register(world, rows[:1])
    again = await world.client.post("/api/v1/completions", json={"items": rows}, headers=world.evaluator)
    assert again.status_code == 422 and again.json()["errors"][0]["code"] == "taken"
    assert (await world.client.post("/api/v1/completions", json={"items": rows[:1]}, headers=world.evaluator)).json()[
        "unchanged"
    ] == 1
    (graduation,) = [c for c in await certificates(world, course_code="GRAD") if c["kind"] == "graduation"]
    pdf = await world.client.get(f"/api/v1/certificates/{graduation['number']}/pdf", headers=world.evaluator)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


async def test_the_issue_date_is_never_before_the_assessment(world: World) -> None:
    await register(
        world, [completion(1, completed_on="2025-05-30", assessment={"level": 4, "assessed_on": "2025-06-05"})]
    )
    (skill,) = [c for c in await certificates(world) if c["kind"] == "skill_level"]
    assert skill["issued_on"] == "2025-06-05"


async def test_the_course_pdf_leaves_out_revoked_certificates_and_lists_carry_awards(world: World) -> None:
    await register(world, [completion(1), completion(2)])
    listed = await certificates(world)
    assert all(c["award_id"] for c in listed)
    revoked = next(c for c in listed if c["kind"] == "skill_level")
    await world.client.post(f"/api/v1/certificates/{revoked['number']}/revoke", json={"reason": "x"},
                            headers=world.evaluator)  # fmt: skip
    from tests.integration.test_certificates import decode_pdf_qr

    pdf = await world.client.get(f"/api/v1/courses/{COURSE['code']}/certificates.pdf", headers=world.evaluator)
    texts = decode_pdf_qr(pdf.content)
    assert revoked["qr_text"] not in texts and revoked["qr_text"].rsplit("/", 1)[0] not in texts
    assert len(texts) == 3 * 2  # each certificate's address code and signed code (template 2026.2)


async def test_a_new_domicile_moves_the_person_in_domicile_figures(world: World) -> None:
    await register(world, [completion(1)])
    moved = completion(1)
    moved["trainee"]["domicile_region"] = "653101"
    assert (await world.client.post("/api/v1/completions", json={"items": [moved]}, headers=world.evaluator)).json()[
        "unchanged"
    ] == 1
    response = await world.client.get("/api/v1/stats/talent?basis=domicile&group_by=prefecture", headers=world.bureau)
    assert response.status_code == 200, response.text
    assert "653100" in response.text
