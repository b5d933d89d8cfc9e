"""Admin endpoints: institutions with their evaluator filings, institution keys and bureau keys."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody

from api.deps import Caller, DbSession
from api.guards import admin_key
from api.idempotency import run_write
from api.schemas import InstitutionOut, KeyOut
from ledger.commands import BureauKeyIn, InstitutionIn, KeyIn
from ledger.tenancy.service import filings_of, institution_by_code, issue_key, register_institution


class InstitutionController(Controller):
    path = "/api/v1/institutions"
    tags = ["admin"]
    guards = [admin_key]

    @post("/", status_code=201)
    async def create(
        self, request: Request, data: JSONBody[InstitutionIn], db_session: DbSession, principal: Caller
    ) -> Response[InstitutionOut]:
        """Register an institution (and, for an evaluator, its filing: category Y/S, codes, occupations, levels)."""

        async def work() -> InstitutionOut:
            institution = await register_institution(db_session, data)
            return InstitutionOut.of(institution, await filings_of(db_session, institution.id))

        return await run_write(request, db_session, principal, work)

    @get("/{code:str}")
    async def read(self, code: str, db_session: DbSession) -> InstitutionOut:
        institution = await institution_by_code(db_session, code)
        return InstitutionOut.of(institution, await filings_of(db_session, institution.id))

    @post("/{code:str}/keys", status_code=201)
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

    @post("/", status_code=201)
    async def create(
        self, request: Request, data: JSONBody[BureauKeyIn], db_session: DbSession, principal: Caller
    ) -> Response[KeyOut]:
        """Issue a read-only bureau key scoped to a region (650000 = the whole province, 653100 = 喀什…)."""

        async def work() -> KeyOut:
            issued = await issue_key(db_session, "bureau", region_code=data.region_code, label=data.label)
            return KeyOut(key_id=issued.key_id, kind=issued.kind, key=issued.secret)

        return await run_write(request, db_session, principal, work)
