"""An import job: a stored spreadsheet registered chunk by chunk, each chunk committed with the job's progress.

What a school gets (docs/jobs.md):

1. **Check**: the whole file is read once, every chunk parsed and validated as a dry run (format errors, unknown
   courses, bad ID numbers, unfiled levels…). If anything is wrong the job fails with every error (capped, with the
   full count), each naming its spreadsheet row — and nothing is written.
2. **Write**: the file is read again and registered LEDGER_IMPORT_CHUNK_ROWS rows at a time. Each chunk, the rows it
   registered (`job_rows`) and the job's `done` are committed in one transaction: never a chunk without its
   progress, nor progress without its chunk. A chunk refused now (a row re-registering a completion with other
   content, e.g. a trainee twice in the file with different dates) fails the job there: the chunks before it stay
   registered, `done` says how many rows, and the error names the row. Submitting the corrected file again is
   safe: rows already registered come back `unchanged`, with their certificates.

A restarted job resumes after its last committed chunk; the check is not repeated once the write has begun.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from ledger.certificates.issuance import QrSigner
from ledger.commands import CompletionIn
from ledger.database.constraints import named_violations
from ledger.database.driver import driver
from ledger.errors import FieldError, InvalidInput, LedgerError
from ledger.jobs.files import file_info, local_copy
from ledger.jobs.queue import capped
from ledger.jobs.service import MAX_KEPT_ERRORS, submit_job
from ledger.jobs.worker import JobFailed, JobRun
from ledger.people.pii import PiiVault
from ledger.registration.service import RowOutcome, register_completions

IMPORT = "import"


class ChunkOfRows(Protocol):
    """What a spreadsheet reader hands over for a run of rows."""

    items: list[CompletionIn]
    sheet_rows: list[int]  # the spreadsheet row of each item
    problems: Sequence[Any]  # rows that could not be read: objects with field, code, message, row (+ column)


class Sheet(Protocol):
    def chunks(self, size: int, lang: str = ...) -> Iterator[Any]: ...


OpenSheet = Callable[[Path, str, str], Sheet]  # (local copy, filename, media type) -> a sheet
SignerFor = Callable[[AsyncSession], Awaitable[QrSigner]]


async def submit_import(
    session: AsyncSession,
    institution_id: int,
    file_id: uuid.UUID,
    *,
    api_key_id: int | None = None,
    lang: str = "zh",
    dry_run: bool = False,
    chunk_rows: int | None = None,
) -> uuid.UUID:
    """Queue the import of a stored file (ledger/jobs/files.py) in the caller's transaction; the job's id. A dry
    run only checks the file (every error, nothing written) and ends with the count of valid rows."""
    await file_info(session, institution_id, file_id)  # the institution's own, not expired
    params: dict[str, Any] = {"lang": lang, "dry_run": dry_run}
    if chunk_rows:
        params["chunk_rows"] = chunk_rows
    return await submit_job(
        session, institution_id, IMPORT, api_key_id=api_key_id, params=params, input_file_id=file_id
    )


def row_error(error: FieldError, chunk: ChunkOfRows) -> dict[str, Any]:
    """A service error (its `row` an index into the chunk's items) at the spreadsheet row it came from."""
    sheet_row = chunk.sheet_rows[error.row] if error.row is not None and error.row < len(chunk.sheet_rows) else None
    column = getattr(chunk, "column_of", lambda _: None)(error.field)
    return {"row": sheet_row, "column": column, "field": error.field, "code": error.code, "message": error.message}


def problem_error(problem: Any) -> dict[str, Any]:
    return {
        "row": getattr(problem, "row", None),
        "column": getattr(problem, "column", None),
        "field": getattr(problem, "field", "file"),
        "code": getattr(problem, "code", "invalid"),
        "message": getattr(problem, "message", str(problem)),
    }


class _Errors:
    """Errors of the whole file: the first MAX_KEPT_ERRORS kept, all counted, and the rows they touch."""

    def __init__(self) -> None:
        self.kept: list[dict[str, Any]] = []
        self.count = 0
        self.rows: set[int] = set()

    def add(self, errors: Sequence[dict[str, Any]]) -> None:
        self.count += len(errors)
        self.rows.update(e["row"] for e in errors if e["row"] is not None)
        if len(self.kept) < MAX_KEPT_ERRORS:
            self.kept = capped(self.kept, errors)


@dataclass(frozen=True)
class Importer:
    """The handler of import jobs; the web layer gives it the spreadsheet reader and the QR signer."""

    vault: PiiVault
    public_base: str
    open_sheet: OpenSheet
    signer_for: SignerFor
    map_error: Callable[[FieldError, Any], dict[str, Any]] = row_error

    async def __call__(self, run: JobRun) -> None:
        lease = run.lease
        assert lease.input_file_id is not None
        size = int(lease.params.get("chunk_rows") or run.settings.import_chunk_rows)
        lang = str(lease.params.get("lang") or "zh")
        async with run.sessions() as session:
            info = await file_info(session, lease.institution_id, lease.input_file_id)
            async with local_copy(session, lease.institution_id, lease.input_file_id) as path:
                await session.close()
                sheet = self.open_sheet(path, info.filename, info.media_type)
                if run.result.get("phase") != "writing":
                    await self._check(run, sheet, size, lang)
                if lease.params.get("dry_run"):
                    async with run.sessions() as done:
                        await run.finish(done, {**run.result, "phase": "checked", "dry_run": True})
                    return
                await self._write(run, sheet, size, lang)

    async def _check(self, run: JobRun, sheet: Sheet, size: int, lang: str) -> None:
        errors, rows, unreadable = _Errors(), 0, 0
        async for chunk in _chunks(sheet, size, lang):
            errors.add([problem_error(p) for p in chunk.problems])
            rows += len(chunk.items)
            unreadable += len({getattr(p, "row", None) for p in chunk.problems})
            if chunk.items:
                async with run.sessions() as session:
                    try:
                        await register_completions(
                            session, self.vault, run.lease.institution_id, chunk.items, None, self.public_base,
                            dry_run=True,
                        )  # fmt: skip
                    except InvalidInput as exc:
                        errors.add([self.map_error(e, chunk) for e in exc.errors])
                    finally:
                        await session.rollback()
            async with run.sessions() as session:
                await run.commit(session, 0, result={"phase": "checking", "checked": rows + unreadable})
        if errors.count:
            bad = len(errors.rows)
            raise JobFailed(
                f"文件中有 {errors.count} 处错误（{bad} 行），未登记任何一行；请按错误说明修改后重新提交 / "
                f"{errors.count} error(s) in {bad} row(s); nothing was registered: correct them and submit the file "
                "again",
                errors.kept,
                errors.count,
                result={"phase": "checked", "checked": rows + unreadable, "created": 0, "unchanged": 0},
            )
        async with run.sessions() as session:
            result = {"phase": "writing", "checked": rows, "created": 0, "unchanged": 0, "certificates": 0}
            await run.commit(session, 0, result=result, total=rows)

    async def _write(self, run: JobRun, sheet: Sheet, size: int, lang: str) -> None:
        position = 0
        async for chunk in _chunks(sheet, size, lang):
            items, rows = chunk.items, chunk.sheet_rows
            if chunk.problems:  # the check passed over these very bytes: only a changed reader can get here
                raise JobFailed("文件读取结果与检查时不一致 / the file reads differently than when it was checked",
                                [problem_error(p) for p in chunk.problems])  # fmt: skip
            skip = min(max(run.done - position, 0), len(items))
            position += len(items)
            if skip == len(items):
                continue  # committed before a restart
            await self._register(run, chunk, items[skip:], rows[skip:], position)
        async with run.sessions() as session:
            await run.finish(session, {**run.result, "phase": "done"}, done=run.done)

    async def _register(self, run: JobRun, chunk: Any, items: list[CompletionIn], rows: list[int], done: int) -> None:
        lease = run.lease
        async with run.sessions() as session:
            try:
                with named_violations():
                    sign = await self.signer_for(session)
                    outcomes = await register_completions(
                        session, self.vault, lease.institution_id, items, sign, self.public_base
                    )
                    await _keep_rows(session, lease.job_id, rows, outcomes)
            except LedgerError as exc:
                await session.rollback()
                raise self._stopped(run, exc, chunk, rows) from exc
            result = dict(run.result)
            result["created"] = result.get("created", 0) + sum(o.status == "created" for o in outcomes)
            result["unchanged"] = result.get("unchanged", 0) + sum(o.status == "unchanged" for o in outcomes)
            result["certificates"] = result.get("certificates", 0) + sum(
                len(o.certificates) for o in outcomes if o.status == "created"
            )
            await run.commit(session, done, result=result)

    def _stopped(self, run: JobRun, exc: LedgerError, chunk: Any, rows: list[int]) -> JobFailed:
        """The job stops at a chunk the service refused: what was committed stays, the error names its rows."""
        errors = [self.map_error(e, _Refused(rows, chunk)) for e in exc.errors] or [
            {"row": rows[0] if rows else None, "column": None, "field": "file", "code": "refused",
             "message": exc.detail}
        ]  # fmt: skip
        first = min((e["row"] for e in errors if e["row"] is not None), default=rows[0] if rows else 0)
        return JobFailed(
            f"第 {first} 行所在的一批未能登记，任务已停止；此前已提交的 {run.done} 行已登记。请修改后重新提交整个文件，"
            f"已登记的行不会重复 / the chunk holding row {first} could not be registered and the job stopped; the "
            f"{run.done} rows before it are registered. Correct the file and submit it again: rows already registered "
            "come back unchanged",
            errors,
            len(errors),
            result={**run.result, "phase": "stopped"},
        )


class _Refused:
    """The refused rest of a chunk (after rows committed before a restart): the service numbered its rows from 0."""

    def __init__(self, sheet_rows: list[int], chunk: Any) -> None:
        self.sheet_rows, self._chunk = sheet_rows, chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chunk, name)


async def _keep_rows(session: AsyncSession, job_id: uuid.UUID, rows: list[int], outcomes: list[RowOutcome]) -> None:
    conn = await driver(session)
    await conn.execute(
        "INSERT INTO job_rows (job_id, row, completion_id, status)"
        " SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::text[])",
        job_id,
        [rows[o.row] for o in outcomes],
        [o.completion_id for o in outcomes],
        [o.status for o in outcomes],
    )


async def _chunks(sheet: Sheet, size: int, lang: str) -> Any:
    """The sheet's chunks, each read in a worker thread so that parsing never holds up the server's event loop."""
    iterator = iter(sheet.chunks(size, lang))
    done = object()
    while (chunk := await asyncio.to_thread(next, iterator, done)) is not done:
        yield chunk
