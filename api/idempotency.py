"""Idempotency-Key for writes (SPEC §4): the first response is stored in the same transaction as the write.

A retry with the same key and body replays it; the same key with another body is 422; concurrent duplicates
wait on the unique index of the first one's uncommitted record and then replay it, so only one takes effect.
Records are kept LEDGER_IDEMPOTENCY_HOURS (default 7 days); a retry after that is a fresh request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from litestar import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import problem_response
from ledger.database.constraints import named_violations
from ledger.tenancy import idempotency
from ledger.tenancy.service import Principal

MAX_KEY_LENGTH = 255


def request_hasher(request: Request) -> Any:
    """A SHA-256 of the request's method, path and query, to be fed its body: the fingerprint a key is kept with
    (fed piece by piece, a streamed body is fingerprinted without being held whole)."""
    return hashlib.sha256(
        b"\x00".join([request.method.encode(), request.url.path.encode(), request.url.query.encode(), b""])
    )


async def claim_key(
    request: Request, session: AsyncSession, principal: Principal, fingerprint: bytes
) -> int | Response | None:
    """Claim the request's Idempotency-Key in the session's transaction: the record's id to keep the response in;
    or the response to answer instead (the replay of the first one, or 422 when the key was used for another
    request), the transaction rolled back; or None when the request has no key."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not 0 < len(key) <= MAX_KEY_LENGTH:
        return problem_response(422, "validation", "The input is invalid", "Idempotency-Key is 1 to 255 characters")
    kept = dt.timedelta(hours=request.app.state.runtime.settings.idempotency_hours)
    record_id = await idempotency.claim(session, principal.key_id, key, fingerprint, kept)
    if record_id is not None:
        return record_id
    stored = await idempotency.stored_response(session, principal.key_id, key)
    await session.rollback()
    if stored.fingerprint != fingerprint:
        return problem_response(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused with another request",
            "this Idempotency-Key was first used with a different request; use a new key",
        )
    return Response(
        content=stored.body or b"",
        status_code=stored.status_code or 200,
        media_type=stored.media_type or "application/json",
        headers={"Idempotent-Replayed": "true"},
    )


async def run_write(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    work: Callable[[], Awaitable[object]],
    status_code: int = 201,
    *,
    content: bytes | None = None,
) -> Response:
    """Run `work` (which flushes, never commits), commit, and answer with its result as JSON. A constraint the
    write or its commit violates is answered as the problem its constraint names, never a 500 (nor a 2xx).
    `content` is what the key's fingerprint covers instead of the raw body (an uploaded file without the
    multipart boundary, which a client draws anew for every request)."""
    record_id = None
    if "idempotency-key" in request.headers:
        hasher = request_hasher(request)
        hasher.update(await request.body() if content is None else content)
        claimed = await claim_key(request, session, principal, hasher.digest())
        if isinstance(claimed, Response):
            return claimed
        record_id = claimed
    with named_violations():
        answer = msgspec.json.encode(await work())
        if record_id is not None:
            await idempotency.keep_response(session, record_id, status_code, "application/json", answer)
        await session.commit()
    return Response(content=answer, status_code=status_code, media_type="application/json")


async def run_dry(session: AsyncSession, work: Callable[[], Awaitable[object]], status_code: int = 200) -> Response:
    """A dry run: `work` validates and writes nothing; whatever it touched is rolled back. It never claims the
    Idempotency-Key, so the real call that follows may send the same key (the README's flow)."""
    try:
        body = msgspec.json.encode(await work())
    finally:
        await session.rollback()
    return Response(content=body, status_code=status_code, media_type="application/json")
