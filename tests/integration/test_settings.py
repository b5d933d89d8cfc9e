"""专项职业能力证书 count in neither talent nor certificates (docs/configuration.md)."""

from __future__ import annotations

from tests.factories import completion
from tests.integration.conftest import World


async def test_a_special_ability_holder_counts_in_neither_talent_nor_certificates(world: World) -> None:
    course = {"code": "ZX-2025-01", "name": "数控车床操作（专项）", "occupation_code": "6-18-01-01",
              "starts_on": "2025-03-01", "ends_on": "2025-05-30", "hours": 40, "outcome": "special_ability",
              "target_level": 4}  # fmt: skip
    response = await world.client.post("/api/v1/courses", json=course, headers=world.evaluator)
    assert response.status_code == 201, response.text
    items = [completion(1), completion(2, course="ZX-2025-01", hours=40)]  # a 四级 holder; a special-ability holder
    response = await world.client.post("/api/v1/completions", json={"items": items}, headers=world.evaluator)
    assert response.status_code == 201, response.text
    issued = await world.client.get("/api/v1/certificates?course_code=ZX-2025-01", headers=world.evaluator)
    assert [c["kind"] for c in issued.json()["items"]] == ["special_ability"]

    talent = await world.client.get("/api/v1/stats/talent?as_of=2025-12-31", headers=world.bureau)
    certificates = await world.client.get("/api/v1/stats/certificates?from=2025-01-01&to=2025-12-31",
                                          headers=world.bureau)  # fmt: skip
    assert talent.json()["total"]["talent"] == 1
    assert certificates.json()["total"] == {"certificates": 1, "persons": 1}
