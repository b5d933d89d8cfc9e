"""The job queue: claim a job under a lease, keep the lease, commit progress with the work, finish or fail.

Several server processes share one queue: a worker claims the oldest claimable job with `FOR UPDATE SKIP LOCKED`
and holds it under a lease (`lease_owner`, `lease_until`, on the database's clock) that it renews while it works.
A job whose lease ran out (its server was restarted or killed) is claimable again, and the next claim resumes it
from what was committed. Every write of a job's progress checks, in the transaction of the work it measures, that
the lease is still this worker's and that `done` is what the worker last saw, so a worker that lost its lease can
never commit a chunk twice: its transaction fails with LeaseLost and rolls back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from ledger.jobs.service import MAX_KEPT_ERRORS


class LeaseLost(Exception):
    """This worker no longer holds the job (its lease expired and another claimed it, or it was finished)."""


@dataclass(frozen=True, slots=True)
class Lease:
    """A claimed job as its worker needs it."""

    job_id: uuid.UUID
    owner: str
    kind: str
    institution_id: int
    api_key_id: int | None
    params: dict[str, Any]
    input_file_id: uuid.UUID | None
    total: int | None
    done: int
    result: dict[str, Any]
    errors: list[dict[str, Any]]
    error_count: int
    attempts: int


_CLAIMABLE = """
    SELECT id, attempts FROM jobs
    WHERE kind = ANY(:kinds) AND (
        (state = 'queued' AND (lease_until IS NULL OR lease_until <= now()))
        OR (state = 'running' AND lease_until < now()))
    ORDER BY created_at, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
"""


def gave_up_message(attempts: int, done: int) -> str:
    return (
        f"任务已尝试 {attempts} 次仍未完成（处理中服务器重启或出错），已停止；已提交的 {done} 行保留，"
        f"请重新提交文件，已登记的行不会重复 / the job was tried {attempts} times without finishing (the server "
        f"stopped or failed while working); the {done} rows committed are kept: submit the file again, rows already "
        "registered come back unchanged"
    )


async def claim_next(
    session: AsyncSession, owner: str, kinds: Sequence[str], lease_seconds: float, max_attempts: int
) -> Lease | None:
    """Claim the oldest claimable job of `kinds` for `owner` in the caller's transaction (commit it at once), or
    None. A job already tried `max_attempts` times is failed with a message saying so, and the next one is tried."""
    while True:
        found = (await session.execute(text(_CLAIMABLE), {"kinds": list(kinds)})).one_or_none()
        if found is None:
            return None
        if found.attempts >= max_attempts:
            done = (await session.execute(text("SELECT done FROM jobs WHERE id = :id"), {"id": found.id})).scalar_one()
            await _end(session, found.id, None, "failed", message=gave_up_message(found.attempts, done))
            continue
        row = (
            await session.execute(
                text(
                    """
                    UPDATE jobs SET state = 'running', lease_owner = :owner,
                        lease_until = now() + make_interval(secs => :lease), heartbeat_at = now(),
                        attempts = attempts + 1, started_at = coalesce(started_at, now())
                    WHERE id = :id
                    RETURNING id, kind, institution_id, api_key_id, params, input_file_id, total, done, result,
                        errors, error_count, attempts
                    """
                ),
                {"owner": owner, "lease": lease_seconds, "id": found.id},
            )
        ).one()
        return Lease(
            job_id=row.id,
            owner=owner,
            kind=row.kind,
            institution_id=row.institution_id,
            api_key_id=row.api_key_id,
            params=dict(row.params or {}),
            input_file_id=row.input_file_id,
            total=row.total,
            done=row.done,
            result=dict(row.result or {}),
            errors=list(row.errors or []),
            error_count=row.error_count,
            attempts=row.attempts,
        )


async def renew(session: AsyncSession, lease: Lease, lease_seconds: float) -> bool:
    """Extend the lease (its own short transaction; the caller commits); False when it is no longer ours."""
    renewed = await session.execute(
        text(
            "UPDATE jobs SET lease_until = now() + make_interval(secs => :lease), heartbeat_at = now() "
            "WHERE id = :id AND lease_owner = :owner AND state = 'running' RETURNING id"
        ),
        {"lease": lease_seconds, "id": lease.job_id, "owner": lease.owner},
    )
    return renewed.one_or_none() is not None


def capped(kept: list[dict[str, Any]], new: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return (list(kept) + list(new))[:MAX_KEPT_ERRORS]


async def record_progress(
    session: AsyncSession,
    lease: Lease,
    *,
    was_done: int,
    done: int,
    result: dict[str, Any] | None = None,
    total: int | None = None,
) -> None:
    """Write the job's progress in the caller's transaction, the one holding the work it measures: raises LeaseLost
    (roll back) unless the job is still ours and its committed `done` is `was_done`."""
    updated = await session.execute(
        text(
            """
            UPDATE jobs SET done = :done, result = coalesce(CAST(:result AS jsonb), result),
                total = coalesce(:total, total), heartbeat_at = now()
            WHERE id = :id AND lease_owner = :owner AND state = 'running' AND done = :was_done
            RETURNING id
            """
        ),
        {
            "done": done,
            "result": None if result is None else _json(result),
            "total": total,
            "id": lease.job_id,
            "owner": lease.owner,
            "was_done": was_done,
        },
    )
    if updated.one_or_none() is None:
        raise LeaseLost(str(lease.job_id))


async def finish(
    session: AsyncSession,
    lease: Lease,
    result: dict[str, Any],
    *,
    output_file_id: uuid.UUID | None = None,
    done: int | None = None,
) -> None:
    """Mark the job succeeded with its result, in the caller's transaction; LeaseLost if it is not ours."""
    if not await _end(session, lease.job_id, lease.owner, "succeeded", result=result, output=output_file_id, done=done):
        raise LeaseLost(str(lease.job_id))


