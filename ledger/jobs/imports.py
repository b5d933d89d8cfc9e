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
import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ledger.certificates.issuance import QrSigner
from ledger.database.constraints import named_violations
from ledger.database.driver import driver
from ledger.errors import FieldError, InvalidInput, LedgerError
from ledger.jobs.files import file_info, local_copy
from ledger.jobs.queue import capped
from ledger.jobs.service import MAX_KEPT_ERRORS, submit_job
from ledger.jobs.worker import JobFailed, JobRun
from ledger.people.pii import PiiVault
from ledger.registration.service import RowOutcome, register_completions
from ledger.registration.sheets import Chunk, Lang, Sheet, open_sheet

IMPORT = "import"


SignerFor = Callable[[AsyncSession], Awaitable[QrSigner]]


async def submit_import(
    session: AsyncSession,
    institution_id: int,
    file_id: uuid.UUID,
    *,
    api_key_id: int | None = None,
    lang: Lang = "zh",
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


def as_error(error: FieldError) -> dict[str, Any]:
    """A sheet error (its row the sheet row, its column the clerk's header) as a job keeps it."""
    return {"row": error.row, "column": error.column, "field": error.field, "code": error.code,
            "message": error.message}  # fmt: skip


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
    """The handler of import jobs; the web layer gives it the QR signer."""

    vault: PiiVault
    public_base: str
    signer_for: SignerFor

    async def __call__(self, run: JobRun) -> None:
        lease = run.lease
        assert lease.input_file_id is not None
        size = int(lease.params.get("chunk_rows") or run.settings.import_chunk_rows)
        lang: Lang = "en" if lease.params.get("lang") == "en" else "zh"
        async with run.sessions() as session:
            info = await file_info(session, lease.institution_id, lease.input_file_id)
            async with local_copy(session, lease.institution_id, lease.input_file_id) as path:
                await session.close()
                sheet = await asyncio.to_thread(open_sheet, path, info.filename, info.media_type, lang=lang)
                if run.result.get("phase") != "writing":
                    await self._check(run, sheet, size)
                if lease.params.get("dry_run"):
                    async with run.sessions() as done:
                        await run.finish(done, {**run.result, "phase": "checked", "dry_run": True})
                    return
                await self._write(run, sheet, size)

    async def _check(self, run: JobRun, sheet: Sheet, size: int) -> None:
        """Every error of the file, in one streaming pass: the reader's and the service's (as a dry run)."""
        errors, rows = _Errors(), 0
        warnings = [dataclasses.asdict(w) for w in sheet.warnings]
        async for chunk in _chunks(sheet, size):
            errors.add([as_error(p) for p in chunk.problems])
            rows += len(chunk.items)
            async with run.sessions() as session:
                try:
                    await register_completions(
                        session, self.vault, run.lease.institution_id, chunk.items, None, self.public_base,
                        dry_run=True,
                    )  # fmt: skip
                except InvalidInput as exc:
                    errors.add([as_error(e) for e in chunk.locate(exc.errors)])
                finally:
                    await session.rollback()
            async with run.sessions() as session:
                progress = {"phase": "checking", "checked": rows, "warnings": warnings}
                await run.commit(session, 0, result=progress)
        once = [as_error(p) for p in sheet.file_problems()]  # Excel's damage, told once for the file
        if once or errors.count:
            errors.kept, errors.count = capped(once, errors.kept), errors.count + len(once)
            bad = len(errors.rows)
            raise JobFailed(
                f"文件中有 {errors.count} 处错误（{bad} 行），未登记任何一行；请按错误说明修改后重新提交 / "
                f"{errors.count} error(s) in {bad} row(s); nothing was registered: correct them and submit the file "
                "again",
                errors.kept,
                errors.count,
                result={"phase": "checked", "checked": rows, "created": 0, "unchanged": 0, "warnings": warnings},
            )
        async with run.sessions() as session:
            result = {"phase": "writing", "checked": rows, "created": 0, "unchanged": 0, "certificates": 0,
                      "warnings": warnings}  # fmt: skip
            await run.commit(session, 0, result=result, total=rows)

    async def _write(self, run: JobRun, sheet: Sheet, size: int) -> None:
        position = 0
        async for chunk in _chunks(sheet, size):
            if not chunk.ok:  # the check passed over these very bytes: only a changed reader can get here
                raise JobFailed("文件读取结果与检查时不一致 / the file reads differently than when it was checked",
                                [as_error(p) for p in chunk.problems])  # fmt: skip
            skip = min(max(run.done - position, 0), len(chunk.items))
            position += len(chunk.items)
            if skip == len(chunk.items):
                continue  # committed before a restart
            if skip:
                chunk = dataclasses.replace(chunk, items=chunk.items[skip:], sheet_rows=chunk.sheet_rows[skip:])
            await self._register(run, chunk, position)
        async with run.sessions() as session:
            await run.finish(session, {**run.result, "phase": "done"}, done=run.done)

    async def _register(self, run: JobRun, chunk: Chunk, done: int) -> None:
        """Write one chunk, its rows and the job's progress, and commit them together."""
        lease = run.lease
        async with run.sessions() as session:
            try:
                with named_violations():
                    sign = await self.signer_for(session)
                    outcomes = await register_completions(
                        session, self.vault, lease.institution_id, chunk.items, sign, self.public_base
                    )
                    await _keep_rows(session, lease.job_id, chunk.sheet_rows, outcomes)
            except LedgerError as exc:
                await session.rollback()
                raise self._stopped(run, exc, chunk) from exc
            result = dict(run.result)
            result["created"] = result.get("created", 0) + sum(o.status == "created" for o in outcomes)
            result["unchanged"] = result.get("unchanged", 0) + sum(o.status == "unchanged" for o in outcomes)
            result["certificates"] = result.get("certificates", 0) + sum(
                len(o.certificates) for o in outcomes if o.status == "created"
            )
            await run.commit(session, done, result=result)

    def _stopped(self, run: JobRun, exc: LedgerError, chunk: Chunk) -> JobFailed:
        """The job stops at a chunk the service refused: what was committed stays, the error names its rows."""
        first_row = chunk.sheet_rows[0] if chunk.sheet_rows else None
        errors = [as_error(e) for e in chunk.locate(exc.errors)] or [
            {"row": first_row, "column": None, "field": "file", "code": "refused", "message": exc.detail}
        ]
        first = min((e["row"] for e in errors if e["row"] is not None), default=first_row or 0)
        return JobFailed(
            f"第 {first} 行所在的一批未能登记，任务已停止；此前已提交的 {run.done} 行已登记。请修改后重新提交整个文件，"
            f"已登记的行不会重复 / the chunk holding row {first} could not be registered and the job stopped; the "
            f"{run.done} rows before it are registered. Correct the file and submit it again: rows already registered "
            "come back unchanged",
            errors,
            len(errors),
            result={**run.result, "phase": "stopped"},
        )


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


async def _chunks(sheet: Sheet, size: int) -> AsyncIterator[Chunk]:
    """The sheet's chunks, each read in a worker thread so that parsing never holds up the server's event loop."""
    iterator = iter(sheet.chunks(size))
    while (chunk := await asyncio.to_thread(next, iterator, None)) is not None:
        yield chunk
