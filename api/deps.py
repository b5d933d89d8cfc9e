"""Request-scoped dependencies: the database session, the caller, and the services' shared objects."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

import asyncpg
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.status_list import StatusListCache
from ledger.pii import PiiVault
from ledger.settings import Settings
from ledger.tenancy import Principal, principal_for


@dataclass
class Runtime:
    """What the app builds once at start-up and every request shares."""

    settings: Settings
    sessionmaker: async_sessionmaker
    vault: PiiVault
    pool: asyncpg.Pool  # the lean read path (public verification): plain asyncpg, no ORM, no reset query
    pdf_signer: Any | None
    status_list: StatusListCache
    schema_head: str | None  # the Alembic head this code expects (read from the scripts once, at start-up)


DbSession = NamedDependency[AsyncSession]
Caller = NamedDependency[Principal]
Shared = NamedDependency[Runtime]


def runtime(state: State) -> Runtime:
    return state.runtime


async def provide_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """A session per request. Writes commit explicitly before the response; anything else rolls back."""
    async with state.runtime.sessionmaker() as session:
        yield session


async def provide_principal(request: Request, db_session: DbSession) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise NotAuthorizedException("send an API key: Authorization: Bearer <key>")
    principal = await principal_for(db_session, secret.strip())
    if principal is None:
        raise NotAuthorizedException("unknown or revoked API key")
    return principal


def institution_of(principal: Principal) -> int:
    if principal.kind != "institution" or principal.institution_id is None:
        raise PermissionDeniedException("this needs an institution key")
    return principal.institution_id


def require_admin(principal: Principal) -> None:
    if principal.kind != "admin":
        raise PermissionDeniedException("this needs an admin key")
