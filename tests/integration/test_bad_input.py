"""Bad input found by a probe (#12 point 5): nesting, overflowing numbers, bidirectional controls in text that
reaches a page or a PDF, and ID numbers echoed back in errors. Each gets a 4xx problem naming what is wrong."""

from __future__ import annotations

import json
import logging

import pytest

from api.json_limits import nesting_exceeds
from tests.factories import completion, id_number
from tests.integration.conftest import COURSE, EVALUATOR, World
from tests.integration.test_certificates import certificates, register
from tests.integration.test_dashboard import PLAN

POST_ROUTES = ["/api/v1/completions", "/api/v1/courses", "/api/v1/institutions", "/api/v1/verify/holder-check",
               "/api/v1/verify/shares", "/api/v1/plans/xj-1", "/api/v1/baseline"]  # fmt: skip
RLO = "\u202e"


DEEP = [b"[" * 1000 + b"]" * 1000, b'{"items":' * 1000 + b"1" + b"}" * 1000, b"[" * 5000]


async def test_deep_json_is_400_before_authentication_without_a_traceback(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    for path in POST_ROUTES:
        method = "PUT" if path.startswith(("/api/v1/plans", "/api/v1/baseline")) else "POST"
        for body in DEEP:
            for headers in ({"content-type": "application/json"}, {"content-type": "text/plain"}, world.evaluator):
                with caplog.at_level(logging.INFO):
                    response = await world.client.request(method, path, content=body, headers=headers)
                assert response.status_code == 400, (path, response.text[:300])
                assert response.headers["content-type"].startswith("application/problem+json")
                assert response.json()["errors"][0]["code"] == "too_deep"
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_depth_is_measured_outside_strings() -> None:
    assert not nesting_exceeds(json.dumps({"a": "[" * 100, "b": ["]" * 100, '\\"[[[', "\\"]}).encode(), 4)
    assert not nesting_exceeds(b"[" * 32 + b"]" * 32, 32)
    assert nesting_exceeds(b"[" * 33 + b"]" * 33, 32)
    assert nesting_exceeds(b'{"a":' * 20 + b"[" * 13 + b"]" * 13 + b"}" * 20, 32)


async def test_a_normal_batch_still_passes_the_depth_check(world: World) -> None:
    await register(world, [completion(i) for i in range(1, 4)])


async def test_an_overflowing_number_names_its_row_and_field(world: World) -> None:
    rows = [completion(1), completion(2)]
    text = json.dumps({"items": rows})
    text = text.replace('"theory_score": 81.5', '"theory_score": 1e400', 2).replace(
        '"theory_score": 1e400', '"theory_score": 81.5', 1
    )  # only row 1 overflows
    response = await world.client.post(
        "/api/v1/completions", content=text.encode(), headers={**world.evaluator, "content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {**response.json()["errors"][0], "row": 1, "field": "assessment.theory_score", "code": "out_of_range"}
    ]


def _bidi_cases() -> list[tuple[str, str, dict]]:
    return [
        ("POST", "/api/v1/institutions", {**EVALUATOR, "code": "BIDI-1", "name": f"学校{RLO}gpj.exe"}),
        ("POST", "/api/v1/courses", {**COURSE, "code": "BIDI-1", "name": f"车工{RLO}"}),
        ("POST", "/api/v1/courses", {**COURSE, "code": "BIDI-2", "work_type": "\u2067数控\u2069"}),
        ("PUT", "/api/v1/plans/xj-bidi", {**PLAN, "name": "计划\u202a"}),
        ("POST", "/api/v1/completions", {"items": [completion(1, graduation_number=f"G{RLO}1")]}),
    ]


@pytest.mark.parametrize(("method", "path", "body"), _bidi_cases())
async def test_bidi_controls_are_refused_naming_the_field(world: World, method: str, path: str, body: dict) -> None:
    headers = {"POST /api/v1/institutions": world.admin, "PUT /api/v1/plans/xj-bidi": world.bureau}
    response = await world.client.request(
        method, path, json=body, headers=headers.get(f"{method} {path}", world.evaluator)
    )
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["code"] == "bidi_control" and error["field"] in {"name", "work_type", "graduation_number"}
    assert RLO not in response.text and "\u2067" not in response.text


async def test_bidi_controls_are_refused_in_a_status_reason_and_a_share_purpose(world: World) -> None:
    await register(world, [completion(1)])
    skill = next(c for c in await certificates(world) if c["kind"] == "skill_level")
    revoke = await world.client.post(
        f"/api/v1/certificates/{skill['number']}/revoke", json={"reason": f"冒名{RLO}"}, headers=world.evaluator
    )
    assert revoke.status_code == 422 and revoke.json()["errors"][0] == {
        **revoke.json()["errors"][0],
        "field": "reason",
        "code": "bidi_control",
    }


async def test_a_sheet_with_a_bidi_control_names_the_cell(world: World) -> None:
    await world.client.post("/api/v1/courses", json={**COURSE, "code": "GRAD", "dual_rule": "graduation_skill"},
                            headers=world.evaluator)  # fmt: skip
    data = (
        "课程编码,姓名,身份证号码,结业日期,学时,是否合格,鉴定等级,毕业证书编号\n"
        f"GRAD,张伟,{id_number(3)},2025-05-30,160,是,4,新技毕字{RLO}001号\n"
    ).encode()
    response = await world.client.post(
        "/api/v1/completions/import", content=data, headers={**world.evaluator, "content-type": "text/csv"}
    )
    assert response.status_code == 422, response.text
    assert [e["code"] for e in response.json()["errors"]] == ["bidi_control"]


async def test_an_id_number_in_the_course_code_column_is_not_echoed(world: World) -> None:
    header = "课程编码,姓名,身份证号码,结业日期,学时,是否合格,鉴定等级\n"
    data = f"{header}{id_number(4)},张伟,{id_number(3)},2025-05-30,160,是,4\n".encode()
    for lang in ("zh", "en"):
        response = await world.client.post(
            f"/api/v1/completions/import?lang={lang}", content=data,
            headers={**world.evaluator, "content-type": "text/csv"},
        )  # fmt: skip
        assert response.status_code == 422
        assert response.json()["errors"][0]["code"] == "unknown_course"
        assert id_number(4) not in response.text and id_number(4)[:6] + "********" in response.text
    json_rows = await world.client.post(
        "/api/v1/completions", json={"items": [completion(1, course=id_number(4))]}, headers=world.evaluator
    )
    assert json_rows.status_code == 422 and id_number(4) not in json_rows.text
    lookup = await world.client.get(f"/api/v1/courses/{id_number(4)}", headers=world.evaluator)
    assert lookup.status_code == 404 and id_number(4) not in lookup.text


@pytest.mark.https
async def test_the_school_portal_course_form_names_a_bidi_control(world: World) -> None:
    from tests.integration.test_school_portal import NEW_COURSE, post_form, secret_of, sign_in, why

    await sign_in(world.client, secret_of(world.evaluator))
    typed = {**NEW_COURSE, "name": f"焊工{RLO}", "work_type": "\u2066电焊\u2069"}
    response = await post_form(world.client, "/school/courses", "/school/courses/new", typed)
    assert response.status_code == 422
    assert why(response.text, "name").startswith("不能包含双向文字控制字符")
    assert why(response.text, "work_type").startswith("不能包含双向文字控制字符")