async def fail(
    session: AsyncSession,
    lease: Lease,
    message: str,
    *,
    errors: Sequence[dict[str, Any]] = (),
    error_count: int | None = None,
    result: dict[str, Any] | None = None,
) -> None:
    """Mark the job failed with a message a clerk reads (Chinese first) and its errors (capped); LeaseLost if it is
    not ours."""
    count = len(errors) if error_count is None else error_count
    ok = await _end(
        session, lease.job_id, lease.owner, "failed", message=message, errors=capped([], errors), count=count,
        result=result,
    )  # fmt: skip
    if not ok:
        raise LeaseLost(str(lease.job_id))


async def release(session: AsyncSession, lease: Lease, retry_after_seconds: float) -> bool:
    """Put the job back in the queue, claimable again after `retry_after_seconds` (an unexpected error: the next
    attempt resumes from what was committed)."""
    released = await session.execute(
        text(
            "UPDATE jobs SET state = 'queued', lease_owner = NULL, "
            "lease_until = now() + make_interval(secs => :delay) "
            "WHERE id = :id AND lease_owner = :owner AND state = 'running' RETURNING id"
        ),
        {"delay": retry_after_seconds, "id": lease.job_id, "owner": lease.owner},
    )
    return released.one_or_none() is not None


async def _end(
    session: AsyncSession,
    job_id: uuid.UUID,
    owner: str | None,
    state: str,
    *,
    message: str | None = None,
    result: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
    count: int | None = None,
    output: uuid.UUID | None = None,
    done: int | None = None,
) -> bool:
    ended = await session.execute(
        text(
            """
            UPDATE jobs SET state = :state, finished_at = now(), lease_owner = NULL, lease_until = NULL,
                message = :message, result = coalesce(CAST(:result AS jsonb), result),
                errors = coalesce(CAST(:errors AS jsonb), errors), error_count = coalesce(:count, error_count),
                output_file_id = coalesce(:output, output_file_id), done = coalesce(:done, done)
            WHERE id = :id AND (CAST(:owner AS text) IS NULL OR (lease_owner = :owner AND state = 'running'))
            RETURNING id
            """
        ),
        {
            "state": state,
            "message": message,
            "result": None if result is None else _json(result),
            "errors": None if errors is None else _json(errors),
            "count": count,
            "output": output,
            "done": done,
            "id": job_id,
            "owner": owner,
        },
    )
    return ended.one_or_none() is not None


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode()
