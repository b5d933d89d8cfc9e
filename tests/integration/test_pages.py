"""The HTML pages show what institutions and bureaus typed as text: markup in a name, a work type, a revocation
reason or a plan's name is escaped (by the templates' autoescape), never run by the reader's browser."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.factories import completion
from tests.integration.conftest import COURSE, EVALUATOR, World, bearer
from tests.integration.test_dashboard import PLAN, secret_of, sign_in

pytestmark = pytest.mark.https  # the dashboard's cookies are Secure

HOSTILE = '<script>alert("x")</script>\'"><img src=x onerror=alert(1)>&amp;'


class Page(HTMLParser):
    """The elements a browser would build from a page, and its text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_shown_as_text(html: str, *expected: str) -> None:
    page = Page(html)
    assert not page.tags & {"script", "img"}, "markup typed in by a user became elements"
    text = "".join(page.text)
    for fragment in expected:
        assert fragment in text


async def test_markup_in_an_issuer_work_type_and_reason_is_text_on_the_verification_page(world: World) -> None:
    evaluator = {**EVALUATOR, "code": "EVAL-H", "name": HOSTILE}
    evaluator["evaluator"] = {**EVALUATOR["evaluator"], "filing_code": "0001", "site_code": "650102"}
    assert (await world.client.post("/api/v1/institutions", json=evaluator, headers=world.admin)).status_code == 201
    response = await world.client.post("/api/v1/institutions/EVAL-H/keys", headers=world.admin)
    hostile = bearer(response.json()["key"])
    course = {**COURSE, "code": "H-1", "work_type": HOSTILE}
    assert (await world.client.post("/api/v1/courses", json=course, headers=hostile)).status_code == 201
    made = await world.client.post(
        "/api/v1/completions", json={"items": [completion(1, course="H-1")]}, headers=hostile
    )
    assert made.status_code == 201, made.text
    listed = (await world.client.get("/api/v1/certificates", headers=hostile)).json()["items"]
    skill = next(c for c in listed if c["kind"] == "skill_level")
    revoked = await world.client.post(f"/api/v1/certificates/{skill['number']}/revoke", json={"reason": HOSTILE},
                                      headers=hostile)  # fmt: skip
    assert revoked.status_code == 200, revoked.text
    for lang in ("zh", "en", "ug"):
        page = await world.client.get(f"/v/{skill['verification_code']}?lang={lang}")
        assert page.status_code == 200
        assert_shown_as_text(page.text, HOSTILE)
        assert "<script" not in page.text


async def test_markup_in_a_plan_name_is_text_on_the_dashboard(world: World) -> None:
    plan = {**PLAN, "name": HOSTILE}
    assert (await world.client.put("/api/v1/plans/hostile", json=plan, headers=world.bureau)).status_code == 200
    await sign_in(world.client, secret_of(world.bureau))
    page = await world.client.get("/dashboard", params={"as_of": "2025-06-30"})
    assert page.status_code == 200
    assert_shown_as_text(page.text, f"规划「{HOSTILE}」", f"{HOSTILE}新疆维吾尔自治区")
    assert "<script" not in page.text
