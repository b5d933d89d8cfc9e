"""Declared authorisation: every route of the app is either guarded by a key kind or marked public."""

from __future__ import annotations

from litestar import Controller, Litestar, get, post

from api.app import create_app
from api.guards import PUBLIC, admin_key, bureau_key, institution_key, key_guards, undeclared_routes
from api.settings import WebSettings
from ledger.settings import Settings

# what SPEC §4 makes public: verification (page, API, holder check), published keys and status list, the ledger's
# proofs, checkpoint and entries, operations, API docs, the front page, the sign-in forms of the dashboard and the
# school portal, and the holder's share links (made and revoked after the holder check, opened by whoever holds one)
# with the certificate's credential under them; each issuer's Profile and status list (beside the published keys)
PUBLIC_PATHS = {
    "/", "/v", "/check", "/v/{code:str}/ledger", "/V/{code:str}/ledger",
    "/v/{code:str}", "/V/{code:str}", "/v/{code:str}/{token:str}", "/V/{code:str}/{token:str}",
    "/api/v1/verify/{code:str}", "/api/v1/verify/holder-check", "/.well-known/jwks.json", "/api/v1/status-list",
    "/api/v1/ledger/checkpoint", "/api/v1/ledger/keys", "/api/v1/ledger/proof/inclusion",
    "/api/v1/ledger/proof/consistency", "/api/v1/ledger/entries/{index:int}",
    "/api/v1/ledger/subjects/{subject_type:str}/{subject_id:str}", "/api/v1/ledger/certificates/{code:str}",
    "/health", "/ready", "/metrics", "/schema", "/schema/openapi.json", "/schema/swagger", "/schema/{path:str}",
    "/schema/assets/{file_path:path}",
    "/dashboard/login", "/dashboard/logout", "/school/login", "/school/logout",
    "/check/share", "/check/revoke", "/s/{token:str}", "/api/v1/verify/shares", "/api/v1/verify/shares/active",
    "/api/v1/verify/shares/{share_id:int}", "/s/{token:str}/credential", "/api/v1/issuers/{code:str}",
    "/api/v1/issuers/{code:str}/status-list",
}  # fmt: skip


def app() -> Litestar:
    return create_app(WebSettings(domain=Settings(pii_key=b"p" * 32, lookup_key=b"l" * 32)))


def handlers(litestar: Litestar) -> dict[tuple[str, str], object]:
    found = {}
    for path, by_method in litestar.route_handler_method_map.items():
        for method, handler in by_method.items():
            if method != "OPTIONS":
                found[(method, path)] = handler
    return found


def test_every_route_is_guarded_or_marked_public() -> None:
    assert undeclared_routes(app()) == []


def test_the_public_routes_are_the_ones_spec_makes_public() -> None:
    public = {path for (_, path), handler in handlers(app()).items() if not key_guards(handler)}
    assert public == PUBLIC_PATHS


def test_each_area_is_guarded_by_its_kind_of_key() -> None:
    found = handlers(app())

    def kinds(method: str, path: str) -> list[tuple[str, ...]]:
        return [g.kinds for g in key_guards(found[(method, path)])]

    assert kinds("POST", "/api/v1/courses") == [institution_key.kinds]
    assert kinds("POST", "/api/v1/certificates/{number:str}/revoke") == [institution_key.kinds]
    assert kinds("GET", "/api/v1/stats/talent") == [bureau_key.kinds]
    assert kinds("PUT", "/api/v1/plans/{code:str}") == [bureau_key.kinds]
    assert kinds("POST", "/api/v1/institutions") == [admin_key.kinds]
    assert kinds("POST", "/api/v1/ledger/checkpoints") == [admin_key.kinds]
    assert kinds("GET", "/dashboard") == [("bureau", "admin")]
    assert kinds("GET", "/school") == [("institution",)]
    assert kinds("POST", "/school/certificates/{number:str}/status") == [("institution",)]
    assert kinds("GET", "/api/v1/courses/{code:str}/certificates.zip") == [institution_key.kinds]


class Forgotten(Controller):
    path = "/forgotten"

    @get("/")
    async def read(self) -> str:
        return "anyone"

    @post("/", guards=[admin_key], opt=PUBLIC)
    async def confused(self) -> str:
        return "both"

    @get("/open", opt=PUBLIC)
    async def open(self) -> str:
        return "public"

    @get("/guarded", guards=[institution_key])
    async def guarded(self) -> str:
        return "institutions"


def test_a_route_without_a_guard_or_with_both_is_reported() -> None:
    assert sorted(undeclared_routes(Litestar([Forgotten], openapi_config=None))) == [
        "GET /forgotten: no key guard",
        "POST /forgotten: public and guarded",
    ]
