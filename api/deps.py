"""Request-scoped dependencies: the database session, the caller (as its route's guard found it) with its
institution or home region, and the services' shared objects."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.admission import Admission
from api.certificates.status_list import StatusListCache
from api.guards import caller
from api.settings import WebSettings
from api.writer import Writer, WriterWork
from ledger.database.replica import Reads, ReplicaReads
from ledger.people.pii import PiiVault
from ledger.statistics.tables import PROVINCE
from ledger.tenancy.service import Principal

T = TypeVar("T")


@dataclass
class Runtime:
    """What the app builds once at start-up and every request shares."""

    settings: WebSettings
    sessionmaker: async_sessionmaker
    vault: PiiVault
    pool: asyncpg.Pool  # the lean read path (public verification): plain asyncpg, no ORM, no reset query
    pdf_signer: Any | None
    status_list: StatusListCache
    schema_head: str | None  # the Alembic head this code expects (read from the scripts once, at start-up)
    admission: Admission  # the import slots of this process (api/admission.py)
    replica: ReplicaReads | None = None  # LEDGER_READ_DATABASE_URL: the streaming replica, `pool` behind it
    writer: Writer | None = None  # large batches' registration, in a process of its own (api/writer.py)

    async def write(self, session: AsyncSession, rows: int, work: WriterWork[T], *args: Any) -> T:
        """`work(session, vault, public_base, *args)`: in the writer process when it is work on `rows` rows the
        writer takes (api/writer.py), else here, in `session`. Either way it commits, or rolls back, itself."""
        if self.writer is not None and self.writer.takes(rows):
            return await self.writer.run(work, *args)
        return await work(session, self.vault, self.settings.public_base_url, *args)

    @property
    def reads(self) -> Reads:
        """Where public verification reads: the replica while it is fresh (ledger/database/replica.py), else `pool`."""
        return self.replica or self.pool


DbSession = NamedDependency[AsyncSession]
Caller = NamedDependency[Principal]
Shared = NamedDependency[Runtime]
OwnInstitution = NamedDependency[int]  # as `institution_id`: the calling institution's id
HomeRegion = NamedDependency[str]  # as `home_region`: the region code a bureau (or admin) key reads


def runtime(state: State) -> Runtime:
    return state.runtime


async def provide_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """A session per request. Writes commit explicitly before the response; anything else rolls back."""
    async with state.runtime.sessionmaker() as session:
        yield session


def provide_principal(request: Request) -> Principal:
    """The caller the route's key guard let through (api/guards.py): the key is looked up once, by the guard."""
    principal = caller(request)
    if principal is None:
        raise RuntimeError(f"{request.url.path} asks for its caller but declares no key guard")
    return principal


def provide_institution_id(principal: Caller) -> int:
    """The calling institution, on routes guarded by `institution_key`."""
    if principal.institution_id is None:
        raise RuntimeError("an institution is asked for on a route not guarded by institution_key")
    return principal.institution_id


def provide_home_region(principal: Caller) -> str:
    """The region a bureau key sees (its own and below); an admin key sees the province. Routes guarded by
    `bureau_key`, and the dashboard."""
    if principal.kind == "admin":
        return PROVINCE
    if principal.region_code is None:
        raise RuntimeError("a home region is asked for on a route not guarded by bureau_key")
    return principal.region_code
