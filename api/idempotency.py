"""Idempotency-Key for writes (SPEC §4): the first response is stored in the same transaction as the write.

A retry with the same key and body replays it; the same key with another body is 422; concurrent duplicates
wait on the unique index of the first one's uncommitted record and then replay it, so only one takes effect.
Records are kept LEDGER_IDEMPOTENCY_HOURS (default 7 days); a retry after that is a fresh request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import PROBLEM_JSON, problem_content
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


@dataclass(frozen=True, slots=True)
class Keyed:
    """A write's Idempotency-Key with the fingerprint of its request and how long its record is kept: all that
    claiming and keeping need, without the request (a write run in the writer process, api/writer.py)."""

    key: str
    fingerprint: bytes
    kept: dt.timedelta


@dataclass(frozen=True, slots=True)
class Answer:
    """A response as plain data (it crosses to and from the writer process)."""

    status_code: int
    body: bytes
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        return Response(
            content=self.body, status_code=self.status_code, media_type=self.media_type, headers=self.headers
        )


def _kept_as(request: Request, fingerprint: bytes) -> Keyed | Answer | None:
    """The request's Idempotency-Key with `fingerprint`; None without one; the 422 when the key is malformed."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not 0 < len(key) <= MAX_KEY_LENGTH:
        return _refused("validation", "The input is invalid", "Idempotency-Key is 1 to 255 characters")
    return Keyed(key, fingerprint, dt.timedelta(hours=request.app.state.runtime.settings.idempotency_hours))


async def keyed(request: Request, content: bytes | None = None) -> Keyed | Answer | None:
    """The request's Idempotency-Key, fingerprinted (its method, path, query and body, or `content` instead of the
    body); None without one; the 422 to answer when the key is malformed."""
    if "idempotency-key" not in request.headers:
        return None
    hasher = request_hasher(request)
    hasher.update(await request.body() if content is None else content)
    return _kept_as(request, hasher.digest())


def _refused(slug: str, title: str, detail: str) -> Answer:
    return Answer(422, problem_content(422, slug, title, detail), PROBLEM_JSON)


async def claim(session: AsyncSession, principal: Principal, keyed: Keyed) -> int | Answer:
    """Claim the key in the session's transaction: the record's id to keep the response in; or the answer to give
    instead (the replay of the first response, or 422 when the key was used for another request), the
    transaction rolled back."""
    record_id = await idempotency.claim(session, principal.key_id, keyed.key, keyed.fingerprint, keyed.kept)
    if record_id is not None:
        return record_id
    stored = await idempotency.stored_response(session, principal.key_id, keyed.key)
    await session.rollback()
    if stored.fingerprint != keyed.fingerprint:
        return _refused(
            "idempotency-key-reused",
            "Idempotency-Key reused with another request",
            "this Idempotency-Key was first used with a different request; use a new key",
        )
    return Answer(
        stored.status_code or 200,
        stored.body or b"",
        stored.media_type or "application/json",
        {"Idempotent-Replayed": "true"},
    )


async def claim_key(
    request: Request, session: AsyncSession, principal: Principal, fingerprint: bytes
) -> int | Response | None:
    """`claim` for a request whose body was fingerprinted as `fingerprint` (a streamed upload): the record's id,
    the response to answer instead, or None when the request has no key."""
    found = _kept_as(request, fingerprint)
    if found is None:
        return None
    if isinstance(found, Answer):
        return found.response()
    claimed = await claim(session, principal, found)
    return claimed.response() if isinstance(claimed, Answer) else claimed


async def answer_write(
    session: AsyncSession,
    principal: Principal,
    key: Keyed | None,
    work: Callable[[], Awaitable[object]],
    status_code: int = 201,
) -> Answer:
    """Run `work` (which flushes, never commits) under the claimed key, keep its result as the key's response,
    commit, and answer with it as JSON. A constraint the write or its commit violates leaves as the domain
    error its constraint names."""
    record_id = None
    if key is not None:
        claimed = await claim(session, principal, key)
        if isinstance(claimed, Answer):
            return claimed
        record_id = claimed
    with named_violations():
        answer = msgspec.json.encode(await work())
        if record_id is not None:
            await idempotency.keep_response(session, record_id, status_code, "application/json", answer)
        await session.commit()
    return Answer(status_code, answer)


async def run_write(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    work: Callable[[], Awaitable[object]],
    status_code: int = 201,
    *,
    content: bytes | None = None,
) -> Response:
    """`answer_write` for a request: a constraint violation is answered as the problem its constraint names, never a
    500 (nor a 2xx). `content` is what the key's fingerprint covers instead of the raw body (an uploaded file
    without the multipart boundary, which a client draws anew for every request)."""
    key = await keyed(request, content)
    if isinstance(key, Answer):
        return key.response()
    return (await answer_write(session, principal, key, work, status_code)).response()


async def answer_dry_run(
    session: AsyncSession, work: Callable[[], Awaitable[object]], status_code: int = 200
) -> Answer:
    """A dry run: `work` validates and writes nothing; whatever it touched is rolled back. It never claims the
    Idempotency-Key, so the real call that follows may send the same key (the README's flow)."""
    try:
        body = msgspec.json.encode(await work())
    finally:
        await session.rollback()
    return Answer(status_code, body)


async def run_dry(session: AsyncSession, work: Callable[[], Awaitable[object]], status_code: int = 200) -> Response:
    """`answer_dry_run`, answered."""
    return (await answer_dry_run(session, work, status_code)).response()
