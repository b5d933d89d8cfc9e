"""Admin endpoints: institutions with their evaluator filings, institution keys and bureau keys; the list of keys and
revoking one; and any key holder replacing its own key."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import JSONBody

from api.deps import Caller, DbSession
from api.guards import KeyGuard, admin_key
from api.idempotency import run_write
from api.openapi.hints import IDEMPOTENT
from api.schemas import InstitutionOut, KeyOut
from ledger.commands import BureauKeyIn, InstitutionIn, KeyIn
from ledger.tenancy.service import (
    KeyInfo,
    filings_of,
    institution_by_code,
    issue_key,
    list_keys,
    register_institution,
    revoke_key,
    rotate_key,
)


class InstitutionController(Controller):
    path = "/api/v1/institutions"
    tags = ["admin"]
    guards = [admin_key]

    @post(
        "/", summary="Register an institution (机构) and its evaluator filing (备案)", status_code=201, opt=IDEMPOTENT
    )
    async def create(
        self, request: Request, data: JSONBody[InstitutionIn], db_session: DbSession, principal: Caller
    ) -> Response[InstitutionOut]:
        """Register an institution (and, for an evaluator, its filing: category Y/S, codes, occupations, levels)."""

        async def work() -> InstitutionOut:
            institution = await register_institution(db_session, data)
            return InstitutionOut.of(institution, await filings_of(db_session, institution.id))

        return await run_write(request, db_session, principal, work)

    @get("/{code:str}", summary="Read an institution")
    async def read(self, code: str, db_session: DbSession) -> InstitutionOut:
        """An institution by its code: name, kind, region, jurisdiction and evaluator filing."""
        institution = await institution_by_code(db_session, code)
        return InstitutionOut.of(institution, await filings_of(db_session, institution.id))

    @post("/{code:str}/keys", summary="Issue an API key for an institution", status_code=201, opt=IDEMPOTENT)
    async def create_key(
        self,
        request: Request,
        code: str,
        db_session: DbSession,
        principal: Caller,
        data: JSONBody[KeyIn | None] = None,
    ) -> Response[KeyOut]:
        """Issue an institution API key. The key is in this response only."""

        async def work() -> KeyOut:
            institution = await institution_by_code(db_session, code)
            issued = await issue_key(
                db_session, "institution", institution_id=institution.id, label=data.label if data else ""
            )
            return KeyOut(key_id=issued.key_id, kind=issued.kind, key=issued.secret)

        return await run_write(request, db_session, principal, work)


class BureauKeyController(Controller):
    path = "/api/v1/bureau-keys"
    tags = ["admin"]
    guards = [admin_key]

    @post("/", summary="Issue a region-scoped bureau (人社局) key", status_code=201, opt=IDEMPOTENT)
    async def create(
        self, request: Request, data: JSONBody[BureauKeyIn], db_session: DbSession, principal: Caller
    ) -> Response[KeyOut]:
        """Issue a read-only bureau key scoped to a region (650000 = the whole province, 653100 = 喀什…)."""

        async def work() -> KeyOut:
            issued = await issue_key(db_session, "bureau", region_code=data.region_code, label=data.label)
            return KeyOut(key_id=issued.key_id, kind=issued.kind, key=issued.secret)

        return await run_write(request, db_session, principal, work)


class KeyInfoOut(msgspec.Struct):
    """A key as the administrator lists it: its id, kind, scope and label, and the first characters of its secret."""

    key_id: int
    kind: str
    prefix: str
    label: str
    institution_code: str | None
    region_code: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None

    @classmethod
    def of(cls, key: KeyInfo) -> KeyInfoOut:
        return cls(
            key.key_id, key.kind, key.display_prefix, key.label, key.institution_code, key.region_code,
            key.created_at, key.revoked_at,
        )  # fmt: skip


class KeyController(Controller):
    path = "/api/v1/keys"
    tags = ["admin"]
    guards = [admin_key]

    @get("/", summary="List API keys")
    async def index(self, db_session: DbSession, include_revoked: bool = True) -> list[KeyInfoOut]:
        """Every API key (admin, institution, bureau), oldest first, without secrets; `?include_revoked=false`
        lists only the keys in use."""
        return [KeyInfoOut.of(k) for k in await list_keys(db_session, include_revoked=include_revoked)]

    @delete("/{key_id:int}", summary="Revoke an API key", status_code=200, opt=IDEMPOTENT)
    async def revoke(
        self, request: Request, key_id: int, db_session: DbSession, principal: Caller
    ) -> Response[KeyInfoOut]:
        """Revoke a key, logged in the ledger (`key.revoked`). Its next request is refused (401) and the dashboard
        and school-portal sessions signed in with it end. 404 for an unknown key, 409 for one already revoked."""

        async def work() -> KeyInfoOut:
            return KeyInfoOut.of(await revoke_key(db_session, key_id))

        return await run_write(request, db_session, principal, work, status_code=200)


any_key = KeyGuard(("admin", "institution", "bureau"), "此操作需要 API 密钥（this needs an API key）")


class OwnKeyController(Controller):
    path = "/api/v1/keys/current"
    tags = ["institution"]
    guards = [any_key]

    @post("/rotate", summary="Rotate the calling key", status_code=201)
    async def rotate(self, db_session: DbSession, principal: Caller) -> Response[KeyOut]:
        """Replace the calling key by a new one of the same scope: the new key is in this response only, and the
        key that made the call stops working at once (both logged). Not replayed by Idempotency-Key: a stored copy
        of the answer would keep the new secret in the database, and a retry with the old key is refused anyway."""
        issued = await rotate_key(db_session, principal.key_id)
        await db_session.commit()
        body = KeyOut(key_id=issued.key_id, kind=issued.kind, key=issued.secret)
        return Response(body, status_code=201, headers={"Cache-Control": "no-store"})
